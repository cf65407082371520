"""The ledger's tables: leaves (one per change of an evidential record), signed checkpoints, and the salts
that hide record content in the commitments (see ``crm_sandbox/ledger``)."""

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_sandbox.models.base import Base, utcnow
from crm_sandbox.models.personal import EncryptedText


class LedgerLeaf(Base):
    """One entry of the log: ``ref`` (e.g. "contact:12", "event:12:7") was created, changed, deleted…

    Inserted with ``index`` None (unsequenced: appends take no global lock); a checkpoint assigns the
    indexes, in order, under its lock."""

    __tablename__ = "ledger_leaf"

    id: Mapped[int] = mapped_column(primary_key=True)
    index: Mapped[int | None] = mapped_column(unique=True)
    ref: Mapped[str] = mapped_column(String(120), index=True)
    version: Mapped[int]  # 1, 2, 3… per ref
    kind: Mapped[str] = mapped_column(String(32))
    commitment: Mapped[str] = mapped_column(String(64))  # hex; "" for a record that is gone
    at: Mapped[datetime] = mapped_column(default=utcnow)
    mac: Mapped[str] = mapped_column(String(64))  # HMAC of the leaf bytes under the instance's ledger key
    # The salted hash of each covered field: names which field changed (checked against the commitment).
    fields: Mapped[dict] = mapped_column(JSON, default=dict)


class LedgerCheckpoint(Base):
    """A signed tree head: the first ``size`` sequenced leaves have Merkle root ``root``."""

    __tablename__ = "ledger_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(unique=True)
    root: Mapped[str] = mapped_column(String(64))
    frontier: Mapped[list] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(80))
    signature: Mapped[str] = mapped_column(String(128))


class LedgerSalt(Base):
    """The secret salt of one subject ("contact:12", "user:5"…), encrypted with the field keys.
    Erasure replaces it (``destroyed_at``): commitments made with the old one can no longer be tested."""

    __tablename__ = "ledger_salt"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(120), unique=True)
    salt: Mapped[str] = mapped_column(EncryptedText)  # hex
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    destroyed_at: Mapped[datetime | None]
