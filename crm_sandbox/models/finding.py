"""Findings of the rules engine, stored per contact as events arrive (derived, recomputable)."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_sandbox.models.base import Base, utcnow
from crm_sandbox.models.personal import EncryptedText

if TYPE_CHECKING:
    from crm_sandbox.models.review import FindingDecision


class Finding(Base):
    """One flag on a contact. ``key`` (rule and evidencing events) is stable across recomputation,
    so an assessor's decision stays attached; a finding that no longer holds is marked inactive."""

    __tablename__ = "finding"
    __table_args__ = (UniqueConstraint("contact_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str] = mapped_column(String(60))
    severity: Mapped[str] = mapped_column(String(10))
    events: Mapped[list] = mapped_column(default=list)
    evidence: Mapped[str] = mapped_column(EncryptedText)  # the exact span: often personal data
    explanation: Mapped[str] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    # "rules" (computed; refreshed as events arrive) or "assessor" (added by hand; never recomputed).
    source: Mapped[str] = mapped_column(String(10), default="rules")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    decisions: Mapped[list["FindingDecision"]] = relationship(order_by="FindingDecision.id")

    @property
    def decision(self) -> "FindingDecision | None":
        """The decision that stands (the newest), or None while undecided."""
        return self.decisions[-1] if self.decisions else None
