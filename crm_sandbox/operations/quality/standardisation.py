"""Standardisation: an IQA (or trainer) picks closed contacts and invites assessors; each marks every
contact blind, once; the meeting's agreed outcome and actions are recorded. Marks never change a learner's
record: an agreed outcome that differs from it raises an action to reopen the original review."""

from collections.abc import Iterable, Mapping

from sqlalchemy import select

from crm_sandbox import ledger
from crm_sandbox.database import write_transaction
from crm_sandbox.errors import Conflict, NotAllowed, NotFound, ServiceError
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Contact, StandardisationExercise, StandardisationMark, User
from crm_sandbox.models.quality import StandardisationOutcome
from crm_sandbox.models.review import ASSESSMENT_OUTCOMES
from crm_sandbox.queries.quality.standardisation import marking_items, original_outcome
from crm_sandbox.queries.review import assessment_versions

MAX_TEXT = 2000
MAX_CONTACTS = 20


def create_exercise(
    cohort: Cohort, creator: User, title: str, contact_ids: Iterable[int], rater_ids: Iterable[int]
) -> StandardisationExercise:
    """A new exercise on closed contacts of ``cohort``, for assessors of that cohort."""
    if creator.role not in ("iqa", "trainer"):
        raise NotAllowed("Only an IQA or a trainer runs standardisation.")
    title = (title or "").strip()[:200] or "Standardisation"
    contacts = sorted(set(contact_ids))
    raters = sorted(set(rater_ids))
    if not contacts or len(contacts) > MAX_CONTACTS:
        raise ServiceError(f"Choose between 1 and {MAX_CONTACTS} closed contacts.")
    if not raters:
        raise ServiceError("Invite at least one assessor.")
    with write_transaction():
        found = list(db.session.execute(select(Contact).where(Contact.id.in_(contacts))).scalars())
        if len(found) != len(contacts) or any(c.cohort_id != cohort.id for c in found):
            raise NotFound("One of those contacts is not in this cohort.")
        if any(c.status != "closed" for c in found):
            raise ServiceError("Standardisation uses closed contacts only.")
        people = list(db.session.execute(select(User).where(User.id.in_(raters))).scalars())
        if len(people) != len(raters) or any(u.role != "assessor" or u.cohort_id != cohort.id for u in people):
            raise NotFound("One of those people is not an assessor of this cohort.")
        for c in found:
            seen = {v.assessor_id for v in assessment_versions(c.id)} | {c.assessor_id}
            if seen & set(raters):
                raise NotAllowed(
                    "An invited assessor assessed one of these contacts: they have seen its decision, so they "
                    "cannot mark it blind. Leave them out, or leave the contact out."
                )
        exercise = StandardisationExercise(
            cohort_id=cohort.id, title=title, contact_ids=contacts, rater_ids=raters, created_by=creator.id
        )
        db.session.add(exercise)
        ledger.checkpoint_at_commit(f"cohort {cohort.id}: standardisation exercise set")
    return exercise


def submit_marks(
    exercise: StandardisationExercise, contact: Contact, rater: User, marks: Mapping[str, str]
) -> StandardisationMark:
    """One rater's blind marks on one contact: every item, once. Refused: a rater not invited, the
    contact's own assessor (they have seen the original decision), a second submission, a missing or
    unknown mark."""
    if rater.id not in exercise.rater_ids:
        raise NotAllowed("You are not invited to this standardisation exercise.")
    if contact.id not in exercise.contact_ids:
        raise NotFound("That contact is not in this exercise.")
    items = marking_items(contact)
    clean: dict[str, str] = {}
    missing = []
    for item in items:
        value = marks.get(item.key)
        if value in item.choices:
            clean[item.key] = value
        else:
            missing.append(item.label)
    if missing:
        raise ServiceError(f"Mark every item before submitting: {len(missing)} still to mark ({missing[0]}…).")
    with write_transaction():
        signed_by = [v.assessor_id for v in assessment_versions(contact.id)]
        if rater.id in signed_by or contact.assessor_id == rater.id:
            raise NotAllowed("You assessed this contact: you have seen its decision, so you cannot mark it blind.")
        done = db.session.execute(
            select(StandardisationMark.id).where(
                StandardisationMark.exercise_id == exercise.id,
                StandardisationMark.contact_id == contact.id,
                StandardisationMark.rater_id == rater.id,
            )
        ).first()
        if done is not None:
            raise Conflict("You have already marked this contact: marks are submitted once.")
        row = StandardisationMark(exercise_id=exercise.id, contact_id=contact.id, rater_id=rater.id, marks=clean)
        db.session.add(row)
    return row


def record_outcome(
    exercise: StandardisationExercise, contact: Contact, recorder: User, outcome: str, actions: str
) -> StandardisationOutcome:
    """The meeting's agreed outcome on one contact and the actions agreed. Where it differs from the
    learner's record, the action to reopen the original review is raised (the record is not changed)."""
    if recorder.role not in ("iqa", "trainer"):
        raise NotAllowed("Only the IQA or a trainer records the agreed outcome.")
    if contact.id not in exercise.contact_ids:
        raise NotFound("That contact is not in this exercise.")
    if outcome not in ASSESSMENT_OUTCOMES:
        raise ServiceError("Choose the agreed outcome: competent or not yet competent.")
    actions = (actions or "").strip()
    if len(actions) > MAX_TEXT:
        raise ServiceError(f"Keep the actions under {MAX_TEXT:,} characters.")
    standing = original_outcome(contact)
    reopen = standing is not None and standing != outcome
    if reopen:
        actions = (actions + "\n" if actions else "") + (
            "Action: reopen the original review (the agreed outcome differs from the learner's record)."
        )
    with write_transaction():
        row = StandardisationOutcome(
            exercise_id=exercise.id,
            contact_id=contact.id,
            outcome=outcome,
            actions=actions,
            reopen=reopen,
            recorded_by=recorder.id,
        )
        db.session.add(row)
    return row
