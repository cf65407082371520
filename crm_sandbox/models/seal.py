"""Signed chain heads: the Ed25519 signature of a contact's event-chain head, taken at close."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_sandbox.models.base import Base, utcnow


class ChainSeal(Base):
    __tablename__ = "chain_seal"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    seq: Mapped[int]
    mac: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))  # hex Ed25519 signature of the head
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
