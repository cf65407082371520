"""The assessor's judgements: decisions on findings, criteria met, and the signed-off assessment.

Decisions and judgements are append-only histories: a new row supersedes, nothing is overwritten.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_sandbox.models.base import Base, utcnow
from crm_sandbox.models.user import User

DECISIONS = ("confirmed", "dismissed")
OUTCOMES = {"competent": "Competent", "not_yet_competent": "Not yet competent"}


class FindingDecision(Base):
    """An assessor confirming or dismissing a finding, with a comment. The newest one stands."""

    __tablename__ = "finding_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("finding.id"), index=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    decision: Mapped[str] = mapped_column(String(12))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    assessor: Mapped[User] = relationship()


class CriterionJudgement(Base):
    """An assessor marking one criterion met or not yet met on a contact. The newest one stands."""

    __tablename__ = "criterion_judgement"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    criterion_id: Mapped[str] = mapped_column(String(40))
    met: Mapped[bool]
    comment: Mapped[str] = mapped_column(Text, default="")
    assessor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    assessor: Mapped[User] = relationship()


class Assessment(Base):
    """The judgement on one contact: signed off by the assessor, released to and signed by the learner."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), unique=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    outcome: Mapped[str] = mapped_column(String(20))  # a key of OUTCOMES
    feedback: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]
    learner_comment: Mapped[str | None] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None]

    assessor: Mapped[User] = relationship()
