"""Cohorts and their people, as the trainer's console and the assessor's dashboard list them."""

from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Contact, User


def all_cohorts() -> list[Cohort]:
    """Every cohort, by name."""
    return list(db.session.execute(select(Cohort).order_by(Cohort.name)).scalars())


def find_cohort(cohort_id: int) -> Cohort | None:
    return db.session.get(Cohort, cohort_id)


def find_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def learners_of(cohort_id: int) -> list[User]:
    """The cohort's learners, by username."""
    return list(
        db.session.execute(
            select(User).where(User.cohort_id == cohort_id, User.role == "learner").order_by(User.username)
        ).scalars()
    )


def accounts_in_no_cohort() -> list[User]:
    """Trainers and any other account outside every cohort, by role, then username."""
    return list(
        db.session.execute(select(User).where(User.cohort_id.is_(None)).order_by(User.role, User.username)).scalars()
    )


def members_of(cohort_id: int) -> list[User]:
    """Every account of the cohort, by role, then username."""
    return list(
        db.session.execute(select(User).where(User.cohort_id == cohort_id).order_by(User.role, User.username)).scalars()
    )


def contacts_by_learner(cohort_id: int) -> dict[int, list[Contact]]:
    """The cohort's contacts, grouped by learner id, each learner's in queue order."""
    queues = db.session.execute(
        select(Contact).where(Contact.cohort_id == cohort_id).order_by(Contact.learner_id, Contact.position)
    ).scalars()
    by_learner: dict[int, list[Contact]] = {}
    for contact in queues:
        by_learner.setdefault(contact.learner_id, []).append(contact)
    return by_learner
