"""The learner's queue: their contacts in order, and which have a report released to them."""

from dataclasses import dataclass

from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.models import Assessment, Contact, User


@dataclass(frozen=True)
class QueueItem:
    """A contact as the learner's queue lists it."""

    id: int
    position: int
    title: str
    reason: str
    channel: str
    status: str
    mode: str  # practice | assessment, fixed when assigned


def queue_for(learner: User) -> list[QueueItem]:
    """The learner's contacts in queue order (only the columns the queue shows: it is on every desk page)."""
    rows = db.session.execute(
        select(
            Contact.id,
            Contact.position,
            Contact.scenario_id,
            Contact.scenario["title"].as_string(),
            Contact.scenario["reason"].as_string(),
            Contact.channel,
            Contact.status,
            Contact.mode,
        )
        .where(Contact.learner_id == learner.id)
        .order_by(Contact.position)
    )
    return [
        QueueItem(cid, position, scenario_id if title is None else title, reason or "", channel, status, mode)
        for cid, position, scenario_id, title, reason, channel, status, mode in rows
    ]


def released_contact_ids(learner: User) -> set[int]:
    """The ids of the learner's contacts whose report has been released to them (one query)."""
    return set(
        db.session.execute(
            select(Assessment.contact_id)
            .join(Contact, Contact.id == Assessment.contact_id)
            .where(
                Contact.learner_id == learner.id,
                Assessment.released_at.is_not(None),
                Assessment.voided_at.is_(None),
            )
        ).scalars()
    )
