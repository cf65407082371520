"""The tamper-evident event log: an HMAC-SHA256 chain per contact, with Ed25519-signed heads.

Each event's MAC covers the previous event's MAC and the event's own canonical content, under a key
kept outside the database (``instance/chain_key`` or ``CHAIN_KEY``). Editing, deleting or reordering
a row breaks the chain at that row; truncating a closed contact is caught by the head signed at
close. What the chain cannot prove: that nothing was altered by someone holding the chain key and
the signing key, or that events were recorded at all (see docs/security.md).
"""

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_sandbox.crypto import signing
from crm_sandbox.extensions import db
from crm_sandbox.models import ChainSeal, Contact, Event

GENESIS = b"crm-sandbox/event-chain@1"


def chain_key() -> bytes:
    return current_app.config["CHAIN_KEY"].encode()


def canonical(event: Event) -> bytes:
    """The event's content in one fixed byte form (what the MAC covers)."""
    return json.dumps(
        {
            "contact_id": event.contact_id,
            "seq": event.seq,
            "at": event.at.isoformat(),
            "actor": event.actor,
            "actor_user_id": event.actor_user_id,
            "type": event.type,
            "data": event.data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def link_mac(prev_mac: str, event: Event, key: bytes | None = None) -> str:
    """The MAC of ``event`` given the MAC of the one before it ("" for the first)."""
    key = key if key is not None else chain_key()
    return hmac.new(key, GENESIS + prev_mac.encode() + b"\n" + canonical(event), hashlib.sha256).hexdigest()


def head_message(contact_id: int, seq: int, mac: str) -> bytes:
    """The bytes signed for a chain head."""
    return b"%s|contact:%d|seq:%d|mac:%s" % (GENESIS, contact_id, seq, mac.encode())


def signed_head(contact: Contact, events: Sequence[Event]) -> dict[str, Any]:
    """The chain head of ``events``, signed now (put in exports; stored as a seal at close)."""
    last = events[-1] if events else None
    seq, mac = (last.seq, last.mac) if last else (0, "")
    return {
        "seq": seq,
        "mac": mac,
        "fingerprint": signing.fingerprint(),
        "signature": signing.sign(head_message(contact.id, seq, mac)).hex(),
    }


def seal(contact: Contact, events: Sequence[Event]) -> ChainSeal:
    """Sign and store the contact's chain head (at close), so later truncation is detected."""
    head = signed_head(contact, events)
    row = ChainSeal(contact_id=contact.id, seq=head["seq"], mac=head["mac"], signature=head["signature"])
    db.session.add(row)
    return row


@dataclass
class ChainStatus:
    contact_id: int
    events: int
    problem: str | None = None  # plain English: the first broken link
    sealed: bool = False

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_contact(
    contact_id: int,
    key: bytes | None = None,
    events: Sequence[Event] | None = None,
    session: Session | None = None,
    *,
    public_key: Ed25519PublicKey | None = None,
    seals: Sequence[ChainSeal] | None = None,
) -> ChainStatus:
    """Recompute the contact's chain from the stored rows and check its signed heads.

    ``events``: the contact's rows already loaded in seq order (by ``contact_events``), to read them once.
    ``session``: another session than the app's (the ledger's upgrade reads on the migration's connection).
    ``public_key``, ``seals``: the parsed public key and the contact's seals, when checking many contacts.
    """
    key = key if key is not None else chain_key()
    session = session or db.session()
    if events is None:
        events = (
            session.execute(select(Event).where(Event.contact_id == contact_id).order_by(Event.seq, Event.id))
            .scalars()
            .all()
        )
    status = ChainStatus(contact_id, len(events))
    prev, by_seq = "", dict[int, str | None]()
    for expected, event in enumerate(events, start=1):
        if event.seq != expected:
            status.problem = (
                f"contact {contact_id}: event #{expected} is missing (found #{event.seq} next): "
                "a row was deleted or renumbered"
            )
            return status
        if not hmac.compare_digest(event.mac or "", link_mac(prev, event, key)):
            status.problem = (
                f"contact {contact_id}: event #{event.seq} ({event.type}) does not match its MAC: "
                "it was edited, reordered, or an earlier row was changed"
            )
            return status
        prev, by_seq[event.seq] = event.mac, event.mac
    if seals is None:
        seals = (
            session.execute(select(ChainSeal).where(ChainSeal.contact_id == contact_id).order_by(ChainSeal.id))
            .scalars()
            .all()
        )
    for s in seals:
        status.sealed = True
        if public_key is None:
            public_key = signing.load_public_key(signing.public_key_pem())
        if not _signed(public_key, head_message(contact_id, s.seq, s.mac), bytes.fromhex(s.signature)):
            status.problem = f"contact {contact_id}: the signed head at #{s.seq} has an invalid signature"
            return status
        if by_seq.get(s.seq) != s.mac:
            status.problem = (
                f"contact {contact_id}: the log was truncated or rewritten: the head signed at "
                f"#{s.seq} is no longer in the chain ({len(events)} events remain)"
            )
            return status
    return status


def _signed(public_key: Ed25519PublicKey, data: bytes, signature: bytes) -> bool:
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def verify_log(session: Session | None = None, batch: int = 200) -> list[ChainStatus]:
    """Every contact's chain status, contacts in id order: linear in the events (a contact's rows and
    seals read a batch of contacts at a time, the chain key and the public key read once)."""
    session = session or db.session()
    key, public_key = chain_key(), signing.load_public_key(signing.public_key_pem())
    ids = session.execute(select(Contact.id).order_by(Contact.id)).scalars().all()
    statuses = []
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        events: dict[int, list[Event]] = {cid: [] for cid in chunk}
        for event in session.execute(
            select(Event).where(Event.contact_id.in_(chunk)).order_by(Event.contact_id, Event.seq, Event.id)
        ).scalars():
            events[event.contact_id].append(event)
        seals: dict[int, list[ChainSeal]] = {cid: [] for cid in chunk}
        for seal_row in session.execute(
            select(ChainSeal).where(ChainSeal.contact_id.in_(chunk)).order_by(ChainSeal.id)
        ).scalars():
            seals[seal_row.contact_id].append(seal_row)
        statuses += [
            verify_contact(cid, key, events[cid], session, public_key=public_key, seals=seals[cid]) for cid in chunk
        ]
    return statuses
