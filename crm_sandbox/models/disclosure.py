"""Who saw what: one ``data_view`` row each time a customer's personal data is displayed to anyone.

Events record what a learner *did* (``customer.viewed`` is the learner's action of opening a record, part
of their evidence); a data view records what a page, report or export *showed*, to whom, which fields,
and whether that person was entitled to see them at that moment (a learner before ID&V seeing unmasked
fields is not). One row per page render or download, never per field, so recording costs one insert.

Customers are named by ``customer_id`` (the record shown) and ``customers`` (the references of every
record shown, ",cust-00042,cust-00043,": a search lists several) without a foreign key: a cohort's
fictional customers are reseeded while what was shown of them stays on record.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_sandbox.models.base import Base, utcnow
from crm_sandbox.models.user import User

# What was displayed: each kind is one place in the app that shows a customer's personal data.
VIEW_KINDS = {
    "learner-record": "Learner desk: record panel (first view of these fields)",
    "learner-repeat": "Learner desk: record panel (shown again)",
    "search-results": "Learner desk: search results",
    "observe": "Live observation",
    "review": "Assessor's review",
    "report": "Report (printable page)",
    "replay": "Replay of a contact",
    "report-pdf": "Report (PDF)",
    "learner-report": "Learner's record (page)",
    "learner-report-pdf": "Learner's record (PDF)",
    "export": "Session export",
    "pack": "Evidence pack",
    "subject-access": "Subject-access export",
    "archived-pack": "Archived evidence pack (download)",
    "archived-report": "Archived learner's record (PDF)",
}


class DataView(Base):
    """One display of a customer's personal data: who, when, where, which fields, and whether entitled."""

    __tablename__ = "data_view"
    __table_args__ = (Index("ix_data_view_contact_user", "contact_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)  # None: a CLI operator
    role: Mapped[str] = mapped_column(String(20))  # the viewer's role at that moment ("operator" for the CLI)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    customer_id: Mapped[int | None] = mapped_column(index=True)
    customers: Mapped[str] = mapped_column(Text, default="")  # ",ref,ref," of every record shown
    kind: Mapped[str] = mapped_column(String(32))  # a key of VIEW_KINDS
    fields: Mapped[list] = mapped_column(default=list)  # the names of the fields shown
    entitled: Mapped[bool]
    detail: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return VIEW_KINDS.get(self.kind, self.kind)

    @property
    def customer_refs(self) -> list[str]:
        return [ref for ref in self.customers.split(",") if ref]
