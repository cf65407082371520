"""Each contact's rules-engine state (``compliance/fold.py``), kept after its last event so a refresh
folds in only the events after it: an append costs the work of its own events, not the contact's history.

The state is rebuilt from the contact's events when it is missing, cannot be decrypted, was made by
other rules (``ENGINE``: the compliance code and vocabulary it ran) or for another header (the customer
record, policy, scenario or caller changed). ``rebuild`` rebuilds every one (``flask rebuild-summaries``).
"""

import hashlib
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from crm_sandbox.compliance import FORMAT, fold
from crm_sandbox.compliance.vocabulary import VOCABULARY_DIR
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Event, RuleState
from crm_sandbox.models.personal import UndecryptableError, decrypt, encrypt_json
from crm_sandbox.queries.session_export import export_event, session_setting

COMPLIANCE_DIR = Path(fold.__file__).resolve().parent


@cache
def engine_version() -> str:
    """A digest of the rules' code and vocabulary: a state made by other rules is rebuilt, not carried on."""
    digest = hashlib.sha256()
    for root in (COMPLIANCE_DIR, VOCABULARY_DIR):
        for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".py", ".yaml", ".json")):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def rules_header(contact: Contact) -> dict[str, Any]:
    """The session header the rules read: the export's, without what changes as the contact goes on (its
    status) or what the rules never read (its learner and mode)."""
    return {
        "format": FORMAT,
        "contact": {"id": f"c-{contact.id}", "channel": contact.channel},
        **session_setting(contact),
    }


def enabled(session: Session) -> bool:
    """Whether the database has the states' table (on one not yet upgraded the rules fold every event of
    the contact on each refresh, as before, and keep nothing)."""
    if current_app.extensions.get("rule_states_enabled"):
        return True
    found = inspect(session.connection()).has_table(RuleState.__tablename__)
    if found:  # only a yes is kept: a database upgraded meanwhile is noticed
        current_app.extensions["rule_states_enabled"] = True
    return bool(found)


def _stored(session: Session, contact_id: int, header: dict[str, Any]) -> fold.State | None:
    row = session.get(RuleState, contact_id)
    if row is None or row.engine != engine_version():
        return None
    try:
        state = fold.from_json(json.loads(decrypt(row.state)))
    except (UndecryptableError, ValueError, KeyError, TypeError):
        return None  # unreadable or not a state: rebuilt from the events
    return state if state.header == header and state.last_seq == row.seq else None


def _fold_events(session: Session, contact: Contact, state: fold.State) -> fold.State:
    """``state`` with the contact's events after its cursor folded in (read by seq > cursor)."""
    refs = {contact.customer_id: contact.customer.ref}
    events = session.execute(
        select(Event).where(Event.contact_id == contact.id, Event.seq > state.last_seq).order_by(Event.seq)
    ).scalars()
    return fold.step_all(state, (export_event(e, refs) for e in events))


def _store(session: Session, contact_id: int, state: fold.State) -> None:
    token = encrypt_json(fold.to_json(state))
    row = session.get(RuleState, contact_id)
    if row is None:
        session.add(RuleState(contact_id=contact_id, seq=state.last_seq, engine=engine_version(), state=token))
    else:
        row.seq, row.engine, row.state = state.last_seq, engine_version(), token


def current_state(contact: Contact, session: Session | None = None) -> fold.State:
    """The contact's state after its last event (the stored one carried on, or rebuilt), stored again."""
    session = session or db.session()
    header = rules_header(contact)
    if not enabled(session):
        return _fold_events(session, contact, fold.start(header))
    stored = _stored(session, contact.id, header)
    state = _fold_events(session, contact, stored or fold.start(header))
    if stored is None or state.last_seq != stored.last_seq:
        _store(session, contact.id, state)
    return state


def rebuild(session: Session, contact_ids: list[int], progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the states of ``contact_ids`` from their events; returns how many."""
    if not enabled(session):
        return 0
    for cid in contact_ids:
        contact = session.get(Contact, cid)
        if contact is not None:
            _store(session, cid, _fold_events(session, contact, fold.start(rules_header(contact))))
        if progress:
            progress(1)
    return len(contact_ids)


def differing(session: Session, contact_ids: list[int]) -> list[int]:
    """The contacts whose stored state is missing, stale or not what rebuilding it from the events gives."""
    out: list[int] = []
    if not enabled(session):
        return out
    for cid in contact_ids:
        contact = session.get(Contact, cid)
        if contact is None:
            continue
        header = rules_header(contact)
        stored = _stored(session, cid, header)
        fresh = _fold_events(session, contact, fold.start(header))
        if stored is None and fresh.last_seq < 0 and session.get(RuleState, cid) is None:
            continue  # no events yet, and no state kept for none
        if stored is None or fold.to_json(stored) != fold.to_json(fresh):
            out.append(cid)
    return out
