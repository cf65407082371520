"""What a learner (and an assessor playing the caller) does on a contact."""
