"""A contact replayed: the desk as it was at any event, rebuilt from the events alone.

The conversation so far, the record opened then (masked or revealed as the ID&V state then allowed, with
the details as they stood then: each ``record.updated`` keeps the value it replaced), the ID&V panel, the
notes and the findings the rules raise on the events so far; once verified, the record's transactions and
its history as the learner saw them then (the seeded earlier interactions, and the notes of the learner's
own contacts with this customer closed by then, as they read then). Nothing is read from the desk's current
state but the customer's record as generated (the subject of the session export), so the replay is the
proof that the events are the whole evidence.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import select

from crm_sandbox.compliance import RuleFinding, evaluate
from crm_sandbox.compliance.verification import IdvState, verification_state
from crm_sandbox.events.append import contact_events
from crm_sandbox.events.registry import (
    CALLER_SCREEN,
    CONTACT_CLOSED,
    CONTACT_OPENED,
    CUSTOMER_VIEWED,
    NOTE_ADDED,
    NOTE_AMENDED,
    RECORD_UPDATED,
)
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Customer, Event
from crm_sandbox.operations.desk.notes import Note, notes_from
from crm_sandbox.queries import caller_state
from crm_sandbox.queries.session_export import session_document
from crm_sandbox.queries.workspace import MESSAGE_TYPES
from crm_sandbox.scenarios.dialogue import screen as screen_rules
from crm_sandbox.scenarios.neutral import shown_subject


class AsThen:
    """``thing`` with some attributes as they were at an earlier event (``overrides``)."""

    def __init__(self, thing: Any, **overrides: Any) -> None:
        self._thing, self._overrides = thing, overrides

    def __getattr__(self, name: str) -> Any:
        return self._overrides[name] if name in self._overrides else getattr(self._thing, name)


@dataclass
class DeskAt:
    """The desk of ``contact`` as it was just after event ``seq`` (what ``learner/_record.html`` and
    ``learner/_note_list.html`` read, as ``queries.workspace.Workspace`` offers it live)."""

    contact: Any  # the contact, with its status as it was then
    seq: int
    events: list[Event]  # every event up to and including ``seq``
    idv: IdvState
    record: Any | None  # the record open then, its details as they stood then
    record_id: int | None
    all_events: list[Event]

    @property
    def event(self) -> Event | None:
        return self.events[-1] if self.events else None

    @property
    def messages(self) -> list[Event]:
        return [e for e in self.events if e.type in MESSAGE_TYPES]

    @property
    def typing(self) -> bool:
        """Whether the caller was typing a reply then (decided, not yet delivered nor cancelled)."""
        return self.contact.status == "live" and caller_state.caller_typing(self.contact, self.events)

    @property
    def notes(self) -> list[Note]:
        return notes_from(self.events)

    @property
    def idv_answers(self) -> list[Event]:
        return [e for e in self.events if e.type == "idv.answer"]

    @property
    def verified(self) -> bool:
        return self.record_id is not None and self.record_id == self.contact.customer_id and self.idv.verified

    def history(self) -> list[Note]:
        """The notes of the learner's other contacts with the open record, as the desk listed them then
        (``Workspace.history``): only once verified, only contacts closed by then, each note as it read then."""
        if not (self.verified and self.record and self.event):
            return []
        return history_at(self.record.id, self.contact._thing, self.event.at)

    def subject(self, recorded: str | None) -> str:
        return shown_subject(self.contact.scenario, recorded)

    @property
    def screen(self) -> str | None:
        """Guided digital help: what the caller's screen showed then (None when the scenario has no screen)."""
        history = [{"type": e.type, "data": e.data} for e in self.events if e.type == CALLER_SCREEN]
        step = screen_rules.current(self.contact.scenario or {}, history)
        return step.shows if step is not None else None

    @cached_property
    def findings(self) -> list[RuleFinding]:
        """What the rules raise on the events so far (the contact as it stood then: live, or closed)."""
        doc = session_document(self.contact._thing, self.events)
        doc["contact"]["status"] = self.contact.status
        return evaluate(doc)


def history_at(customer_id: int, contact: Contact, until: datetime) -> list[Note]:
    """Notes ``contact``'s learner wrote on their other contacts with ``customer_id`` that were closed by
    ``until``, with the versions recorded by then, newest first (``notes.customer_history`` at a time)."""
    others = select(Contact.id).where(
        Contact.customer_id == customer_id, Contact.id != contact.id, Contact.learner_id == contact.learner_id
    )
    query = (
        select(Event)
        .where(
            Event.contact_id.in_(others),
            Event.at <= until,
            Event.type.in_((NOTE_ADDED, NOTE_AMENDED, CONTACT_CLOSED)),
        )
        .order_by(Event.contact_id, Event.seq)
    )
    events = list(db.session.execute(query).scalars())
    closed = {e.contact_id for e in events if e.type == CONTACT_CLOSED}
    notes = notes_from(e for e in events if e.contact_id in closed)
    return sorted(notes, key=lambda n: n.versions[0].at, reverse=True)


def status_at(events: list[Event]) -> str:
    """The contact's status after ``events``: queued until taken, live, then closed."""
    types = {e.type for e in events}
    return "closed" if CONTACT_CLOSED in types else "live" if CONTACT_OPENED in types else "queued"


def record_at(customer: Customer, events: list[Event], later: list[Event]) -> AsThen:
    """The caller's record as it stood after ``events``: each detail changed ``later`` taken back to the
    value its first later change replaced (a change recorded before ``previous`` was kept stays as now)."""
    then: dict[str, str] = {}
    for e in later:
        if e.type == RECORD_UPDATED and e.data["field"] not in then and "previous" in e.data:
            then[e.data["field"]] = e.data["previous"]
    return AsThen(customer, **then)


def desk_at(contact: Contact, seq: int | None = None, events: list[Event] | None = None) -> DeskAt:
    """The desk of ``contact`` just after its event ``seq`` (the last event when None or past it)."""
    events = contact_events(contact.id) if events is None else events
    if seq is None:
        seq = events[-1].seq if events else 0
    upto = [e for e in events if e.seq <= seq]
    later = [e for e in events if e.seq > seq]
    status = status_at(upto)
    idv = IdvState() if status == "queued" else verification_state(contact.policy, upto)
    record_id = next((e.data["customer_id"] for e in reversed(upto) if e.type == CUSTOMER_VIEWED), None)
    record = None
    if record_id is not None:
        customer = db.session.get(Customer, record_id)
        if customer is not None:
            record = record_at(customer, upto, later) if record_id == contact.customer_id else AsThen(customer)
    return DeskAt(AsThen(contact, status=status), upto[-1].seq if upto else 0, upto, idv, record, record_id, events)
