"""Appending events to a Level 3 stream (``task:12``, ``consent:5``, ``reference:40``, ``targets:2``):
the same HMAC chain as a contact's, one chain per stream, types from ``LEVEL3_REGISTRY``."""

import hashlib
import hmac
import json
from typing import Any, Mapping

from sqlalchemy import select

from crm_sandbox.events.chain import GENESIS, chain_key
from crm_sandbox.events.registry import validate_level3
from crm_sandbox.extensions import db
from crm_sandbox.models import Level3Event, utcnow


def canonical(event: Level3Event) -> bytes:
    return json.dumps(
        {
            "stream": event.stream,
            "seq": event.seq,
            "at": event.at.isoformat(),
            "actor": event.actor,
            "actor_user_id": event.actor_user_id,
            "type": event.type,
            "data": event.data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def stream_mac(prev_mac: str, event: Level3Event) -> str:
    return hmac.new(chain_key(), GENESIS + prev_mac.encode() + b"\n" + canonical(event), hashlib.sha256).hexdigest()


def append_to_stream(
    cohort_id: int, stream: str, type: str, data: Mapping[str, Any] | None, *, actor: str, user_id: int | None
) -> Level3Event:
    """Append one event to ``stream`` in the current write transaction (the caller holds the write lock)."""
    validate_level3(type, data)
    head = db.session.execute(
        select(Level3Event.seq, Level3Event.mac)
        .where(Level3Event.stream == stream)
        .order_by(Level3Event.seq.desc())
        .limit(1)
    ).first()
    event = Level3Event(
        cohort_id=cohort_id,
        stream=stream,
        seq=(head.seq if head else 0) + 1,
        at=utcnow(),
        actor=actor,
        actor_user_id=user_id,
        type=type,
        data=dict(data or {}),
    )
    event.mac = stream_mac(head.mac if head else "", event)
    db.session.add(event)
    db.session.flush()
    return event


def stream_events(stream: str) -> list[Level3Event]:
    return list(
        db.session.execute(select(Level3Event).where(Level3Event.stream == stream).order_by(Level3Event.seq)).scalars()
    )


def verify_stream(stream: str) -> bool:
    """Whether the stream's chain still holds."""
    prev = ""
    for event in stream_events(stream):
        if not hmac.compare_digest(event.mac, stream_mac(prev, event)):
            return False
        prev = event.mac
    return True
