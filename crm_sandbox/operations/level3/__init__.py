"""The write side of Level 3 work: opt-ins, assigning tasks, scoring, analyses, discussions, sign-off."""
