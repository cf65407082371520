"""A contact's summary: what the dashboard shows per contact, kept up to date as events are appended.

A derived read model, not evidence: every column is recomputed from the contact's events, findings and
sign-offs by ``operations/summaries.py`` (``flask rebuild-summaries`` rebuilds them all), so the ledger
does not cover it (``ledger/coverage.py``, EXEMPT).
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_sandbox.models.base import Base

SEVERITIES = ("high", "medium", "low")


class ContactSummary(Base):
    __tablename__ = "contact_summary"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | live | closed | reviewed
    events: Mapped[int] = mapped_column(default=0)  # how many events; the last one's seq
    opened_at: Mapped[datetime | None]  # the first contact.opened
    closed_at: Mapped[datetime | None]  # the first contact.closed
    verified_at: Mapped[datetime | None]  # the first passed idv.result
    first_response_at: Mapped[datetime | None]  # the learner's first message.sent
    resolved: Mapped[bool | None]  # the first close's wrap-up: resolved first time
    last_event_at: Mapped[datetime | None]
    # Active findings not dismissed by the standing decision, by severity.
    findings_high: Mapped[int] = mapped_column(default=0)
    findings_medium: Mapped[int] = mapped_column(default=0)
    findings_low: Mapped[int] = mapped_column(default=0)

    def findings_by_severity(self) -> dict[str, int]:
        return {s: getattr(self, f"findings_{s}") for s in SEVERITIES}

    def __repr__(self) -> str:
        return f"<ContactSummary {self.contact_id} {self.status} {self.events} events>"
