"""Each learner's own, withdrawable opt-in to having their closed contacts reviewed by other learners:
the newest event of their ``consent:<id>`` stream stands (no event: not opted in)."""

from sqlalchemy import select

from crm_sandbox.events.registry import REVIEW_CONSENT_GIVEN, REVIEW_CONSENT_WITHDRAWN
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Level3Event, User


def consent_stream(learner_id: int) -> str:
    return f"consent:{learner_id}"


def opted_in(learner_id: int) -> bool:
    newest = db.session.execute(
        select(Level3Event.type)
        .where(Level3Event.stream == consent_stream(learner_id))
        .order_by(Level3Event.seq.desc())
        .limit(1)
    ).scalar()
    return newest == REVIEW_CONSENT_GIVEN


def consent_history(learner_id: int) -> list[Level3Event]:
    return list(
        db.session.execute(
            select(Level3Event)
            .where(
                Level3Event.stream == consent_stream(learner_id),
                Level3Event.type.in_((REVIEW_CONSENT_GIVEN, REVIEW_CONSENT_WITHDRAWN)),
            )
            .order_by(Level3Event.seq)
        ).scalars()
    )


def reviewable_contacts(cohort_id: int, reviewer_id: int) -> list[Contact]:
    """Closed contacts of the cohort's other learners who are opted in now: what may be offered to
    ``reviewer_id``. Never the reviewer's own, never a live one, never an opted-out learner's."""
    learners = db.session.execute(
        select(User.id).where(User.cohort_id == cohort_id, User.role == "learner", User.id != reviewer_id)
    ).scalars()
    willing = [i for i in learners if opted_in(i)]
    if not willing:
        return []
    return list(
        db.session.execute(
            select(Contact)
            .where(Contact.cohort_id == cohort_id, Contact.learner_id.in_(willing), Contact.status == "closed")
            .order_by(Contact.closed_at, Contact.id)
        ).scalars()
    )
