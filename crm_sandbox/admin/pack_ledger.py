"""The ledger's part of an evidence pack (issue 15): which records a pack proves, their proofs, and the
check export runs on them first.

A pack of contacts proves, in one signed ledger checkpoint, every evidential record it carries: each
contact, its events (those after close included), signed heads, findings (the assessor's own included) and
their decisions, criterion judgements and assessment, and the learner's account (ownership). Each proof
carries what a verifier needs to recompute the leaf from the pack's own content (``ledger/proofs.json``,
``crm-sandbox/ledger-proofs@2``): the record's salt, the covered fields the pack carries in clear anyway, and,
for a covered field the pack does not carry as stored (the raw data of an event whose export rewrites it, e.g.
a search listing records by reference only; the contact's full scenario), only that field's salted hash.

:func:`record_problems` is the ledger check ``export-pack`` runs for the pack's contacts: each stored record
against its newest leaf (MAC, commitment, naming the fields changed), records of these contacts deleted or
inserted outside the app, and the checkpoint file ahead of the database (a rollback).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, func, or_, select

from crm_sandbox import ledger
from crm_sandbox.crypto import signing
from crm_sandbox.events.registry import session_data
from crm_sandbox.extensions import db
from crm_sandbox.ledger import format as lf
from crm_sandbox.ledger.coverage import EVIDENTIAL, describe, field_label
from crm_sandbox.models import (
    Assessment,
    Base,
    ChainSeal,
    Contact,
    CriterionJudgement,
    Event,
    Finding,
    FindingDecision,
    User,
)

LedgerError = ledger.LedgerError

# Covered fields a pack never carries as stored: only their salted hash goes into proofs.json.
WITHHELD = {"contact": ("scenario",)}
# Tables whose rows are named by id, with the column (and salt subject) tying them to a contact or finding.
BY_ID = {
    "chain_seal": ("contact_id", "contact"),
    "finding": ("contact_id", "contact"),
    "criterion_judgement": ("contact_id", "contact"),
    "finding_decision": ("finding_id", "finding"),
}


def _table(model: type[Base]) -> Table:
    return model.__table__  # type: ignore[return-value]


def pack_refs(contacts: Sequence[Contact], learner: User | None = None) -> dict[str, str]:
    """Every ledger ref a pack of ``contacts`` proves -> the contact folder it belongs to ("c-12")."""
    refs: dict[str, str] = {}
    if learner is not None and contacts:
        refs[f"user:{learner.id}"] = f"c-{contacts[0].id}"
    ids = [c.id for c in contacts]
    if not ids:
        return refs
    conn = db.session.connection()
    for contact in contacts:
        refs[f"contact:{contact.id}"] = f"c-{contact.id}"
    for cid, seq in conn.execute(select(Event.contact_id, Event.seq).where(Event.contact_id.in_(ids))):
        refs[f"event:{cid}:{seq}"] = f"c-{cid}"
    for model, name in ((ChainSeal, "chain_seal"), (Finding, "finding"), (CriterionJudgement, "criterion_judgement")):
        t = _table(model)
        for rid, cid in conn.execute(select(t.c.id, t.c.contact_id).where(t.c.contact_id.in_(ids))):
            refs[f"{name}:{rid}"] = f"c-{cid}"
    findings = select(Finding.id).where(Finding.contact_id.in_(ids))
    t = _table(FindingDecision)
    for rid, cid in conn.execute(
        select(t.c.id, Finding.contact_id)
        .join(Finding, Finding.id == t.c.finding_id)
        .where(t.c.finding_id.in_(findings))
    ):
        refs[f"finding_decision:{rid}"] = f"c-{cid}"
    for cid, version in conn.execute(
        select(Assessment.contact_id, Assessment.version).where(Assessment.contact_id.in_(ids))
    ):
        refs[f"assessment:{cid}:{version}"] = f"c-{cid}"  # every signed version, superseded ones too
    return refs


# --- the check export runs ---------------------------------------------------------------------------------
def _newest(conn: Any, where: Any) -> dict[str, Any]:
    newest: dict[str, Any] = {}
    for leaf in conn.execute(select(ledger.LEAVES).where(where).order_by(ledger.LEAVES.c.version)):
        newest[leaf.ref] = leaf
    return newest


def _rows_of(table: str, where: Any) -> dict[str, dict[str, Any]]:
    coverage = EVIDENTIAL[table]
    model = {m.class_.__tablename__: m.class_ for m in Base.registry.mappers}[table]
    t = _table(model)
    rows = db.session.connection().execute(select(*(t.c[c] for c in coverage.columns)).where(where))
    out = {}
    for row in rows:
        content = dict(zip(coverage.columns, row))
        out[coverage.ref(content)] = content
    return out


def record_problems(contacts: Sequence[Contact], learner: User | None = None) -> list[tuple[str, str]]:
    """(contact folder "c-12" or "" for the whole log, problem) for every record of the pack's contacts that
    does not match the ledger. Empty when all match, or when the database has no ledger yet."""
    if not ledger.enabled():
        return []
    conn = db.session.connection()
    ids = [c.id for c in contacts]
    problems: list[tuple[str, str]] = []
    problems += [("", p) for p in _file_problems()]
    if not ids:
        return problems
    leaves = ledger.LEAVES.c
    stored, owner = _stored(ids, learner)
    # the leaves of these records, and of records of these contacts that are no longer stored
    patterns = [leaves.ref.like(f"{table}:{i}:%") for i in ids for table in ("event", "assessment")]
    named = [f"contact:{i}" for i in ids] + list(stored)
    newest: dict[str, Any] = {}
    for i in range(0, len(named), 500):
        newest.update(_newest(conn, leaves.ref.in_(named[i : i + 500])))
    for i in range(0, len(patterns), 50):
        newest.update(_newest(conn, or_(*patterns[i : i + 50])))
    newest.update(_orphans(conn, ids, stored, owner))
    all_salts = ledger.salts(db.session(), {EVIDENTIAL[r.split(":")[0]].subject(c) for r, c in stored.items()}, False)
    key = ledger.ledger_key()
    for ref, leaf in sorted(newest.items()):
        if problem := _leaf_problem(ref, leaf, stored.get(ref), all_salts, key):
            problems.append((owner.get(ref) or _owner_of_ref(ref), problem))
    for ref in sorted(set(stored) - set(newest)):
        problems.append((owner[ref], f"record inserted outside the app: {describe(ref)}"))
    return problems


def _stored(ids: Sequence[int], learner: User | None) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The covered content of every stored record of contacts ``ids`` (and the learner's account), by ref,
    and the contact folder each belongs to ("" for the account)."""
    stored: dict[str, dict[str, Any]] = {}
    owner: dict[str, str] = {}
    tables: list[tuple[str, Any]] = [
        ("contact", _table(Contact).c.id.in_(ids)),
        ("event", _table(Event).c.contact_id.in_(ids)),
        ("assessment", _table(Assessment).c.contact_id.in_(ids)),
        ("chain_seal", _table(ChainSeal).c.contact_id.in_(ids)),
        ("finding", _table(Finding).c.contact_id.in_(ids)),
        ("criterion_judgement", _table(CriterionJudgement).c.contact_id.in_(ids)),
        (
            "finding_decision",
            _table(FindingDecision).c.finding_id.in_(select(Finding.id).where(Finding.contact_id.in_(ids))),
        ),
    ]
    if learner is not None:
        tables.append(("user", _table(User).c.id == learner.id))
    for table, where in tables:
        for ref, content in _rows_of(table, where).items():
            stored[ref] = content
            cid = content["id"] if table == "contact" else content.get("contact_id")
            owner[ref] = f"c-{cid}" if cid is not None else owner.get(f"finding:{content.get('finding_id')}", "")
    return stored, owner


def _owner_of_ref(ref: str) -> str:
    table, _, rest = ref.partition(":")
    return f"c-{rest.split(':')[0]}" if table in ("contact", "event", "assessment") else ""


def _leaf_problem(
    ref: str, leaf: Any, content: Mapping[str, Any] | None, all_salts: Mapping[str, bytes], key: bytes
) -> str | None:
    """What is wrong with one record given its newest leaf (None: it matches)."""
    name = describe(ref)
    if not hmac.compare_digest(leaf.mac or "", lf.leaf_mac(key, _leaf_bytes(leaf))):
        return f"{name}: its newest leaf is forged (bad MAC)"
    if content is None:
        return None if leaf.kind in lf.GONE else f"{name} deleted outside the app"
    if leaf.kind in lf.GONE:
        return f"{name} was {leaf.kind}, yet it is back: inserted outside the app"
    salt = all_salts.get(EVIDENTIAL[ref.split(":")[0]].subject(content))
    if salt is None:
        return f"{name}: its salt is missing (deleted outside the app)"
    hashes = lf.field_hashes(salt, content)
    if lf.commitment_of_hashes(hashes) == leaf.commitment:
        return None
    changed = _changed(leaf, hashes)
    return f"{name}: {changed} changed outside the app" if changed else f"{name} changed outside the app"


def _leaf_bytes(leaf: Any) -> bytes:
    return lf.leaf_bytes(leaf.ref, leaf.version, leaf.kind, leaf.commitment, leaf.at)


def _changed(leaf: Any, hashes: Mapping[str, str]) -> str:
    stored = leaf.fields or {}
    if not isinstance(stored, dict) or lf.commitment_of_hashes(stored) != leaf.commitment:
        return ""
    names = [n for n in hashes if stored.get(n) != hashes[n]] + [n for n in stored if n not in hashes]
    return ", ".join(field_label(n) for n in names)


def _orphans(conn: Any, ids: Sequence[int], stored: Mapping[str, Any], owner: dict[str, str]) -> dict[str, Any]:
    """Newest leaves of records named by id (signed heads, findings, judgements, decisions) that are no longer
    stored, and that belong to the pack's contacts: told by their stored per-field hash of ``contact_id`` (or
    ``finding_id``) under the contact's (or finding's) salt. A deletion recorded through the app is left."""
    leaves = ledger.LEAVES.c
    found: dict[str, Any] = {}
    finding_ids = {int(r.split(":")[1]) for r in stored if r.startswith("finding:")}
    for table in ("chain_seal", "finding", "criterion_judgement", "finding_decision"):
        column, subject = BY_ID[table]
        top = (
            select(leaves.ref, func.max(leaves.version).label("v"))
            .where(leaves.ref.like(f"{table}:%"))
            .group_by(leaves.ref)
            .subquery()
        )
        rows = conn.execute(
            select(ledger.LEAVES).join(top, (leaves.ref == top.c.ref) & (leaves.version == top.c.v))
        ).all()
        missing = [leaf for leaf in rows if leaf.ref not in stored and leaf.kind not in lf.GONE]
        if not missing:
            continue
        parents = sorted(finding_ids) if subject == "finding" else list(ids)
        salts = ledger.salts(db.session(), [f"{subject}:{p}" for p in parents], create=False)
        expected = {
            lf.field_hashes(salts[f"{subject}:{p}"], {column: p})[column]: p
            for p in parents
            if f"{subject}:{p}" in salts
        }
        for leaf in missing:
            parent = expected.get((leaf.fields or {}).get(column, ""))
            if parent is None:
                continue
            found[leaf.ref] = leaf
            owner[leaf.ref] = f"c-{parent}" if subject == "contact" else _finding_owner(parent, owner)
            if table == "finding":
                finding_ids.add(int(leaf.ref.split(":")[1]))
                owner.setdefault(leaf.ref, "")
    return found


def _finding_owner(finding_id: int, owner: Mapping[str, str]) -> str:
    return owner.get(f"finding:{finding_id}", "")


def _file_problems() -> list[str]:
    """The checkpoint file ahead of the database: the database was rolled back (the file kept)."""
    try:
        on_file = ledger.last_file_checkpoint()
    except OSError:
        return []
    latest = ledger.latest_checkpoint()
    if on_file is None or not on_file.verify(signing.public_key_pem()):
        return []
    if latest is None or on_file.size > latest.size:
        return [
            "the ledger's checkpoint file is ahead of the database: the database was rolled back or truncated "
            f"(the file holds a checkpoint of {on_file.size} leaves, the database {latest.size if latest else 0})"
        ]
    return []


# --- the section ---------------------------------------------------------------------------------------------
def section_records(
    contacts: Sequence[Contact], learner: User | None, skip: Iterable[str] = ()
) -> tuple[lf.Checkpoint, list[dict[str, Any]]] | None:
    """The checkpoint (made now if leaves are pending) and, per record of the pack (but those of the contact
    folders in ``skip``, "c-12"), its proof
    entry as proofs.json@2 carries it. None when the database has no ledger. Raises ledger.LedgerError when a
    record no longer matches its leaf (the caller checked with :func:`record_problems` first)."""
    if not ledger.enabled():
        return None
    skipped = set(skip)
    refs = {ref: c for ref, c in pack_refs(contacts, learner).items() if c not in skipped}
    customer_refs = {c.customer_id: c.customer.ref for c in contacts}
    last: ledger.LedgerError | None = None
    for _ in range(3):  # a write between the checkpoint and the proofs: checkpoint again
        head = ledger.checkpoint_now("evidence pack")
        try:
            proofs = ledger.inclusion(list(refs), head)
        except ledger.LedgerError as err:
            last = err
            continue
        return head, [_entry(proofs[ref], refs[ref], customer_refs) for ref in refs]
    assert last is not None  # noqa: S101 - the loop ran
    raise last


def _entry(proof: dict[str, Any], contact: str, customer_refs: Mapping[int, str]) -> dict[str, Any]:
    """One inclusion() entry cut to what the pack may carry: withheld fields as their salted hash only."""
    table = proof["ref"].split(":")[0]
    content = dict(proof["content"] or {})
    salt = bytes.fromhex(proof["salt"]) if proof["salt"] else b""
    withheld = list(WITHHELD.get(table, ()))
    if table == "event" and session_data(content["type"], content["data"], customer_refs) != content["data"]:
        withheld.append("data")  # the pack shows it rewritten (records by reference): not as stored
    hashes = lf.field_hashes(salt, {k: content.pop(k) for k in withheld if k in content})
    return {
        "ref": proof["ref"],
        "contact": contact,
        "version": proof["version"],
        "kind": proof["kind"],
        "at": proof["at"],
        "index": proof["index"],
        "leaf": proof["leaf"],
        "proof": proof["proof"],
        "salt": proof["salt"],
        "content": content,
        "hashes": hashes,
    }
