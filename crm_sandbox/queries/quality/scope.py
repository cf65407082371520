"""Which cohorts and contacts a quality assurer may read.

An IQA works for one cohort (``cohort_id`` set) or the whole centre (no cohort); an EQA account reads
the same way, read-only, until it expires. Trainers see every cohort. Refusals name nothing read from
the row (as ``queries/access.py``).
"""

from sqlalchemy import select

from crm_sandbox.errors import NotAllowed, NotFound
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Contact, User

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
