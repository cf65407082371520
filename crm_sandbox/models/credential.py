"""One-time passwords kept for a single download after an import or a reissue.

The result page shows them once; so that the trainer can also save them as a file, they are kept
here encrypted (Fernet, the field keys) until downloaded or for an hour, whichever comes first,
then the payload is erased. The row stays a little longer so a second download can say why not.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_sandbox.models.base import Base, utcnow


class CredentialBatch(Base):
    __tablename__ = "credential_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # A Fernet token of the accounts as JSON; None once downloaded or expired.
    payload: Mapped[str | None] = mapped_column(Text)
    downloaded_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<CredentialBatch {self.id} by {self.created_by}>"
