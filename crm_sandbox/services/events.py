"""Appending events: the only way anything is recorded on a contact."""
from sqlalchemy import func, select

from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Event, utcnow


TOUCHED = "contacts_with_new_events"  # session.info key: contacts whose findings need refreshing


def lock_contact(contact_id: int) -> Contact | None:
    """Load a contact holding its row lock (PostgreSQL) inside a write transaction."""
    return db.session.execute(
        select(Contact).where(Contact.id == contact_id).with_for_update()
    ).scalar_one_or_none()


def token_used(contact: Contact, form_token: str | None) -> bool:
    """Whether an event of ``contact`` was already recorded from the form with this one-time token."""
    if not form_token:
        return False
    return db.session.execute(
        select(Event.id).where(Event.contact_id == contact.id, Event.form_token == form_token)
    ).first() is not None


def append_event(contact: Contact, type: str, data: dict | None = None, *, actor: str,
                 user_id: int | None = None, form_token: str | None = None) -> Event:
    """Append one event to ``contact`` in the current write transaction and return it."""
    last = db.session.execute(
        select(func.max(Event.seq)).where(Event.contact_id == contact.id)
    ).scalar()
    event = Event(contact_id=contact.id, seq=(last or 0) + 1, at=utcnow(), actor=actor,
                  actor_user_id=user_id, type=type, data=data or {}, form_token=form_token or None)
    db.session.add(event)
    db.session.flush()
    # The live findings are refreshed before the transaction commits (services/findings.py).
    db.session().info.setdefault(TOUCHED, set()).add(contact.id)
    return event


def contact_events(contact_id: int) -> list[Event]:
    """All events of a contact, in order."""
    return list(db.session.execute(
        select(Event).where(Event.contact_id == contact_id).order_by(Event.seq)
    ).scalars())
