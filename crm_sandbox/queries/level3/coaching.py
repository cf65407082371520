"""The coaching feedback other learners (as team leaders) wrote on an agent's contacts in quality reviews,
as the agent reads it: only on their own contacts, only once the review is submitted, and without the
reviewer's name (reviews are anonymous both ways)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from crm_sandbox.events.registry import QUALITY_SCORED
from crm_sandbox.events.streams import stream_events
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Level3Task, User
from crm_sandbox.queries.level3.schema import level3_enabled
from crm_sandbox.queries.level3.tasks import task_stream


@dataclass(frozen=True)
class Coaching:
    contact: str  # the contact's title
    score: int
    feedback: str
    at: datetime


def coaching_for(agent: User) -> list[Coaching]:
    if not level3_enabled() or agent.cohort_id is None:
        return []
    mine = {
        f"contact:{c.id}": c.title
        for c in db.session.execute(select(Contact).where(Contact.learner_id == agent.id)).scalars()
    }
    tasks = db.session.execute(
        select(Level3Task).where(
            Level3Task.cohort_id == agent.cohort_id,
            Level3Task.kind == "quality_review",
            Level3Task.status != "assigned",  # submitted or signed: the reviewer's scoring is final
            Level3Task.learner_id != agent.id,
        )
    ).scalars()
    found = []
    for task in tasks:
        refs = [r for r in task.spec.get("items", []) if r in mine]
        if not refs:
            continue
        newest = {e.data.get("item"): e for e in stream_events(task_stream(task.id)) if e.type == QUALITY_SCORED}
        for ref in refs:
            if ref in newest:
                e = newest[ref]
                found.append(Coaching(mine[ref], int(e.data["score"]), str(e.data["feedback"]), e.at))
    return sorted(found, key=lambda c: c.at, reverse=True)
