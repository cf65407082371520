"""A cohort: a group of learners with its own sandbox world of customers."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from crm_sandbox.models.base import Base, utcnow

# The default of seed/qualifications.yaml, for rows created without one (and for databases upgraded to it).
DEFAULT_QUALIFICATION = "icq-l2-nvq-cco"


class Cohort(Base):
    __tablename__ = "cohort"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    seed: Mapped[int] = mapped_column(default=0)
    # The cohort's ID&V, authority and logging policy; each contact copies it when created.
    policy: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped by every reset, checked under the write lock: a reset started twice runs once.
    generation: Mapped[int] = mapped_column(default=0)
    # The qualification its learners are registered on (an id in seed/qualifications.yaml); a learner
    # may be registered on another (User.qualification).
    qualification: Mapped[str] = mapped_column(
        String(40), default=DEFAULT_QUALIFICATION, server_default=DEFAULT_QUALIFICATION
    )

    def __repr__(self) -> str:
        return f"<Cohort {self.name!r}>"
