"""A learner's Level 3 work as an evidence pack carries it (``level3.json``, format
``crm-sandbox/level3@1``): each task as assigned, every event of its stream (with the chain's MACs, so the
centre can re-check it with the chain key) and where it stands; and the learner's opt-in history."""

from typing import Any

from sqlalchemy import select

from crm_sandbox.events.registry import describe_level3
from crm_sandbox.events.streams import stream_events, verify_stream
from crm_sandbox.extensions import db
from crm_sandbox.models import Level3Event, User
from crm_sandbox.queries.level3.consent import consent_history
from crm_sandbox.queries.level3.schema import level3_enabled
from crm_sandbox.queries.level3.tasks import task_stream, tasks_of

FORMAT = "crm-sandbox/level3@1"


def _event(e: Level3Event) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at.isoformat(),
        "actor": e.actor,
        "type": e.type,
        "what": describe_level3(e),
        "data": e.data,
        "mac": e.mac,
    }


def level3_document(learner: User) -> dict[str, Any] | None:
    """None when the learner has no Level 3 work and never opted in (the pack then has no level3.json), or
    the database is not upgraded yet."""
    if not level3_enabled():
        return None
    tasks, consents = tasks_of(learner.id), consent_history(learner.id)
    if not tasks and not consents:
        return None
    return {
        "format": FORMAT,
        "learner": learner.username,
        "tasks": [
            {
                "id": t.id,
                "kind": t.kind,
                "title": t.title,
                "spec": t.spec,
                "status": t.status,
                "outcome": t.outcome,
                "chain_ok": verify_stream(task_stream(t.id)),
                "events": [_event(e) for e in stream_events(task_stream(t.id))],
            }
            for t in tasks
        ],
        "review_consent": [_event(e) for e in consents],
    }


def broken_streams() -> tuple[int, list[str]]:
    """How many Level 3 streams there are, and those whose HMAC chain no longer verifies (``verify-log``)."""
    if not level3_enabled():
        return 0, []
    streams = db.session.execute(select(Level3Event.stream).distinct().order_by(Level3Event.stream)).scalars().all()
    return len(streams), [s for s in streams if not verify_stream(s)]
