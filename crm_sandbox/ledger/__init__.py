"""The ledger: one tamper-evident, append-only record of everything evidential (issue 15).

Modelled on Certificate Transparency / Trillian (RFC 9162): every insert, change and deletion of an
evidential row (``ledger/coverage.py``) appends a **leaf** (a salted commitment to the row's covered
content, MACed with a key kept outside the database); leaves are appended unsequenced, so appends take no
global lock; a **checkpoint** sequences the pending leaves under one lock, extends the Merkle tree from the
previous checkpoint's frontier and signs its head (Ed25519, ``crypto/signing.py``). Checkpoints are made at
every close, sign-off, reopening, reset, erasure and purge, when pending leaves are older than
``CHECKPOINT_INTERVAL`` seconds (checked on writes) and by ``flask checkpoint``; each is also appended to
``CHECKPOINT_FILE`` (outside the database). ``verify()`` recomputes everything and names each problem.

API for packs and other callers (the pure parts are in ``ledger/format.py``, usable offline):

``latest_checkpoint() -> Checkpoint | None``
    The newest stored checkpoint.
``checkpoint_now(reason) -> Checkpoint``
    Sequence what is pending and sign a new head, in a write transaction of its own (committed; the note
    is appended to the checkpoint file). Returns the latest head if nothing was pending.
``Checkpoint.note() -> str``, ``parse_note(text, public_pem) -> Checkpoint``
    The signed note text, and reading one back (``LedgerFormatError`` on a bad signature or format).
``inclusion(refs, checkpoint) -> dict[str, dict]``
    Per ref ("contact:12", "event:12:7", "finding_decision:40", "assessment:12"…), the newest leaf the
    checkpoint covers: ``ref``, ``version``, ``kind``, ``at``, ``index``, ``leaf`` (base64 leaf bytes),
    ``salt`` (hex, None for a record that is gone), ``content`` (the covered fields, JSON-ready) and
    ``proof`` (hex hashes). ``format.verify_included(entry, checkpoint)`` checks one offline.
    Raises ``LedgerError`` for a ref the checkpoint does not cover or whose row no longer matches.
``consistency(old_size, checkpoint) -> list[str]``
    The RFC 9162 consistency proof (hex) from the tree of ``old_size`` leaves to ``checkpoint``'s;
    ``format.verify_consistent(old, new, proof)`` checks it.
``format.recompute_leaf(ref, version, kind, content, salt, at) -> bytes``
    A leaf's bytes from the record itself (pure).
``checkpoint_at_commit(reason)``
    Operations: make a checkpoint just before the current transaction commits (after its last flush).
``verify() -> LedgerReport``
    Everything ``flask verify-log`` checks besides the per-contact event chains.
"""

from __future__ import annotations

import base64
import hmac
import logging
import os
import secrets
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Column, Connection, Table, bindparam, event, func, insert, inspect, select, text, update
from sqlalchemy.orm import Session

from crm_sandbox.crypto import merkle, signing
from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.ledger import format
from crm_sandbox.ledger.coverage import EVIDENTIAL, Coverage, describe, field_label
from crm_sandbox.ledger.format import (
    ARCHIVED,
    ATTESTED,
    CHANGED,
    CREATED,
    DELETED,
    ERASED,
    GONE,
    NO_COMMITMENT,
    PURGED,
    TAMPERED_BEFORE,
    Checkpoint,
    LedgerFormatError,
    parse_note,
)
from crm_sandbox.models import Base, LedgerCheckpoint, LedgerLeaf, LedgerSalt, utcnow
from crm_sandbox.models.personal import cipher, encrypt

__all__ = [
    "ARCHIVED",
    "Checkpoint",
    "LedgerError",
    "LedgerFormatError",
    "LedgerReport",
    "PURGED",
    "attest_existing",
    "checkpoint_at_commit",
    "checkpoint_now",
    "consistency",
    "erase_subject",
    "inclusion",
    "install",
    "latest_checkpoint",
    "parse_note",
    "record_gone",
    "record_rows",
    "verify",
]

log = logging.getLogger(__name__)
LEAVES: Table = LedgerLeaf.__table__  # type: ignore[assignment]
CHECKPOINTS: Table = LedgerCheckpoint.__table__  # type: ignore[assignment]
SALTS: Table = LedgerSalt.__table__  # type: ignore[assignment]
PG_LOCK = 0x6C656467  # pg_advisory_xact_lock key of the checkpoint step ("ledg")
CHUNK = 500
DEFAULT_INTERVAL = 300


class LedgerError(RuntimeError):
    """The ledger cannot do what was asked (a ref it does not cover, a row that no longer matches)."""


# --- what is covered, from the models ---------------------------------------------------------------
def _models() -> dict[str, type[Base]]:
    return {m.class_.__tablename__: m.class_ for m in Base.registry.mappers}


def _coverage_of(obj: object) -> Coverage | None:
    return EVIDENTIAL.get(getattr(type(obj), "__tablename__", ""))


def _attribute_names(model: type[Base], columns: Iterable[str]) -> dict[str, str]:
    mapper = inspect(model)
    table: Table = model.__table__  # type: ignore[assignment]
    return {c: mapper.get_property_by_column(table.c[c]).key for c in columns}


def content_of(obj: object, coverage: Coverage) -> dict[str, Any]:
    """The covered content of a mapped row (as it will be stored)."""
    names = _attribute_names(type(obj), coverage.columns)  # type: ignore[arg-type]
    return {c: getattr(obj, names[c]) for c in coverage.columns}


def _changed(obj: object, coverage: Coverage) -> bool:
    state = inspect(obj)
    names = _attribute_names(type(obj), coverage.columns)  # type: ignore[arg-type]
    return any(state.attrs[names[c]].history.has_changes() for c in coverage.columns)


# --- keys, salts, leaves ------------------------------------------------------------------------------
def ledger_key() -> bytes:
    return format.mac_key(current_app.config["CHAIN_KEY"].encode())


def enabled(session: Session | None = None) -> bool:
    """Whether the database has the ledger's tables (an app on a database not yet upgraded records none:
    the upgrade attests what it finds)."""
    if current_app.extensions.get("ledger_enabled"):
        return True
    found = inspect((session or db.session()).connection()).has_table("ledger_leaf")
    if found:  # only a yes is kept: a database upgraded meanwhile (flask db upgrade) is noticed
        current_app.extensions["ledger_enabled"] = True
    return bool(found)


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def salts(session: Session, subjects: Iterable[str], create: bool = True) -> dict[str, bytes]:
    """The salt of each subject, made (random, 32 bytes) for those that have none yet."""
    wanted = sorted(set(subjects))
    found: dict[str, bytes] = {}
    conn = session.connection()
    for chunk in _chunks(wanted):
        for ref, salt in conn.execute(select(SALTS.c.ref, SALTS.c.salt).where(SALTS.c.ref.in_(chunk))):
            found[ref] = bytes.fromhex(salt)
    missing = [s for s in wanted if s not in found]
    if missing and create:
        made = {s: secrets.token_hex(32) for s in missing}
        fernet, now = cipher(), stored_time(conn, SALTS.c.created_at, utcnow())
        insert_stored(conn, SALTS, [{"ref": s, "salt": encrypt(v, fernet), "created_at": now} for s, v in made.items()])
        found.update({s: bytes.fromhex(v) for s, v in made.items()})
    return found


def stored_time(conn: Connection, column: Column[Any], at: datetime) -> Any:
    """``at`` as ``column``'s type stores it on this database (for ``insert_stored``)."""
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return process(at) if process is not None else at


_STATEMENTS: dict[tuple[str, str, tuple[str, ...]], tuple[str, Sequence[str] | None]] = {}


def insert_stored(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """One executemany of ``rows`` already in their stored form (times from ``stored_time``, JSON as
    text, encrypted columns encrypted), without SQLAlchemy's per-row type processing: the statement is
    still compiled for the dialect (its quoting, placeholders and casts), once per set of columns."""
    if not rows:
        return
    key = (conn.dialect.name, table.name, tuple(rows[0]))
    if key not in _STATEMENTS:
        compiled = insert(table).compile(dialect=conn.dialect, column_keys=list(key[2]), for_executemany=True)
        _STATEMENTS[key] = (str(compiled), compiled.positiontup if compiled.positional else None)
    sql, order = _STATEMENTS[key]
    if order is None:
        conn.exec_driver_sql(sql, list(rows))
    else:
        conn.exec_driver_sql(sql, [tuple(row[name] for name in order) for row in rows])


@dataclass
class Entry:
    """A leaf to write: ``content`` None for a record that is gone."""

    ref: str
    subject: str
    kind: str
    content: Mapping[str, Any] | None


def write_leaves(session: Session, entries: Sequence[Entry]) -> int:
    """Append one unsequenced leaf per entry (one INSERT; salts and versions read in batches)."""
    if not entries:
        return 0
    conn = session.connection()
    salt = salts(session, [e.subject for e in entries if e.content is not None])
    versions: dict[str, int] = {}
    for chunk in _chunks(sorted({e.ref for e in entries})):
        versions.update(
            conn.execute(
                select(LEAVES.c.ref, func.max(LEAVES.c.version)).where(LEAVES.c.ref.in_(chunk)).group_by(LEAVES.c.ref)
            ).all()
        )
    key, rows = ledger_key(), []
    at = utcnow()  # one time for the leaves written together
    when, stored_at = format.timestamp(at), stored_time(conn, LEAVES.c.at, at)
    for e in entries:
        version = versions[e.ref] = versions.get(e.ref, 0) + 1
        if e.content is not None:
            fields = format.canonical(format.field_hashes(salt[e.subject], e.content))
            digest = format.commitment_of_canonical(fields)
        else:
            fields, digest = b"{}", NO_COMMITMENT
        data = format.leaf_bytes(e.ref, version, e.kind, digest, when)
        rows.append(
            {
                "index": None,
                "ref": e.ref,
                "version": version,
                "kind": e.kind,
                "commitment": digest,
                "at": stored_at,
                "mac": format.leaf_mac(key, data),
                "fields": fields.decode(),  # the JSON column's stored form: the hashes' canonical text
            }
        )
    insert_stored(conn, LEAVES, rows)
    return len(rows)


def _entries_of_flush(session: Session) -> list[Entry]:
    kinds: Mapping[str, str] = session.info.get("ledger_kind", {})
    gone_kind = session.info.get("ledger_delete_kind", DELETED)
    entries = []
    for obj in session.new:
        coverage = _coverage_of(obj)
        if coverage is not None:
            content = content_of(obj, coverage)
            ref = coverage.ref(content)
            entries.append(Entry(ref, coverage.subject(content), kinds.get(ref, CREATED), content))
    for obj in session.dirty:
        coverage = _coverage_of(obj)
        if coverage is not None and obj not in session.deleted and _changed(obj, coverage):
            content = content_of(obj, coverage)
            ref = coverage.ref(content)
            entries.append(Entry(ref, coverage.subject(content), kinds.get(ref, CHANGED), content))
    for obj in session.deleted:
        coverage = _coverage_of(obj)
        if coverage is not None:
            content = content_of(obj, coverage)
            entries.append(Entry(coverage.ref(content), coverage.subject(content), gone_kind, None))
    return entries


_next_due_check = 0.0


def _after_flush(session: Session, _context: object) -> None:
    if not enabled(session):
        return
    entries = _entries_of_flush(session)
    if entries:
        write_leaves(session, entries)
        _check_due(session)


def _check_due(session: Session) -> None:
    """Every so often (not on every write), see whether pending leaves are older than the interval."""
    global _next_due_check
    interval = float(current_app.config.get("CHECKPOINT_INTERVAL", DEFAULT_INTERVAL))
    now = time.monotonic()
    if interval <= 0 or now < _next_due_check:
        return
    _next_due_check = now + min(30.0, interval / 10)
    oldest = session.connection().execute(select(func.min(LEAVES.c.at)).where(LEAVES.c.index.is_(None))).scalar()
    if oldest is not None and (utcnow() - oldest).total_seconds() >= interval:
        session.info.setdefault("ledger_checkpoint", []).append("interval")


def _before_commit(session: Session) -> None:
    reasons = session.info.get("ledger_checkpoint")
    if not reasons or not enabled(session):
        return
    session.flush()
    reasons = session.info.pop("ledger_checkpoint", [])
    if reasons:
        checkpoint(session, "; ".join(dict.fromkeys(reasons)))


def _after_commit(session: Session) -> None:
    notes = session.info.pop("ledger_notes", [])
    _forget(session)
    for line in notes:
        append_to_file(line)


def _forget(session: Session, *_: object) -> None:
    for key in ("ledger_notes", "ledger_kind", "ledger_delete_kind", "ledger_checkpoint"):
        session.info.pop(key, None)


def install() -> None:
    """Record a leaf for every change to an evidential row made through the app's sessions (db.session)."""
    for name, fn in (
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_commit", _after_commit),
        ("after_rollback", _forget),
    ):
        if not event.contains(db.session, name, fn):
            event.listen(db.session, name, fn)


def checkpoint_at_commit(reason: str) -> None:
    """Make a checkpoint when the current transaction commits (after its last flush)."""
    db.session.info.setdefault("ledger_checkpoint", []).append(reason)


@contextmanager
def deleting_as(kind: str) -> Iterator[None]:
    """Deletions flushed inside are recorded as ``kind`` (archived, purged) rather than ``deleted``."""
    db.session.info["ledger_delete_kind"] = kind
    try:
        yield
    finally:
        db.session.info.pop("ledger_delete_kind", None)


def erase_subject(subject: str, refs: Iterable[str] = ()) -> None:
    """Erasure: replace ``subject``'s salt (the old one is destroyed, so nothing committed with it can be
    tested against a guess), and record the next change of each of ``refs`` as ``erased``."""
    if not enabled():
        return
    conn = db.session.connection()
    new = secrets.token_hex(32)
    done = conn.execute(update(SALTS).where(SALTS.c.ref == subject).values(salt=new, destroyed_at=utcnow()))
    if not getattr(done, "rowcount", 0):
        conn.execute(insert(SALTS), [{"ref": subject, "salt": new, "created_at": utcnow(), "destroyed_at": utcnow()}])
    db.session.info.setdefault("ledger_kind", {}).update({ref: ERASED for ref in refs})


def record_rows(model: type[Base], where: Any, kind: str = CREATED, session: Session | None = None) -> int:
    """Leaves for rows written with Core statements (bulk inserts), which the flush hook cannot see."""
    session = session or db.session()
    coverage = EVIDENTIAL[model.__tablename__]
    if not enabled(session):
        return 0
    entries = [
        Entry(coverage.ref(row), coverage.subject(row), kind, row) for row in _rows(session, coverage, model, where)
    ]
    return write_leaves(session, entries)


def record_written(
    model: type[Base], contents: Iterable[Mapping[str, Any]], kind: str = CREATED, session: Session | None = None
) -> int:
    """Leaves for rows just inserted with Core statements, made from the values inserted (each mapping holds
    at least the covered columns, as ``record_rows`` would read them back): a bulk insert (seeding 10,000
    customers) does not read and decrypt its own rows again."""
    session = session or db.session()
    coverage = EVIDENTIAL[model.__tablename__]
    if not enabled(session):
        return 0
    entries = []
    for row in contents:
        content = {c: row[c] for c in coverage.columns}
        entries.append(Entry(coverage.ref(content), coverage.subject(content), kind, content))
    return write_leaves(session, entries)


def record_gone(model: type[Base], where: Any, kind: str) -> int:
    """Leaves saying the rows matching ``where`` are gone (``archived`` by a reset, ``purged``): call it
    before deleting them with Core statements."""
    coverage = EVIDENTIAL[model.__tablename__]
    if not enabled():
        return 0
    entries = [
        Entry(coverage.ref(row), coverage.subject(row), kind, None)
        for row in _rows(db.session(), coverage, model, where)
    ]
    return write_leaves(db.session(), entries)


def _rows(
    session: Session, coverage: Coverage, model: type[Base], where: Any = None, columns: Sequence[str] | None = None
) -> Iterator[dict[str, Any]]:
    table: Table = model.__table__  # type: ignore[assignment]
    names = list(columns if columns is not None else coverage.columns)
    query = select(*(table.c[c] for c in names))
    if where is not None:
        query = query.where(where)
    pk = table.c["id"] if "id" in table.c else None
    if pk is not None:
        query = query.order_by(pk)
    for row in session.connection().execute(query.execution_options(yield_per=1000)):
        yield dict(zip(names, row))


# --- checkpoints ---------------------------------------------------------------------------------------
def _stored(row: Any) -> Checkpoint:
    return Checkpoint(
        row.size, row.root, format.timestamp(row.at), row.reason, row.fingerprint, row.signature, list(row.frontier)
    )


def latest_checkpoint(session: Session | None = None) -> Checkpoint | None:
    session = session or db.session()
    row = session.connection().execute(select(CHECKPOINTS).order_by(CHECKPOINTS.c.size.desc()).limit(1)).first()
    return _stored(row) if row is not None else None


def _leaf_data(row: Any) -> bytes:
    return format.leaf_bytes(row.ref, row.version, row.kind, row.commitment, row.at)


def checkpoint(session: Session, reason: str, instance_path: str | None = None) -> Checkpoint:
    """Sequence the pending leaves and sign a new head, in the current (write) transaction.

    Under one lock: SQLite's write transaction, PostgreSQL's transaction-scoped advisory lock. A pending
    leaf whose MAC does not verify is a forgery: it is left unsequenced and reported (verify-log names it).
    The note goes to the checkpoint file once the transaction commits.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK})
    last = latest_checkpoint(session)
    try:
        frontier = merkle.Frontier.from_hex(last.size, last.frontier) if last else merkle.Frontier()
        if last is not None and frontier.root().hex() != last.root:
            raise ValueError("its nodes do not make the signed root")
    except (ValueError, TypeError) as err:
        raise LedgerError(
            f"the newest checkpoint's stored frontier is damaged ({err}): nothing was signed; run verify-log"
        ) from err
    start = frontier.size
    pending = conn.execute(select(LEAVES).where(LEAVES.c.index.is_(None)).order_by(LEAVES.c.id)).all()
    key, assigned, forged = ledger_key(), [], []
    for row in pending:
        data = _leaf_data(row)
        if not hmac.compare_digest(row.mac, format.leaf_mac(key, data)):
            forged.append(row.id)
            continue
        assigned.append({"leaf_id": row.id, "leaf_index": frontier.size})
        frontier.append(merkle.leaf_hash(data))
    if forged:
        log.warning("ledger: refused to sequence forged leaves (bad MAC): %s", ", ".join(map(str, forged)))
    if last is not None and not assigned:
        return last
    if assigned:
        conn.execute(
            update(LEAVES).where(LEAVES.c.id == bindparam("leaf_id")).values(index=bindparam("leaf_index")), assigned
        )
    now = utcnow()
    head = Checkpoint(
        frontier.size,
        frontier.root().hex(),
        format.timestamp(now),
        " ".join(reason.split())[:200],
        signing.fingerprint(instance_path=instance_path),
        frontier=frontier.to_hex(),
    )
    head.signature = signing.sign(head.body(), instance_path=instance_path).hex()
    conn.execute(
        insert(CHECKPOINTS),
        [
            {
                "size": head.size,
                "root": head.root,
                "frontier": head.frontier,
                "at": now,
                "reason": head.reason,
                "fingerprint": head.fingerprint,
                "signature": head.signature,
            }
        ],
    )
    session.info.setdefault("ledger_notes", []).append(head.line())
    log.info("ledger: checkpoint %d (+%d leaves): %s", head.size, head.size - start, head.reason)
    return head


def checkpoint_now(reason: str) -> Checkpoint:
    """Sequence what is pending and sign a head, in a write transaction of its own (committed)."""
    with write_transaction() as session:
        head = checkpoint(session, reason)
    return head


def checkpoint_file() -> Path:
    return Path(current_app.config.get("CHECKPOINT_FILE") or Path(current_app.instance_path) / "checkpoints.log")


def append_to_file(line: str) -> None:
    """Append one checkpoint line to the checkpoint file: O_APPEND (whole lines, several servers may
    share the file), then fsync."""
    path = checkpoint_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def last_file_checkpoint() -> Checkpoint | None:
    """The newest checkpoint in the checkpoint file (by size), unchecked; None when there is none."""
    path = checkpoint_file()
    if not path.exists():
        return None
    best = None
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 256 * 1024))
        for raw in fh.read().splitlines()[-200:]:
            try:
                found = parse_note(raw.decode(), None)
            except (LedgerFormatError, UnicodeDecodeError):
                continue
            if best is None or found.size > best.size:
                best = found
    return best


def publish_latest() -> Checkpoint | None:
    """Append the database's latest checkpoint to the file when the file does not have it (after an upgrade
    made one inside the migration)."""
    if not enabled():
        return None
    latest = latest_checkpoint()
    on_file = last_file_checkpoint()
    if latest is not None and (on_file is None or on_file.size < latest.size):
        append_to_file(latest.line())
    return latest


# --- proofs --------------------------------------------------------------------------------------------
class _Tree:
    """The leaf hashes of a tree, with memoised subtree roots: many proofs cost O(n + k log n)."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.leaves = leaves
        self.roots: dict[tuple[int, int], bytes] = {}

    def root(self, lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return self.leaves[lo]
        found = self.roots.get((lo, hi))
        if found is None:
            k = merkle._split(hi - lo)
            found = self.roots[(lo, hi)] = merkle.node_hash(self.root(lo, lo + k), self.root(lo + k, hi))
        return found

    def proof(self, index: int, lo: int, hi: int) -> list[bytes]:
        if hi - lo == 1:
            return []
        k = merkle._split(hi - lo)
        if index < lo + k:
            return self.proof(index, lo, lo + k) + [self.root(lo + k, hi)]
        return self.proof(index, lo + k, hi) + [self.root(lo, lo + k)]


def _sequenced(session: Session, size: int) -> list[Any]:
    return list(
        session.connection().execute(
            select(LEAVES).where(LEAVES.c.index.is_not(None), LEAVES.c.index < size).order_by(LEAVES.c.index)
        )
    )


TREES = "ledger_trees"  # session.info key: the checked trees kept by ``reusing_trees``


@contextmanager
def reusing_trees(session: Session | None = None) -> Iterator[None]:
    """Inside the block, a checkpoint's sequenced leaves and tree are read and checked once, not per
    :func:`inclusion` call (a reset's archive proves 30 learners' records against one checkpoint). Sound:
    sequenced leaves are append-only, and a tree is kept by its checkpoint's size and root."""
    info = (session or db.session()).info
    info[TREES] = {}
    try:
        yield
    finally:
        info.pop(TREES, None)


def _checked_tree(session: Session, checkpoint: Checkpoint) -> tuple[list[Any], "_Tree"]:
    kept = session.info.get(TREES)
    key = (checkpoint.size, checkpoint.root)
    if kept is not None and key in kept:
        return kept[key]
    rows = _sequenced(session, checkpoint.size)
    tree = _Tree([merkle.leaf_hash(_leaf_data(r)) for r in rows])
    if len(rows) != checkpoint.size or tree.root(0, checkpoint.size).hex() != checkpoint.root:
        raise LedgerError("the stored leaves do not match the checkpoint: run verify-log")
    if kept is not None:
        kept[key] = (rows, tree)
    return rows, tree


def inclusion(refs: list[str], checkpoint: Checkpoint, session: Session | None = None) -> dict[str, dict]:
    """Proofs that each ref's newest leaf is in ``checkpoint``, with what a verifier needs to recompute it."""
    session = session or db.session()
    rows, tree = _checked_tree(session, checkpoint)
    newest = {r.ref: r for r in rows if r.ref in set(refs)}
    models = _models()
    out = {}
    for ref in refs:
        leaf = newest.get(ref)
        if leaf is None:
            raise LedgerError(f"{describe(ref)} is not in checkpoint {checkpoint.size}")
        entry: dict[str, Any] = {
            "ref": ref,
            "version": leaf.version,
            "kind": leaf.kind,
            "at": format.timestamp(leaf.at),
            "index": leaf.index,
            "leaf": base64.b64encode(_leaf_data(leaf)).decode(),
            "salt": None,
            "content": None,
            "proof": [h.hex() for h in tree.proof(leaf.index, 0, checkpoint.size)],
        }
        if leaf.kind not in GONE:
            content, salt = _current(session, ref, models)
            if content is None or format.commitment(salt, content) != leaf.commitment:
                raise LedgerError(f"{describe(ref)} does not match its newest leaf in the checkpoint: run verify-log")
            entry["salt"], entry["content"] = salt.hex(), format._plain(content)
        out[ref] = entry
    return out


def _current(session: Session, ref: str, models: Mapping[str, type[Base]]) -> tuple[dict | None, bytes]:
    table = ref.split(":", 1)[0]
    coverage, model = EVIDENTIAL[table], models[table]
    parts = ref.split(":")[1:]
    t: Table = model.__table__  # type: ignore[assignment]
    where: Any
    if table == "event":
        where = (t.c.contact_id == int(parts[0])) & (t.c.seq == int(parts[1]))
    elif table == "assessment":  # one row per signed version of the contact's judgement
        where = (t.c.contact_id == int(parts[0])) & (t.c.version == int(parts[1]))
    else:
        where = t.c.id == int(parts[0])
    row = next(_rows(session, coverage, model, where), None)
    if row is None:
        return None, b""
    return row, salts(session, [coverage.subject(row)], create=False).get(coverage.subject(row), b"")


def consistency(old_size: int, checkpoint: Checkpoint, session: Session | None = None) -> list[str]:
    """The consistency proof (hex) from the tree of ``old_size`` leaves to ``checkpoint``'s."""
    rows = _sequenced(session or db.session(), checkpoint.size)
    return [h.hex() for h in merkle.consistency_proof(old_size, [merkle.leaf_hash(_leaf_data(r)) for r in rows])]


# --- the upgrade ---------------------------------------------------------------------------------------
def attest_existing(session: Session, tampered_contacts: Iterable[int] = (), reason: str = "upgrade") -> int:
    """Leaves for every evidential row already there: ``tampered-before-upgrade`` for the rows of the
    contacts given (their event chains failed), ``attested-at-upgrade`` for the rest; then a checkpoint.
    Columns a table does not have yet (a later revision adds them) are left out of its content."""
    bad = set(tampered_contacts)
    present = set(inspect(session.connection()).get_table_names())
    models = _models()
    written = 0
    for table, coverage in EVIDENTIAL.items():
        if table not in present:
            continue
        existing = {c["name"] for c in inspect(session.connection()).get_columns(table)}
        columns = [c for c in coverage.columns if c in existing]
        batch: list[Entry] = []
        for row in _rows(session, coverage, models[table], columns=columns):
            contact = row.get("contact_id") if table != "contact" else row.get("id")
            kind = TAMPERED_BEFORE if table in ("contact", "event", "chain_seal") and contact in bad else ATTESTED
            batch.append(Entry(coverage.ref(row), coverage.subject(row), kind, row))
            if len(batch) >= 5000:
                written += write_leaves(session, batch)
                batch = []
        written += write_leaves(session, batch)
    checkpoint(session, reason)
    session.info.pop("ledger_notes", None)  # published by the next start-up (publish_latest)
    return written


# --- verification --------------------------------------------------------------------------------------
@dataclass
class LedgerReport:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    records: int = 0
    leaves: int = 0
    pending: int = 0
    checkpoints: int = 0
    attested: int = 0
    gone: int = 0  # records verified as archived, purged or deleted through the app
    tampered_before_upgrade: set[int] = field(default_factory=set)  # contact ids

    @property
    def ok(self) -> bool:
        return not self.problems


def _changed_fields(leaf: Any, hashes: Mapping[str, str]) -> list[str]:
    stored = leaf.fields or {}
    if not isinstance(stored, dict) or format.commitment_of_hashes(stored) != leaf.commitment:
        return []  # the hints were altered too: say only that it changed
    return [name for name in hashes if stored.get(name) != hashes[name]] + [n for n in stored if n not in hashes]


def verify(session: Session | None = None, public_pem: str | None = None) -> LedgerReport:
    """Check every evidential row against its newest leaf, every leaf's MAC, the tree against every
    stored checkpoint and the checkpoint file against the database. O(rows + leaves), batched reads."""
    session = session or db.session()
    report = LedgerReport()
    if not enabled(session):
        report.warnings.append("the database has no ledger yet: run `flask init-db` to upgrade it")
        return report
    conn = session.connection()
    key = ledger_key()
    leaves = list(conn.execute(select(LEAVES).order_by(LEAVES.c.id).execution_options(yield_per=5000)))
    report.leaves = len(leaves)
    newest: dict[str, Any] = {}
    for leaf in leaves:
        if not hmac.compare_digest(leaf.mac or "", format.leaf_mac(key, _leaf_data(leaf))):
            report.problems.append(f"leaf {leaf.id} forged (bad MAC): {describe(leaf.ref)} cannot be trusted")
            continue
        if leaf.index is None:
            report.pending += 1
        seen = newest.get(leaf.ref)
        if seen is not None and seen.version == leaf.version:
            report.problems.append(f"leaf {leaf.id} replayed: {describe(leaf.ref)} already has version {leaf.version}")
        elif seen is None or leaf.version > seen.version:
            newest[leaf.ref] = leaf
    _verify_records(session, newest, report)
    _verify_tree(leaves, session, report, public_pem)
    return report


def _verify_records(session: Session, newest: dict[str, Any], report: LedgerReport) -> None:
    all_salts = {
        ref: bytes.fromhex(salt) for ref, salt in session.connection().execute(select(SALTS.c.ref, SALTS.c.salt))
    }
    models = _models()
    for table, coverage in EVIDENTIAL.items():
        for row in _rows(session, coverage, models[table]):
            report.records += 1
            ref = coverage.ref(row)
            problem = _check_record(ref, row, newest.pop(ref, None), all_salts.get(coverage.subject(row)), report)
            if problem:
                report.problems.append(problem)
    for ref, leaf in newest.items():
        if leaf.kind in GONE:
            report.gone += 1
        else:
            report.problems.append(f"{describe(ref)} deleted outside the app")


def _check_record(ref: str, row: Mapping[str, Any], leaf: Any, salt: bytes | None, report: LedgerReport) -> str | None:
    """What is wrong with one stored record given its newest leaf (None: it matches)."""
    name = describe(ref)
    if leaf is None:
        return f"record inserted outside the app: {name}"
    if leaf.kind in GONE:
        return f"{name} was {leaf.kind}, yet it is back: inserted outside the app"
    if salt is None:
        return f"{name}: its salt is missing (deleted outside the app)"
    hashes = format.field_hashes(salt, row)
    if format.commitment_of_hashes(hashes) != leaf.commitment:
        what = ", ".join(field_label(f) for f in _changed_fields(leaf, hashes))
        return f"{name}: {what} changed outside the app" if what else f"{name} changed outside the app"
    if leaf.kind == TAMPERED_BEFORE and ref.startswith("contact:"):
        report.tampered_before_upgrade.add(int(ref.split(":")[1]))
        report.warnings.append(
            f"{name}: tampered before upgrade (its event chain did not verify when the ledger was introduced): "
            "treat its evidence as unreliable"
        )
    elif leaf.kind == ATTESTED:
        report.attested += 1
    return None


def _verify_tree(leaves: Sequence[Any], session: Session, report: LedgerReport, public_pem: str | None) -> None:
    """The sequenced leaves against every stored checkpoint, then the checkpoint file against the database."""
    sequenced = sorted((leaf for leaf in leaves if leaf.index is not None), key=lambda leaf: leaf.index)
    checkpoints = list(session.connection().execute(select(CHECKPOINTS).order_by(CHECKPOINTS.c.size)))
    report.checkpoints = len(checkpoints)
    public = public_pem or signing.public_key_pem()
    file_lines = _file_checkpoints(report)
    roots: dict[int, str] = {0: merkle.EMPTY_ROOT.hex()}
    frontiers: dict[int, list[str]] = {0: []}
    frontier = merkle.Frontier()
    wanted = {c.size for c in checkpoints} | {c.size for c in file_lines}
    for position, leaf in enumerate(sequenced):
        if leaf.index != position:
            report.problems.append(
                f"log rewritten: leaf {position} is missing or renumbered (found index {leaf.index} next)"
            )
            break
        frontier.append(merkle.leaf_hash(_leaf_data(leaf)))
        if frontier.size in wanted:
            roots[frontier.size] = frontier.root().hex()
            frontiers[frontier.size] = frontier.to_hex()
    for c in checkpoints:
        if not _stored(c).verify(public):
            report.problems.append(f"checkpoint {c.size} has an invalid signature: forged or signed by another key")
        elif roots.get(c.size) != c.root:
            report.problems.append(
                f"log rewritten (checkpoint {c.size} inconsistent): its leaves were changed or removed"
            )
        elif list(c.frontier or []) != frontiers.get(c.size):
            report.problems.append(
                f"checkpoint {c.size}: its stored frontier was changed outside the app (the next checkpoint "
                "would be built on it)"
            )
    _verify_file(file_lines, roots, checkpoints[-1].size if checkpoints else 0, report, public)


def _file_checkpoints(report: LedgerReport) -> list[Checkpoint]:
    """Every checkpoint line of the checkpoint file (unchecked), oldest first; a warning if unreadable."""
    try:
        path = checkpoint_file()
        if not path.exists():
            return []
        lines = path.read_bytes().splitlines()
    except OSError as err:
        report.warnings.append(f"the checkpoint file cannot be read: {err}")
        return []
    found = []
    for raw in lines:
        try:
            found.append(parse_note(raw.decode(), None))
        except (LedgerFormatError, UnicodeDecodeError):
            continue
    return found


def _verify_file(
    on_file: Sequence[Checkpoint], roots: Mapping[int, str], latest: int, report: LedgerReport, public: str
) -> None:
    """Every checkpoint the file holds must be one the database's tree passed through: a line ahead of the
    database, or one whose root the tree does not have at that size (a database rolled back, then written
    on), is named."""
    for line in on_file:
        if not line.verify(public):
            report.problems.append(
                f"the checkpoint file's checkpoint of size {line.size} is not signed by this sandbox's key"
            )
        elif line.size > latest:
            report.problems.append(
                "checkpoint file is ahead of the database: the database was rolled back or truncated "
                f"(the file holds a checkpoint of {line.size} leaves, the database's newest is {latest})"
            )
        elif roots.get(line.size) != line.root:
            report.problems.append(
                f"the checkpoint file's checkpoint of size {line.size} is not in the database's log: the database "
                "was rolled back and written on since, or the log was rewritten"
            )
        else:
            continue
        return  # the first disagreement says it; later lines follow from it


def _root_at(sequenced: Sequence[Any], size: int) -> str:
    frontier = merkle.Frontier()
    for leaf in sequenced[:size]:
        frontier.append(merkle.leaf_hash(_leaf_data(leaf)))
    return frontier.root().hex()
