"""The assessor's judgements: decisions on findings, criteria judged, and the signed-off assessment.

Decisions and judgements are append-only histories: a new row supersedes, nothing is overwritten. An
assessment is a signed *version*: reopening a review voids the version that stands (kept, readable, with
who voided it, when and why) and a new sign-off makes the next version.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_sandbox.models.base import Base, utcnow
from crm_sandbox.models.user import User

DECISIONS = ("confirmed", "dismissed")
OUTCOMES = {
    "competent": "Competent",
    "not_yet_competent": "Not yet competent",
    "formative": "Formative feedback (practice)",
}
# A practice contact is formative: it is reviewed and given feedback, never judged competent or not.
ASSESSMENT_OUTCOMES = ("competent", "not_yet_competent")
PRACTICE_OUTCOMES = ("formative",)
# How a criterion stands on one contact. "not_covered": the observation did not cover it (the default for a
# criterion the contact's scenario does not cover).
CRITERION_STATUSES = {"met": "Met", "not_met": "Not yet met", "not_covered": "Not covered by this observation"}
# The one wording of how the evidence was gathered: every record, report, PDF and pack states it.
ASSESSMENT_METHOD = "Observation of simulated work (CRM Sandbox)"


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
    """An assessor judging one criterion on a contact: met, not yet met, or not covered by this observation.
    The newest one stands. ``met`` is kept (True only for "met") for rows and readers from before ``status``."""

    __tablename__ = "criterion_judgement"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    criterion_id: Mapped[str] = mapped_column(String(40))
    met: Mapped[bool]
    status: Mapped[str] = mapped_column(String(12), server_default="met")  # a key of CRITERION_STATUSES
    comment: Mapped[str] = mapped_column(Text, default="")
    assessor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    assessor: Mapped[User] = relationship()

    @property
    def status_label(self) -> str:
        return CRITERION_STATUSES.get(self.status, self.status)


class Assessment(Base):
    """One signed version of the judgement on a contact: signed off by the assessor, released to and
    signed by the learner. At most one version of a contact stands (``voided_at`` is None); a reopened
    review's version is voided, never deleted."""

    __tablename__ = "assessment"
    __table_args__ = (UniqueConstraint("contact_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    version: Mapped[int] = mapped_column(server_default="1")  # 1, 2, … per contact
    assessor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    outcome: Mapped[str] = mapped_column(String(20))  # a key of OUTCOMES
    feedback: Mapped[str] = mapped_column(Text)
    # Why "competent" stands despite an unmet criterion or a confirmed high-severity finding.
    override_reason: Mapped[str | None] = mapped_column(Text)
    # What was signed: criterion id -> status, finding key -> decision (None for versions signed before).
    snapshot: Mapped[dict | None]
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]
    learner_comment: Mapped[str | None] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    voided_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    void_reason: Mapped[str | None] = mapped_column(Text)

    assessor: Mapped[User] = relationship(foreign_keys=[assessor_id])
    voider: Mapped[User | None] = relationship(foreign_keys=[voided_by])

    @property
    def voided(self) -> bool:
        return self.voided_at is not None

    @property
    def outcome_label(self) -> str:
        return OUTCOMES.get(self.outcome, self.outcome)
