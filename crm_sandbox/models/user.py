"""Sandbox users: learners, assessors, trainers, and the quality assurers (IQA, EQA)."""

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_sandbox.models.base import Base, utcnow
from crm_sandbox.models.cohort import Cohort

if TYPE_CHECKING:
    from crm_sandbox.models.quality import AccountStanding

ROLES = ("learner", "assessor", "trainer", "iqa", "eqa")
# An assessor holds the assessor qualification, or is a trainee whose decisions need countersigning.
ASSESSOR_STATUSES = {"qualified": "Qualified assessor", "trainee": "Trainee assessor"}


class User(UserMixin, Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Set for accounts created with a one-time password: they must choose their own at first sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # When the account's personal data was erased (its evidence kept under a pseudonym).
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A learner registered on a qualification other than their cohort's (an id in seed/qualifications.yaml).
    qualification: Mapped[str | None] = mapped_column(String(40))
    # An assessor's standing or an EQA account's expiry (models/quality.py); read only for those roles, so
    # a database not yet upgraded to have the table still serves everyone else.
    standing: Mapped["AccountStanding | None"] = relationship(uselist=False, viewonly=True)

    cohort: Mapped[Cohort | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sign-in to inactive users
        return self.active and not self.expired

    @property
    def expires_at(self) -> datetime | None:
        """An EQA account's end: it cannot sign in from this moment."""
        return self.standing.expires_at if self.role == "eqa" and self.standing is not None else None

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()

    @property
    def assessor_status(self) -> str | None:
        """An assessor's standing (a key of ASSESSOR_STATUSES); None: not recorded, treated as qualified."""
        return self.standing.assessor_status if self.role == "assessor" and self.standing is not None else None

    @property
    def qualified_on(self) -> date | None:
        """The date of an assessor's assessor qualification, if recorded."""
        return self.standing.qualified_on if self.role == "assessor" and self.standing is not None else None

    @property
    def trainee(self) -> bool:
        """A trainee assessor: their sign-offs are provisional until a qualified assessor countersigns."""
        return self.assessor_status == "trainee"

    @property
    def session_token(self) -> str | None:
        """The token of the server-side session this object was loaded for (not a column: set per request)."""
        return self.__dict__.get("_session_token")

    @session_token.setter
    def session_token(self, token: str | None) -> None:
        self.__dict__["_session_token"] = token

    def get_id(self) -> str | None:
        """What Flask-Login keeps in the cookie: the session token, never the user id."""
        return self.session_token

    def __repr__(self) -> str:
        return f"<User {self.username!r} ({self.role})>"
