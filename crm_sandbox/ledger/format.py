"""The ledger's byte formats and checks that need no app and no database (``verify-pack`` runs them offline).

Standard library, ``cryptography`` and ``crypto/merkle.py`` only.

A **commitment** hides a record's content behind a salt::

    field_hash(f)  = SHA-256(salt || f || 0x00 || canonical(value of f))           for each covered field
    commitment     = SHA-256("crm-sandbox/ledger-commitment@1\\n" || canonical({f: field_hash(f) hex}))

so the log holds no personal data (without the salt, a date of birth or a postcode cannot be found by
trying every value), and once a subject's salt is destroyed (erasure) nobody can test a guess against it.
Per-field hashes let ``verify-log`` name which field changed; they are checked against the commitment
before being trusted.

A **leaf** is the bytes ``leaf_bytes(ref, version, kind, commitment, at)``; the Merkle tree (RFC 9162)
hashes them with ``merkle.leaf_hash``. ``version`` counts the leaves of one ``ref`` (1, 2, …), so an old
leaf replayed as new is caught. Each leaf also carries ``mac = HMAC-SHA256(ledger key, leaf bytes)``,
the ledger key derived from the instance's chain key: a leaf written with the database alone is a forgery.

A **checkpoint** (signed tree head) is ``Checkpoint``; ``note()`` is its signed text, ``parse_note`` reads
and checks one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from crm_sandbox.crypto import merkle

LEAF_FORMAT = b"crm-sandbox/ledger-leaf@1"
COMMITMENT_FORMAT = b"crm-sandbox/ledger-commitment@1\n"
NOTE_FORMAT = "crm-sandbox/ledger@1"
MAC_CONTEXT = b"crm-sandbox/ledger-mac@1"

# Leaf kinds. A record whose newest leaf is one of GONE must not exist any more.
CREATED, CHANGED, DELETED = "created", "changed", "deleted"
ERASED, ARCHIVED, PURGED = "erased", "archived", "purged"
ATTESTED, TAMPERED_BEFORE = "attested-at-upgrade", "tampered-before-upgrade"
KINDS = (CREATED, CHANGED, DELETED, ERASED, ARCHIVED, PURGED, ATTESTED, TAMPERED_BEFORE)
GONE = (DELETED, ARCHIVED, PURGED)
NO_COMMITMENT = ""  # the commitment of a leaf that says a record is gone


class LedgerFormatError(ValueError):
    """A note, leaf or proof that cannot be read, or whose signature or proof does not check."""


def timestamp(at: datetime) -> str:
    """One text form of a time, whatever the database gave back: UTC, microseconds, no zone suffix."""
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


_SCALARS = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    if type(value) in _SCALARS:  # the common case first: JSON takes these as they are
        return value
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


# One encoder, built once: ``json.dumps`` with these options builds a new one on every call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(value: Any) -> bytes:
    """Fixed bytes for a value: JSON, keys sorted, no spaces, UTF-8; times as ``timestamp``."""
    return _CANONICAL.encode(_plain(value)).encode()


def field_hashes(salt: bytes, content: Mapping[str, Any]) -> dict[str, str]:
    """The salted hash of each field of ``content``."""
    return {
        name: hashlib.sha256(salt + name.encode() + b"\x00" + canonical(value)).hexdigest()
        for name, value in content.items()
    }


def commitment_of_hashes(hashes: Mapping[str, str]) -> str:
    return commitment_of_canonical(canonical(dict(hashes)))


def commitment_of_canonical(hashes: bytes) -> str:
    """``commitment_of_hashes`` from the hashes' ``canonical`` bytes (already made to store them)."""
    return hashlib.sha256(COMMITMENT_FORMAT + hashes).hexdigest()


def commitment(salt: bytes, content: Mapping[str, Any]) -> str:
    """The salted commitment to a record's covered content."""
    return commitment_of_hashes(field_hashes(salt, content))


def leaf_bytes(ref: str, version: int, kind: str, commitment: str, at: datetime | str) -> bytes:
    """The bytes a leaf stands for (hashed into the tree and MACed)."""
    if kind not in KINDS:
        raise LedgerFormatError(f"unknown leaf kind {kind!r}")
    when = at if isinstance(at, str) else timestamp(at)
    return b"\n".join(
        [LEAF_FORMAT, ref.encode(), str(version).encode(), kind.encode(), commitment.encode(), when.encode()]
    )


def recompute_leaf(
    ref: str, version: int, kind: str, content: Mapping[str, Any] | None, salt: bytes | None, at: datetime | str
) -> bytes:
    """A leaf's bytes from the record itself: what a verifier without the database checks a proof with."""
    digest = NO_COMMITMENT if content is None or salt is None else commitment(salt, content)
    return leaf_bytes(ref, version, kind, digest, at)


def mac_key(chain_key: bytes) -> bytes:
    """The ledger's MAC key, derived from the instance's chain key (kept outside the database)."""
    return hmac.new(chain_key, MAC_CONTEXT, hashlib.sha256).digest()


def leaf_mac(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def raw_public_key(public_pem: str | bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(public_pem.encode() if isinstance(public_pem, str) else public_pem)
    except (ValueError, TypeError) as err:
        raise LedgerFormatError("not a readable PEM public key") from err
    if not isinstance(key, Ed25519PublicKey):
        raise LedgerFormatError("not an Ed25519 public key")
    return key


def key_fingerprint(public_pem: str | bytes) -> str:
    """As ``crypto.signing.fingerprint``: SHA-256 of the raw key, hex in groups of four."""
    raw = raw_public_key(public_pem).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


@dataclass
class Checkpoint:
    """A signed head of the ledger: its first ``size`` leaves have Merkle root ``root``."""

    size: int
    root: str  # hex
    at: str  # ``timestamp`` text
    reason: str
    fingerprint: str = ""
    signature: str = ""  # hex Ed25519 signature of ``body()``
    frontier: list[str] = field(default_factory=list)  # hex; stored in the database, not in the note

    def body(self) -> bytes:
        """The signed text: format, size, root, time and reason, one per line."""
        reason = " ".join(self.reason.split())[:200]
        return f"{NOTE_FORMAT}\nsize {self.size}\nroot {self.root}\nat {self.at}\nreason {reason}\n".encode()

    def note(self) -> str:
        """The signed note: the body, then ``key <fingerprint>`` and ``signature <hex>``."""
        return self.body().decode() + f"key {self.fingerprint}\nsignature {self.signature}\n"

    def line(self) -> str:
        """The note as one line (JSON), as the checkpoint file holds it."""
        return json.dumps({"note": self.note()}, ensure_ascii=True)

    def verify(self, public_pem: str | bytes) -> bool:
        try:
            raw_public_key(public_pem).verify(bytes.fromhex(self.signature), self.body())
        except (InvalidSignature, ValueError):
            return False
        return True


def parse_note(text: str, public_pem: str | bytes | None) -> Checkpoint:
    """The checkpoint in a signed note (or in one line of the checkpoint file). With ``public_pem``,
    raises LedgerFormatError unless that key signed it; with None, reads it unchecked."""
    text = text.strip()
    if text.startswith("{"):
        try:
            text = str(json.loads(text)["note"]).strip()
        except (ValueError, KeyError, TypeError) as err:
            raise LedgerFormatError("not a checkpoint line") from err
    lines = text.split("\n")
    try:
        if len(lines) != 7 or lines[0] != NOTE_FORMAT:
            raise ValueError
        pairs = [line.split(" ", 1) for line in lines[1:]]
        values = {k: v for k, v in pairs}
        if [k for k, _ in pairs] != ["size", "root", "at", "reason", "key", "signature"]:
            raise ValueError
        checkpoint = Checkpoint(
            int(values["size"]), values["root"], values["at"], values["reason"], values["key"], values["signature"]
        )
        bytes.fromhex(checkpoint.root)
    except ValueError as err:
        raise LedgerFormatError(f"not a {NOTE_FORMAT} note") from err
    if public_pem is not None and not checkpoint.verify(public_pem):
        raise LedgerFormatError("the checkpoint's signature does not match the key")
    return checkpoint


def _proof(hashes: Sequence[str]) -> list[bytes]:
    try:
        return [bytes.fromhex(h) for h in hashes]
    except (ValueError, TypeError) as err:
        raise LedgerFormatError("a proof hash is not hex") from err


def verify_included(entry: Mapping[str, Any], checkpoint: Checkpoint) -> bool:
    """Whether one entry of ``inclusion()`` (leaf bytes recomputed from its content and salt) is in
    ``checkpoint``'s tree at its index."""
    try:
        salt = bytes.fromhex(entry["salt"]) if entry.get("salt") is not None else None
        leaf = recompute_leaf(
            entry["ref"], int(entry["version"]), entry["kind"], entry.get("content"), salt, entry["at"]
        )
        if base64.b64decode(entry["leaf"], validate=True) != leaf:
            return False
        return merkle.verify_inclusion(
            int(entry["index"]),
            checkpoint.size,
            merkle.leaf_hash(leaf),
            _proof(entry["proof"]),
            bytes.fromhex(checkpoint.root),
        )
    except (KeyError, ValueError, TypeError, binascii.Error, LedgerFormatError):
        return False


def verify_consistent(old: Checkpoint, new: Checkpoint, proof: Sequence[str]) -> bool:
    """Whether ``new``'s tree extends ``old``'s (RFC 9162 consistency proof, hex hashes)."""
    try:
        return merkle.verify_consistency(
            old.size, new.size, bytes.fromhex(old.root), bytes.fromhex(new.root), _proof(proof)
        )
    except (ValueError, LedgerFormatError):
        return False
