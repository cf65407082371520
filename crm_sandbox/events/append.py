"""Appending events: the only way anything is recorded on a contact."""

from typing import Any, Mapping

from sqlalchemy import select

from crm_sandbox.compliance.pci import mask_card_data
from crm_sandbox.events.chain import link_mac
from crm_sandbox.events.registry import MASKED_KEYS, validate
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Event, utcnow


def lock_contact(contact_id: int) -> Contact | None:
    """Load a contact holding its row lock (PostgreSQL) inside a write transaction."""
    return db.session.execute(select(Contact).where(Contact.id == contact_id).with_for_update()).scalar_one_or_none()


def our_token(form_token: str | None) -> str | None:
    """The form's one-time token, or None for one the sandbox cannot have issued (longer than the
    column holds: PostgreSQL would refuse to store it, SQLite would store it whole)."""
    return form_token if form_token and len(form_token) <= Event.form_token.type.length else None


def token_used(contact: Contact, form_token: str | None) -> bool:
    """Whether an event of ``contact`` was already recorded from the form with this one-time token."""
    form_token = our_token(form_token)
    if not form_token:
        return False
    return (
        db.session.execute(
            select(Event.id).where(Event.contact_id == contact.id, Event.form_token == form_token)
        ).first()
        is not None
    )


def append_event(
    contact: Contact,
    type: str,
    data: Mapping[str, Any] | None = None,
    *,
    actor: str,
    user_id: int | None = None,
    form_token: str | None = None,
) -> Event:
    """Append one event to ``contact`` in the current write transaction and return it.

    The type and its data must be what the event registry declares (``events/registry.py``):
    anything else raises ``UnknownEventType`` or ``MalformedEvent`` and nothing is recorded. The
    caller holds the write lock (operations use ``contact_operation``), so the chain head read here
    is still the head when the event is inserted. Card data in its text is masked first. The
    contact's findings are not refreshed here: the operation does that once it has appended all
    its events (``ContactOperation.refresh_findings``).
    """
    validate(type, data)
    masked = mask_card_fields(dict(data or {}))
    head = db.session.execute(
        select(Event.seq, Event.mac).where(Event.contact_id == contact.id).order_by(Event.seq.desc()).limit(1)
    ).first()
    event = Event(
        contact_id=contact.id,
        seq=(head.seq if head else 0) + 1,
        at=utcnow(),
        actor=actor,
        actor_user_id=user_id,
        type=type,
        data=masked,
        form_token=our_token(form_token),
    )
    event.mac = link_mac(head.mac if head else "", event)
    db.session.add(event)
    db.session.flush()
    return event


def mask_card_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Card numbers and security codes in the event's text are stored masked (PCI DSS 3.3.1, 3.4.1);
    what was masked is kept in ``card_data`` so the finding survives."""
    masked: list[dict[str, str]] = []
    for key in MASKED_KEYS:
        if isinstance(data.get(key), str):
            data[key], found = mask_card_data(data[key])
            masked += found
    if masked:
        data["card_data"] = masked
    return data


def contact_events(contact_id: int, *types: str) -> list[Event]:
    """All events of a contact, in order (only those of ``types`` when given)."""
    query = select(Event).where(Event.contact_id == contact_id)
    if types:
        query = query.where(Event.type.in_(types))
    return list(db.session.execute(query.order_by(Event.seq)).scalars())
