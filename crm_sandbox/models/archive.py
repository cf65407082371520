"""Sealed evidence packs archived by a cohort reset, kept for quality assurance until their retention ends.

Rows name the cohort and learner as text (no foreign keys): the accounts they came from are gone
from the live system once the reset commits.
"""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from crm_sandbox.models.base import Base, utcnow


class ArchivedPack(Base):
    __tablename__ = "archived_pack"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_name: Mapped[str] = mapped_column(String(80), index=True)
    cohort_generation: Mapped[int] = mapped_column(default=0)  # the generation the pack sealed
    learner_username: Mapped[str] = mapped_column(String(80))
    path: Mapped[str] = mapped_column(String(500), unique=True)  # relative to the archive folder
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retention_until: Mapped[datetime] = mapped_column(index=True)

    def __repr__(self) -> str:
        return f"<ArchivedPack {self.cohort_name!r} {self.learner_username!r}>"
