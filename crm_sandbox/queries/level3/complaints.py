"""The complaints a root-cause task analyses: the seeded ones and the cohort's own (complaints learners
logged on closed contacts), each with a reference, a channel and a summary with personal details removed."""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from crm_sandbox.content.level3 import load_complaints
from crm_sandbox.events.registry import COMPLAINT_RAISED
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Event
from crm_sandbox.queries.level3.redact import scrub, secrets_of
from crm_sandbox.queries.session_export import session_document


@dataclass(frozen=True)
class Complaint:
    ref: str
    channel: str
    summary: str
    cause: str  # the planted cause of a seeded complaint (for the assessor); "" for the cohort's own


def cohort_complaints(cohort_id: int) -> list[Complaint]:
    rows = db.session.execute(
        select(Event, Contact)
        .join(Contact, Contact.id == Event.contact_id)
        .where(Contact.cohort_id == cohort_id, Contact.status == "closed", Event.type == COMPLAINT_RAISED)
        .order_by(Event.id)
    ).all()
    found = []
    for event, contact in rows:
        doc = session_document(contact, [])
        secrets = secrets_of(doc["customer"], [contact.learner.username, contact.learner.display_name])
        found.append(
            Complaint(
                f"own-{contact.id}-{event.seq}", contact.channel, scrub(event.data.get("summary", ""), secrets), ""
            )
        )
    return found


def complaints_for(cohort_id: int) -> list[Complaint]:
    seeded = [
        Complaint(c["ref"], c["channel"], c["summary"], c["cause"])
        for c in load_complaints(current_app.config["SEED_DIR"])
    ]
    return seeded + cohort_complaints(cohort_id)
