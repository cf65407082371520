"""Level 3 team-leader work: the tasks a trainer assigns (quality reviews, performance monitoring, complaint
root causes) and the professional discussions an assessor records, and their append-only event streams.

A task row is the task's current state; what was done on it (scores, feedback, analysis, questions and
answers, the sign-off) is the events of its stream ``task:<id>``. A learner's opt-in to having their
closed contacts reviewed is the stream ``consent:<learner id>``; a trainer's reference scoring of a
contact is ``reference:<contact id>``; a cohort's KPI targets are ``targets:<cohort id>``. Each stream is
an HMAC chain like a contact's (``events/streams.py``).
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_sandbox.models.base import Base, utcnow
from crm_sandbox.models.personal import EncryptedJSON
from crm_sandbox.models.user import User

TASK_STATUSES = {"assigned": "Assigned", "submitted": "Submitted for assessment", "signed": "Signed off"}


class Level3Task(Base):
    __tablename__ = "level3_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # a key of content.criteria.TASK_KINDS
    title: Mapped[str] = mapped_column(String(120))
    # What was assigned: the scorecard and the items to review (sample ids, contact ids), as the task needs.
    spec: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(12), default="assigned")  # a key of TASK_STATUSES
    assigned_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(20))  # once signed: competent | not_yet_competent

    learner: Mapped[User] = relationship(foreign_keys=[learner_id])
    assigner: Mapped[User] = relationship(foreign_keys=[assigned_by])

    @property
    def status_label(self) -> str:
        return TASK_STATUSES.get(self.status, self.status)

    def __repr__(self) -> str:
        return f"<Level3Task {self.id} {self.kind} {self.status}>"


class Level3Event(Base):
    """One immutable thing done in Level 3 work, on its stream. Never updated, never deleted."""

    __tablename__ = "level3_event"
    __table_args__ = (UniqueConstraint("stream", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    stream: Mapped[str] = mapped_column(String(60), index=True)
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    type: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict] = mapped_column(EncryptedJSON, default=dict)  # feedback may quote a contact: encrypted
    mac: Mapped[str] = mapped_column(String(64), default="")

    def __repr__(self) -> str:
        return f"<Level3Event {self.stream}#{self.seq} {self.type}>"
