"""The learner's queue: their contacts in order (neutral entries: see ``scenarios.neutral``), and which
have a report released to them."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.models import Assessment, Contact, User, utcnow
from crm_sandbox.scenarios.neutral import email_subject, neutral_label


@dataclass(frozen=True)
class QueueItem:
    """A contact as the learner's queue lists it: what a real queue shows (the channel, how long the
    customer has waited, the customer's own subject line or a neutral label), never the scenario's
    title or purpose until the contact is closed (``title`` is then the scenario's title)."""

    id: int
    position: int
    title: str
    channel: str
    status: str
    mode: str  # practice | assessment, fixed when assigned
    waiting: str = ""  # how long a queued contact has waited: "12 min", "3 h", "2 days"
    customer_id: int = 0  # the caller's record (for the desk: whether the record has history to read)


def waited(since: datetime | None, now: datetime) -> str:
    """A short waiting time: "under a minute", "12 min", "3 h", "2 days"."""
    if since is None:
        return ""
    minutes = max(int((now - since).total_seconds() // 60), 0)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


def learner_title(status: str, channel: str, scenario: dict, title: str | None = None) -> str:
    """What the learner's desk calls a contact: a neutral label (or the customer's email subject)
    until it is closed, then the scenario's title."""
    if status == "closed" and title:
        return title
    return email_subject(scenario) if channel == "email" else neutral_label(channel, scenario)


def queue_for(learner: User) -> list[QueueItem]:
    """The learner's contacts in queue order (only the columns the queue shows: it is on every desk page)."""
    return queue_of(learner.id)


def queue_of(learner_id: int) -> list[QueueItem]:
    """``queue_for`` the learner with id ``learner_id`` (one query)."""
    rows = db.session.execute(
        select(
            Contact.id,
            Contact.position,
            Contact.scenario_id,
            Contact.scenario["title"].as_string(),
            Contact.scenario["caller"]["subject"].as_string(),
            Contact.scenario["purpose"].as_string(),
            Contact.scenario["direction"].as_string(),
            Contact.channel,
            Contact.status,
            Contact.mode,
            Contact.created_at,
            Contact.customer_id,
        )
        .where(Contact.learner_id == learner_id)
        .order_by(Contact.position)
    )
    now = utcnow()
    items = []
    for (
        cid,
        position,
        scenario_id,
        title,
        subject,
        purpose,
        direction,
        channel,
        status,
        mode,
        created,
        customer_id,
    ) in rows:
        scenario = {"id": scenario_id, "title": title, "purpose": purpose, "caller": {"subject": subject}}
        scenario["direction"] = direction
        items.append(
            QueueItem(
                cid,
                position,
                learner_title(status, channel, scenario, title or scenario_id),
                channel,
                status,
                mode,
                waited(created, now) if status == "queued" else "",
                customer_id,
            )
        )
    return items


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
