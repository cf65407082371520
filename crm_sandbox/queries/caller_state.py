"""What the scripted caller is doing and how the caller's mood moved, read from a contact's events.

``caller_typing``: a reply has been decided (``caller.typing``) and not yet delivered, so the desk shows
"the caller is typing". ``mood_lines``: the ``caller.mood`` events as the assessor reads them, context for
the learner's message that caused each change (the evidence is that message, never the mood).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import func, select

from crm_sandbox.events.registry import CALLER_MOOD, CALLER_TYPING, MESSAGE_RECEIVED
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Event


def reply_window(contact_id: int) -> list[Event]:
    """The contact's newest ``caller.typing`` event and every event after it (none if the caller never
    typed): all ``pending_reply`` needs, in one read that does not grow with the contact's history."""
    newest = (
        select(func.max(Event.seq)).where(Event.contact_id == contact_id, Event.type == CALLER_TYPING).scalar_subquery()
    )
    query = select(Event).where(Event.contact_id == contact_id, Event.seq >= newest).order_by(Event.seq)
    return list(db.session.execute(query).scalars())


def pending_reply(events: Iterable[Any]) -> Any | None:
    """The newest ``caller.typing`` event not yet delivered nor superseded nor cancelled, or None (an event
    that only cancels the reply it replaces is never pending itself)."""
    events = list(events)
    delivered = {e.data.get("typing_seq") for e in events if e.type == MESSAGE_RECEIVED}
    replaced = {e.data.get("replaces") for e in events if e.type == CALLER_TYPING}
    waiting = [
        e
        for e in events
        if e.type == CALLER_TYPING and e.seq not in delivered | replaced and not e.data.get("cancelled")
    ]
    return waiting[-1] if waiting else None


def due_at(typing_event: Any) -> datetime:
    return datetime.fromisoformat(str(typing_event.data["due_at"]))


def caller_typing(contact: Contact, events: Iterable[Any] | None = None) -> bool:
    """Whether the caller is typing a reply on ``contact`` (decided, not yet delivered); ``events``: the
    contact's events when the caller has them already (the desk), else its reply window is read."""
    if contact.status == "closed":
        return False
    return pending_reply(reply_window(contact.id) if events is None else events) is not None


@dataclass(frozen=True)
class MoodLine:
    at: datetime
    message_seq: int
    text: str  # "Patience rose after the apology at 10:32"
    rose: bool


def _moved(moved: list[tuple[str, int]]) -> str:
    """ "Patience and trust rose", "Patience rose and trust fell", "Trust fell"."""
    directions = {"rose" if n > 0 else "fell" for _, n in moved}
    if len(moved) == 2 and len(directions) == 1:
        return f"Patience and trust {directions.pop()}"
    words = " and ".join(f"{what} {'rose' if n > 0 else 'fell'}" for what, n in moved) or "mood held"
    return words[:1].upper() + words[1:]


def mood_lines(events: Iterable[Any]) -> list[MoodLine]:
    """Each change of the caller's mood, in order, worded for the assessor."""
    lines = []
    for e in events:
        if e.type != CALLER_MOOD:
            continue
        moved = [(what, e.data.get(what, 0)) for what in ("patience", "trust") if e.data.get(what)]
        text = f"{_moved(moved)} after {e.data.get('reason', '')} at {e.at:%H:%M}"
        lines.append(MoodLine(e.at, int(e.data.get("message_seq", 0)), text, sum(n for _, n in moved) > 0))
    return lines
