"""Which cohorts and contacts a quality assurer may read.

An IQA works for one cohort (``cohort_id`` set) or the whole centre (no cohort); an EQA account reads
the same way, read-only, until it expires. Trainers see every cohort. Refusals name nothing read from
the row (as ``queries/access.py``).
"""

from sqlalchemy import select

from crm_sandbox.errors import NotAllowed, NotFound
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Contact, StandardisationExercise, User

QA_ROLES = ("iqa", "eqa", "trainer")


def qa_cohorts(user: User) -> list[Cohort]:
    """The cohorts ``user`` may quality-assure: their own, or every cohort for a centre-wide account."""
    query = select(Cohort).order_by(Cohort.name)
    if user.cohort_id is not None:
        query = query.where(Cohort.id == user.cohort_id)
    return list(db.session.execute(query).scalars())


def qa_cohort(user: User, cohort_id: int) -> Cohort:
    """The cohort, if ``user`` may quality-assure it; else NotFound / NotAllowed."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound("There is no such cohort.")
    if user.role not in QA_ROLES or (user.cohort_id is not None and user.cohort_id != cohort.id):
        raise NotAllowed("That cohort is outside the cohorts you quality-assure.")
    return cohort


def qa_contact(user: User, contact_id: int) -> Contact:
    """A contact of a cohort ``user`` may quality-assure."""
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("There is no such contact.")
    qa_cohort(user, contact.cohort_id)
    return contact


def qa_exercise(user: User, exercise_id: int) -> StandardisationExercise:
    """A standardisation exercise ``user`` may open: an invited assessor, or QA staff of its cohort."""
    exercise = db.session.get(StandardisationExercise, exercise_id)
    if exercise is None:
        raise NotFound("There is no such standardisation exercise.")
    if user.role == "assessor":
        if user.id not in exercise.rater_ids:
            raise NotAllowed("You are not invited to this standardisation exercise.")
    else:
        qa_cohort(user, exercise.cohort_id)
    return exercise


def exercise_contact(exercise: StandardisationExercise, contact_id: int) -> Contact:
    """One of the exercise's contacts (any other is NotFound)."""
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.id not in exercise.contact_ids:
        raise NotFound("That contact is not in this exercise.")
    return contact


def exercise_contacts(exercise: StandardisationExercise) -> list[Contact]:
    found = {c.id: c for c in db.session.execute(select(Contact).where(Contact.id.in_(exercise.contact_ids))).scalars()}
    return [found[c] for c in exercise.contact_ids if c in found]


def users_by_id(ids: list[int]) -> dict[int, User]:
    return {u.id: u for u in db.session.execute(select(User).where(User.id.in_(ids))).scalars()}


def qa_people() -> list[User]:
    """Assessors and quality assurers, as the trainer's QA accounts page lists them."""
    query = select(User).where(User.role.in_(("assessor", "iqa", "eqa"))).order_by(User.username)
    return list(db.session.execute(query).scalars())
