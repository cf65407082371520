"""The complaints a root-cause task analyses: the seeded ones and the cohort's own (complaints learners
logged on closed contacts), each with a reference, a channel and a summary with personal details removed.

A cohort complaint is offered only from a learner opted in to reviews now, never the reviewer's own, and
its summary is scrubbed of every name known to its contact (``names.contact_secrets``)."""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from crm_sandbox.content.level3 import load_complaints
from crm_sandbox.events.registry import COMPLAINT_RAISED
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Event
from crm_sandbox.queries.level3.consent import opted_in
from crm_sandbox.queries.level3.names import contact_secrets
from crm_sandbox.queries.level3.redact import scrub
from crm_sandbox.queries.session_export import session_document


@dataclass(frozen=True)
class Complaint:
    ref: str
    channel: str
    summary: str
    cause: str  # the planted cause of a seeded complaint (for the assessor); "" for the cohort's own


def cohort_complaints(cohort_id: int, reviewer_id: int) -> list[Complaint]:
    rows = db.session.execute(
        select(Event, Contact)
        .join(Contact, Contact.id == Event.contact_id)
        .where(
            Contact.cohort_id == cohort_id,
            Contact.status == "closed",
            Contact.learner_id != reviewer_id,
            Event.type == COMPLAINT_RAISED,
        )
        .order_by(Event.id)
    ).all()
    willing: dict[int, bool] = {}
    secrets: dict[int, tuple[list[tuple[str, str]], set[str]]] = {}
    found = []
    for event, contact in rows:
        if not willing.setdefault(contact.learner_id, opted_in(contact.learner_id)):
            continue
        if contact.id not in secrets:
            secrets[contact.id] = contact_secrets(contact, session_document(contact))
        summary = scrub(event.data.get("summary", ""), *secrets[contact.id])
        found.append(Complaint(f"own-{contact.id}-{event.seq}", contact.channel, summary, ""))
    return found


def complaints_for(cohort_id: int, reviewer_id: int) -> list[Complaint]:
    """What ``reviewer_id`` (the task's learner) may analyse: the seeded complaints and the cohort's own."""
    seeded = [
        Complaint(c["ref"], c["channel"], c["summary"], c["cause"])
        for c in load_complaints(current_app.config["SEED_DIR"])
    ]
    return seeded + cohort_complaints(cohort_id, reviewer_id)
