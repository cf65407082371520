"""Quality assurance: countersignatures of trainee assessors' decisions, the IQA's verdicts on sampled
reviews, and standardisation exercises with their blind marks and agreed outcomes.

A countersignature and a verdict belong to one signed version of a review (``assessment_id``): reopening
the review voids that version, and with it what belongs to it (kept, readable). Nothing here changes a
learner's record: standardisation marks are a separate exercise.
"""

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_sandbox.models.base import Base, utcnow
from crm_sandbox.models.review import Assessment
from crm_sandbox.models.user import User

VERDICTS = {"agree": "Agree", "disagree": "Disagree: action required"}
# The marks of one contact in a standardisation exercise: rule id -> BREACH/NO_BREACH, criterion id -> a
# CRITERION_STATUSES key, and OVERALL -> an assessment outcome.
BREACH, NO_BREACH, OVERALL = "breach", "no_breach", "overall"


class AccountStanding(Base):
    """What the trainer records about an account for quality assurance: an assessor's standing (qualified,
    with the date of their assessor qualification, or trainee), or an EQA account's expiry."""

    __tablename__ = "account_standing"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    assessor_status: Mapped[str | None] = mapped_column(String(12))  # a key of user.ASSESSOR_STATUSES
    qualified_on: Mapped[date | None]
    expires_at: Mapped[datetime | None]


class Countersignature(Base):
    """A qualified assessor countersigning a trainee assessor's signed version of a review."""

    __tablename__ = "countersignature"
    __table_args__ = (UniqueConstraint("assessment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    version: Mapped[int]
    countersigned_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    assessment: Mapped[Assessment] = relationship()
    signer: Mapped[User] = relationship()


class IqaVerdict(Base):
    """The IQA's verdict on one sampled, signed version: agree, or disagree with the action required and a
    deadline; the assessor's answer."""

    __tablename__ = "iqa_verdict"
    __table_args__ = (UniqueConstraint("assessment_id", "iqa_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    version: Mapped[int]
    iqa_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    verdict: Mapped[str] = mapped_column(String(12))  # a key of VERDICTS
    comment: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[date | None]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    answered_at: Mapped[datetime | None]

    assessment: Mapped[Assessment] = relationship()
    iqa: Mapped[User] = relationship(foreign_keys=[iqa_id])
    answerer: Mapped[User | None] = relationship(foreign_keys=[answered_by])

    @property
    def verdict_label(self) -> str:
        return VERDICTS.get(self.verdict, self.verdict)


class StandardisationExercise(Base):
    """Closed contacts an IQA (or trainer) chose for assessors to mark blind, and who was invited."""

    __tablename__ = "standardisation_exercise"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    contact_ids: Mapped[list]
    rater_ids: Mapped[list]
    created_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    creator: Mapped[User] = relationship()


class StandardisationMark(Base):
    """One rater's blind marks on one contact of an exercise (submitted once)."""

    __tablename__ = "standardisation_mark"
    __table_args__ = (UniqueConstraint("exercise_id", "contact_id", "rater_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("standardisation_exercise.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"))
    rater_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    marks: Mapped[dict]
    at: Mapped[datetime] = mapped_column(default=utcnow)

    rater: Mapped[User] = relationship()


class StandardisationOutcome(Base):
    """What the standardisation meeting agreed on one contact, and the actions; ``reopen`` when the agreed
    outcome differs from the learner's record (an action to reopen the original review, never a change)."""

    __tablename__ = "standardisation_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("standardisation_exercise.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"))
    outcome: Mapped[str] = mapped_column(String(20))
    actions: Mapped[str] = mapped_column(Text, default="")
    reopen: Mapped[bool] = mapped_column(default=False)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    recorder: Mapped[User] = relationship()
