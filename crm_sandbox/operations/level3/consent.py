"""A learner's own opt-in to having their closed contacts reviewed by other learners, and its withdrawal:
each an event on their ``consent:<id>`` stream. Withdrawing takes effect at once: their contacts are no
longer offered, and a review task already holding one shows it as withdrawn, with nothing of it."""

from sqlalchemy import select

from crm_sandbox.errors import Conflict, NotAllowed
from crm_sandbox.events.registry import REVIEW_CONSENT_GIVEN, REVIEW_CONSENT_WITHDRAWN
from crm_sandbox.extensions import db
from crm_sandbox.models import User
from crm_sandbox.operations.level3.operation import level3_operation
from crm_sandbox.queries.level3.consent import consent_stream, opted_in


def lock_consent(learner_id: int) -> None:
    """Hold ``learner_id``'s opt-in still until the current write transaction ends (on SQLite the write
    lock already does; on PostgreSQL their user row is locked, by this and by every change to it)."""
    db.session.execute(select(User.id).where(User.id == learner_id).with_for_update())


def set_review_consent(learner: User, give: bool) -> None:
    if learner.role != "learner" or learner.cohort_id is None:
        raise NotAllowed("Only a learner in a cohort can opt in to reviews.")
    with level3_operation(learner.cohort_id, consent_stream(learner.id)) as op:
        lock_consent(learner.id)
        if opted_in(learner.id) == give:
            raise Conflict(
                "You are already opted in." if give else "You are not opted in: there is nothing to withdraw."
            )
        if give:
            op.append(REVIEW_CONSENT_GIVEN, {}, actor="learner", user=learner)
        else:
            op.append(REVIEW_CONSENT_WITHDRAWN, {}, actor="learner", user=learner)
