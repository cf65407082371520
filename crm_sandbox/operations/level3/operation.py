"""What every Level 3 operation does: one write transaction, the task re-read under its lock and checked,
and the events that evidence the change appended to the stream, all committed together::

    with level3_operation(cohort_id, task_stream(task.id), task=task) as op:
        op.append(QUALITY_SCORED, {...}, actor="learner", user=learner)
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Mapping

from sqlalchemy import select

from crm_sandbox.database import write_transaction
from crm_sandbox.errors import Conflict, NotFound
from crm_sandbox.events.streams import append_to_stream
from crm_sandbox.extensions import db
from crm_sandbox.models import Level3Event, Level3Task, User


class Level3Operation:
    def __init__(self, cohort_id: int, stream: str, task: Level3Task | None) -> None:
        self.cohort_id, self.stream, self.task = cohort_id, stream, task
        self.events: list[Level3Event] = []

    def append(
        self, type: str, data: Mapping[str, Any] | None = None, *, actor: str, user: User | None = None
    ) -> Level3Event:
        event = append_to_stream(
            self.cohort_id, self.stream, type, data, actor=actor, user_id=user.id if user else None
        )
        self.events.append(event)
        return event

    @property
    def locked(self) -> Level3Task:
        """The task re-read under its lock (an operation run with ``task=``)."""
        if self.task is None:
            raise NotFound("There is no such task.")
        return self.task


def lock_task(task_id: int) -> Level3Task:
    task = db.session.execute(select(Level3Task).where(Level3Task.id == task_id).with_for_update()).scalar_one_or_none()
    if task is None:
        raise NotFound("There is no such task.")
    return task


REFUSALS = {
    "submitted": "This task has been submitted for assessment: nothing on it can change now.",
    "signed": "This task is signed off: nothing on it can change. Reopen it, with a reason, to judge it again.",
    "assigned": "This task has not been submitted yet.",
}


def refusal(status: str, states: tuple[str, ...]) -> str:
    if states == ("signed",):
        return "This task is not signed off: there is nothing to reopen."
    return REFUSALS.get(status, "This task cannot change now.")


@contextmanager
def level3_operation(
    cohort_id: int, stream: str, *, task: Level3Task | None = None, states: tuple[str, ...] = ("assigned",)
) -> Iterator[Level3Operation]:
    """Run an operation on ``stream`` in a write transaction; with ``task``, re-read it under its lock and
    refuse unless it is in one of ``states`` (by default: assigned, not yet submitted)."""
    with write_transaction():
        locked = lock_task(task.id) if task is not None else None
        if locked is not None and locked.status not in states:
            raise Conflict(refusal(locked.status, states))
        yield Level3Operation(cohort_id, stream, locked)
