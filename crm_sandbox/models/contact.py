"""Contacts in a learner's queue, and the append-only events that evidence what happened on them."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_sandbox.models.base import Base, utcnow
from crm_sandbox.models.cohort import Cohort
from crm_sandbox.models.customer import Customer
from crm_sandbox.models.personal import EncryptedJSON
from crm_sandbox.models.user import User


class Contact(Base):
    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))  # the account the caller names
    scenario_id: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(16))  # chat | email | phone
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    position: Mapped[int] = mapped_column(default=0)  # order in the learner's queue
    # Snapshots taken when the contact was made: they are part of its evidence.
    scenario: Mapped[dict] = mapped_column(default=dict)
    policy: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # An assessor playing the caller in place of the scripted caller (None: scripted).
    role_player_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Assigned by the trainer: "practice", or "assessment" observed by ``assessor_id``.
    mode: Mapped[str] = mapped_column(String(16), default="practice")
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    cohort: Mapped[Cohort] = relationship()
    learner: Mapped[User] = relationship(foreign_keys=[learner_id])
    customer: Mapped[Customer] = relationship()
    events: Mapped[list["Event"]] = relationship(back_populates="contact", order_by="Event.seq")

    @property
    def title(self) -> str:
        return self.scenario.get("title", self.scenario_id)

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.scenario_id} {self.status}>"


class Event(Base):
    """One immutable, timestamped thing that happened on a contact. Never updated, never deleted."""

    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("contact_id", "seq"), UniqueConstraint("contact_id", "form_token"))

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    seq: Mapped[int]  # 1, 2, 3… within the contact
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    type: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict] = mapped_column(EncryptedJSON, default=dict)  # may quote personal data: encrypted
    # The one-time token of the form that caused the event: a double-submitted form is refused.
    form_token: Mapped[str | None] = mapped_column(String(64))
    # HMAC-SHA256 over the previous event's MAC and this event's canonical content (services/chain.py).
    mac: Mapped[str] = mapped_column(String(64), default="")

    contact: Mapped[Contact] = relationship(back_populates="events")

    def __repr__(self) -> str:
        return f"<Event {self.contact_id}#{self.seq} {self.type}>"
