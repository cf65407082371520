"""The scripted caller's replies in time, and its mood as events. No background process:

- ``decide_reply`` runs when the adviser's message is saved (in ``send_message``'s operation): the reply is
  decided there and recorded as ``caller.typing`` with the time it falls due (``scenarios/dialogue/timing``).
  A message sent while the caller is still typing supersedes that event: one new reply answers both.
- ``deliver_due_replies`` runs on the first request after that time (the desk and its poll): it appends the
  reply as ``message.received`` under the contact's lock, so two requests at once deliver it once.
- ``cancel_pending_reply`` runs when an assessor takes over the caller: a reply still being typed is
  cancelled by a ``caller.typing`` event that replaces it with nothing (``cancelled``), so the evidence says
  so and the reply is never delivered after the take-over. A reply already due is delivered first: the
  caller had finished typing it before the take-over.
- ``record_mood`` appends a ``caller.mood`` event for each change the adviser's message caused.

With ``CALLER_REPLY_DELAYS`` off (the default under test) the reply is appended at once, as before.
``clock`` is the time this module reads; tests replace it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from flask import current_app

from crm_sandbox.errors import Conflict, NotFound
from crm_sandbox.events.append import contact_events
from crm_sandbox.events.registry import CALLER_MOOD, CALLER_SCREEN, CALLER_TYPING, MESSAGE_RECEIVED, MESSAGE_SENT
from crm_sandbox.models import Contact, Event, utcnow
from crm_sandbox.operations.contact_operation import ContactOperation, contact_operation
from crm_sandbox.queries.caller_state import due_at, pending_reply, reply_window
from crm_sandbox.queries.customers import customer_dict
from crm_sandbox.scenarios import caller
from crm_sandbox.scenarios.dialogue import mood
from crm_sandbox.scenarios.dialogue.timing import reply_delay

clock: Callable[[], datetime] = utcnow


def delays_on() -> bool:
    return bool(current_app.config.get("CALLER_REPLY_DELAYS", not current_app.testing))


def as_history(events: list[Event]) -> list[dict[str, Any]]:
    """Events as the plain dicts the scripted caller reads."""
    return [{"seq": e.seq, "type": e.type, "actor": e.actor, "data": e.data} for e in events]


def is_due(typing: Event) -> bool:
    return due_at(typing) <= clock()


def record_mood(op: ContactOperation, sent: Event) -> None:
    """A ``caller.mood`` event for each way the adviser's message ``sent`` moved the caller's mood."""
    scenario = op.contact.scenario
    earlier = [str(e.data.get("text", "")) for e in contact_events(op.contact.id) if e.type == MESSAGE_SENT]
    earlier = earlier[:-1] if earlier and earlier[-1] == sent.data.get("text") else earlier
    now = mood.replay(scenario, earlier)
    for change in mood.changes(scenario, earlier, str(sent.data.get("text", ""))):
        now = now.moved(change)
        data = {"cause": change.cause, "reason": change.reason, "patience": change.patience, "trust": change.trust}
        data |= {"patience_now": now.patience, "trust_now": now.trust, "message_seq": sent.seq}
        op.append(CALLER_MOOD, data, actor="caller")


def decide_reply(op: ContactOperation, sent: Event, subject: str | None) -> None:
    """Decide the caller's reply to ``sent`` (and to any message it was still typing a reply to)."""
    events = contact_events(op.contact.id)
    pending = pending_reply(events)
    if pending is not None and is_due(pending):
        deliver(op, pending)  # it was due before this message: the caller had finished typing
        pending, events = None, contact_events(op.contact.id)
    answering = [*(pending.data["reply_to"] if pending is not None else []), sent.seq]
    texts = [str(e.data.get("text", "")) for e in events if e.seq in answering and e.type == MESSAGE_SENT]
    combined = "\n".join(texts)
    earlier = [e for e in events if e.seq < answering[0] or e.type == CALLER_SCREEN]  # the screen as it is now
    history = [*as_history(earlier), _message(sent.seq, combined, bool(sent.data.get("public")))]
    reply = caller.reply(op.contact.scenario, customer_dict(op.contact.customer), history, combined)
    if reply.screen is not None:  # guided digital help: the caller did what the adviser said
        op.append(
            CALLER_SCREEN,
            {"step": reply.screen.id, "shows": reply.screen.shows, "message_seq": sent.seq},
            actor="caller",
        )
    if not reply.text:
        return
    extra: dict[str, Any] = {"ends": True} if reply.ends else {}
    if subject is not None:  # the email channel: the reply keeps the thread's subject
        extra["subject"] = f"Re: {subject.removeprefix('Re: ')}"
    if not delays_on():
        op.append(MESSAGE_RECEIVED, {"text": reply.text, **extra}, actor="caller")
        return
    due = clock() + timedelta(seconds=reply_delay(op.contact.scenario, reply.text))
    data = {"text": reply.text, "due_at": due.isoformat(), "reply_to": answering, **extra}
    if pending is not None:
        data["replaces"] = pending.seq
    op.append(CALLER_TYPING, data, actor="caller")


def _message(seq: int, text: str, public: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"text": text, "public": True} if public else {"text": text}
    return {"seq": seq, "type": MESSAGE_SENT, "actor": "learner", "data": data}


def deliver(op: ContactOperation, typing: Event) -> None:
    """Append the reply ``typing`` decided, as the caller's message."""
    data = {k: typing.data[k] for k in ("text", "ends", "subject") if k in typing.data}
    op.append(MESSAGE_RECEIVED, {**data, "typing_seq": typing.seq}, actor="caller")


TAKEN_OVER = "an assessor took over the caller"


def cancel_pending_reply(op: ContactOperation, reason: str = TAKEN_OVER) -> None:
    """Stop the caller typing (under ``op``'s lock): a reply not yet due is cancelled, one already due is
    delivered (it was finished before), so none arrives afterwards."""
    pending = pending_reply(reply_window(op.contact.id))
    if pending is None:
        return
    if is_due(pending):
        deliver(op, pending)
        return
    data = {"text": "", "due_at": clock().isoformat(), "reply_to": pending.data["reply_to"]}
    op.append(CALLER_TYPING, {**data, "replaces": pending.seq, "cancelled": reason}, actor="caller")


def deliver_due_replies(contact: Contact, events: list[Event] | None = None) -> int:
    """Append the caller's reply whose time has come, if any; how many were appended (0 or 1).

    Read first without a lock (most polls find nothing due; ``events``: the contact's events when the caller
    has them already, else only its reply window is read), then again under the contact's lock, so two
    requests at once append it once and neither loses it.
    """
    pending = pending_reply(reply_window(contact.id) if events is None else events)
    if pending is None or not is_due(pending) or contact.status == "closed" or contact.role_player_id is not None:
        return 0  # nothing due, or the assessor plays the caller now: the script says nothing
    try:
        with contact_operation(contact, repeated=None) as op:
            pending = pending_reply(reply_window(op.contact.id))
            if pending is None or not is_due(pending):
                return 0  # the other request delivered it
            deliver(op, pending)
            op.refresh_findings()
            return 1
    except (Conflict, NotFound):  # closed or removed meanwhile: nothing to deliver
        return 0
