"""The interaction log: contemporaneous notes, amended by new versions, never deleted."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from crm_sandbox.content.responses import load_outcomes
from crm_sandbox.errors import ServiceError
from crm_sandbox.events.append import contact_events
from crm_sandbox.events.registry import NOTE_ADDED, NOTE_AMENDED
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Event, User
from crm_sandbox.operations.contact_operation import contact_operation
from crm_sandbox.operations.desk.conversation import check_text

MAX_NOTE_LENGTH = 4000
MAX_REASON_LENGTH = 500


@dataclass
class NoteVersion:
    seq: int
    at: datetime
    text: str
    reason: str | None = None  # why it was amended (None for the original)


@dataclass
class Note:
    """A note with every version, the original first."""

    contact_id: int
    seq: int
    outcome: str | None
    versions: list[NoteVersion] = field(default_factory=list)

    @property
    def current(self) -> NoteVersion:
        return self.versions[-1]

    @property
    def amended(self) -> bool:
        return len(self.versions) > 1


def notes_from(events: Iterable[Event]) -> list[Note]:
    """The notes recorded in ``events`` (of one or more contacts), each with its amendments."""
    notes: dict[tuple[int, int], Note] = {}
    for ev in events:
        if ev.type == NOTE_ADDED:
            notes[(ev.contact_id, ev.seq)] = Note(
                ev.contact_id, ev.seq, ev.data.get("outcome"), [NoteVersion(ev.seq, ev.at, ev.data["text"])]
            )
        elif ev.type == NOTE_AMENDED and (ev.contact_id, ev.data["note_seq"]) in notes:
            notes[(ev.contact_id, ev.data["note_seq"])].versions.append(
                NoteVersion(ev.seq, ev.at, ev.data["text"], ev.data.get("reason"))
            )
    return list(notes.values())


def customer_history(customer_id: int, exclude_contact_id: int, learner_id: int) -> list[Note]:
    """Notes ``learner_id``'s other, closed contacts wrote about this customer, newest first (shown only
    once verified). Another learner's notes never: their work is private."""
    events = (
        db.session.execute(
            select(Event)
            .join(Contact, Event.contact_id == Contact.id)
            .where(
                Contact.customer_id == customer_id,
                Contact.id != exclude_contact_id,
                Contact.learner_id == learner_id,
                Contact.status == "closed",
                Event.type.in_((NOTE_ADDED, NOTE_AMENDED)),
            )
            .order_by(Event.contact_id, Event.seq)
        )
        .scalars()
        .all()
    )
    return sorted(notes_from(events), key=lambda n: n.versions[0].at, reverse=True)


def outcome_codes() -> dict[str, str]:
    return {o["code"]: o["label"] for o in load_outcomes(current_app.config["SEED_DIR"])}


def add_note(contact: Contact, user: User, text: str, outcome: str | None, form_token: str | None = None) -> None:
    """Add a note to the interaction log (also after closing: a late note is still evidence)."""
    text = check_text(text, "note", MAX_NOTE_LENGTH)
    if outcome and outcome not in outcome_codes():
        raise ServiceError("Choose an outcome code from the list.")
    data = {"text": text, "outcome": outcome} if outcome else {"text": text}
    with contact_operation(contact, form_token, allow_closed=True, repeated="That note was already saved.") as op:
        op.append(NOTE_ADDED, data, actor="learner", user=user)
        op.refresh_findings()


def amend_note(
    contact: Contact, user: User, note_seq: int, text: str, reason: str, form_token: str | None = None
) -> None:
    """Amend a note: a new version with a reason; the original stays visible."""
    text = check_text(text, "amended note", MAX_NOTE_LENGTH)
    reason = check_text(reason, "reason for the amendment", MAX_REASON_LENGTH)
    with contact_operation(contact, form_token, allow_closed=True, repeated="That amendment was already saved.") as op:
        notes = {n.seq: n for n in notes_from(contact_events(op.contact.id))}
        if note_seq not in notes:
            raise ServiceError("There is no such note on this contact to amend.")
        if notes[note_seq].current.text == text:
            raise ServiceError("The amended text is the same as the note: change it, or leave the note as it is.")
        op.append(NOTE_AMENDED, {"note_seq": note_seq, "text": text, "reason": reason}, actor="learner", user=user)
        op.refresh_findings()
