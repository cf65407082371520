"""Signed evidence packs ``crm-sandbox/evidence-pack@2``: a learner's contacts as a zip anyone can check.

Layout::

    contacts/c-12/session.json    the session export (crm-sandbox/session@1) as a pack carries it: the
                                  contact's chain head signed at export ("chain"), and the customer record
                                  cut to what the learner was shown ("withheld" names what was left out)
    contacts/c-12/findings.json   the findings with their decisions and history, the assessor's own
    contacts/c-12/review.json     criteria judgements with history, the assessment and sign-offs, KPIs
    contacts/c-12/report.pdf      the observation record
    learner-report.pdf            the learner's record
    disclosures.json              who saw the contacts' customer data, when, which fields, and whether
                                  entitled (the ``data_view`` rows of these contacts; a reset archives them)
    ledger/checkpoint.txt         the signed ledger checkpoint the proofs lead to (made at export)
    ledger/proofs.json            per record: leaf index, bytes, audit path, salt, covered content
    problems.json                 (archived packs only) what failed verification when it was archived
    public_key.pem                the app's Ed25519 public key (for convenience: trust the fingerprint)
    manifest.json                 format, learner, cohort, created_at, an index of the contacts (each with
                                  its chain head, its mode: practice or observed assessment, and its
                                  outcome), the sign-offs, the ledger files if any, and the SHA-256 and
                                  size of every file
    manifest.sig                  the Ed25519 signature of manifest.json's exact bytes

The signature covers the manifest, and the manifest covers every other file, so one changed byte,
an added or a removed file is found and named by :func:`verify_pack`. Each contact's chain head is signed
on its own as well (as ``verify-log`` checks it), and must agree with the manifest, the contact's folder
and the events in its session.json. A pack is read in memory with limits (sizes from the central
directory, before anything is inflated): nothing is ever extracted to disk.

Packs of ``crm-sandbox/evidence-pack@1`` (the release before chain heads were carried) still verify, with
a note that they carry the signature and file hashes only.

The ledger section (``admin/pack_ledger.py``): ``ledger/checkpoint.txt`` is a checkpoint made at export,
``ledger/proofs.json`` (proofs@2) proves every record the pack carries; :func:`check_pack` recomputes each leaf
from the salt and content the proofs carry, checks its inclusion, then that the pack's own session.json,
findings.json and review.json say what the proven records say (:func:`_bind`). ``verify-pack --checkpoint
LATER`` (``flask latest-checkpoint --from-size N``) checks the pack's checkpoint is a prefix of a later one.
An archived pack of evidence that failed verification carries a signed ``problems.json`` (reported as
problems by :func:`check_pack`).
"""

import base64
import binascii
import hashlib
import io
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

from crm_sandbox import ledger
from crm_sandbox.admin import pack_ledger
from crm_sandbox.crypto import merkle, signing
from crm_sandbox.events.chain import head_message, verify_contact
from crm_sandbox.events.registry import session_data
from crm_sandbox.formatting import mode_label
from crm_sandbox.ledger import format as lf
from crm_sandbox.models import Contact, User, utcnow
from crm_sandbox.queries.disclosure import views_of_contacts
from crm_sandbox.queries.level3.evidence import level3_document
from crm_sandbox.queries.quality.countersign import countersignature_of, needs_countersignature, provisional
from crm_sandbox.queries.review import ContactReview, contact_review, opened_contacts
from crm_sandbox.queries.session_export import pack_session_document
from crm_sandbox.reports import pdf
from crm_sandbox.reports import records as r

FORMAT = "crm-sandbox/evidence-pack@2"
FORMAT_V1 = "crm-sandbox/evidence-pack@1"  # the release before chain heads (main at ea876b8): still verified
FORMATS = (FORMAT_V1, FORMAT)
MANIFEST, SIGNATURE, PUBLIC_KEY = "manifest.json", "manifest.sig", "public_key.pem"
LEDGER_CHECKPOINT, LEDGER_PROOFS = "ledger/checkpoint.txt", "ledger/proofs.json"
PROOFS_FORMAT = "crm-sandbox/ledger-proofs@2"  # leaves recomputed from the pack's content (packs carry this)
PROOFS_FORMAT_V1 = "crm-sandbox/ledger-proofs@1"  # leaves and audit paths only (the seam's hand-built proofs)
PROBLEMS = "problems.json"  # in an archived pack whose evidence failed verification at the reset
PROBLEMS_FORMAT = "crm-sandbox/pack-problems@1"
DISCLOSURES, DISCLOSURES_FORMAT = "disclosures.json", "crm-sandbox/disclosures@1"
# An archived pack's printable PDFs are in a second signed file, rendered after the reset (admin/renderings.py).
PRINTABLE_ELSEWHERE = (
    "rendered after the reset into a second signed file (crm-sandbox/renderings@1) that names this manifest's SHA-256"
)
LEVEL3 = "level3.json"  # the learner's Level 3 work, when there is any (queries/level3/evidence.py)
# True once ledger_section fills packs in: then a pack without a ledger section is from an earlier release.
LEDGER_IN_RELEASE = True

# Limits on what verify_pack reads (a pack of 13 contacts is ~1 MB; anything far beyond is not a pack).
MAX_PACK = 512 * 1024 * 1024  # the zip file itself
MAX_MEMBER = 64 * 1024 * 1024  # one member, inflated (as the central directory declares it)
MAX_TOTAL = 256 * 1024 * 1024  # every member together, inflated
MAX_MEMBERS = 5000
MAX_RATIO = 200  # inflated / compressed, for members over RATIO_FLOOR (deflate of real files stays far below)
RATIO_FLOOR = 1024 * 1024
NESTED = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")
ARCHIVE_SUFFIXES = (".zip", ".jar", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz")
CONTACT_DIR = re.compile(r"contacts/(c-(\d+))/")
# A pack to check: its bytes, or the path of its file.
PackSource = bytes | bytearray | memoryview | str | Path


class PackRefused(Exception):
    """The evidence behind a pack does not verify: no pack is built (the message names the first problem)."""


def _json(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")


# --- building ---------------------------------------------------------------------------------------------
def evidence_problems(learner: User) -> list[str]:
    """What is wrong with the evidence a pack of ``learner`` would carry: each opened contact's event chain
    and signed heads, as ``verify-log`` checks them, and every record of those contacts against the ledger
    (its newest leaf, records deleted or inserted outside the app, a database rolled back behind the
    checkpoint file). Empty: all verified."""
    return [problem for _, problem in contact_problems(learner)]


def contact_problems(learner: User, whole_log: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """(contact folder "c-12", or "" for the whole ledger, problem) for :func:`evidence_problems`.
    ``whole_log``: the problems of ``ledger.verify()`` when the caller checked the whole log already (a
    reset's archive checks it once for all its learners, not once per learner)."""
    contacts = opened_contacts(learner)
    problems = [
        (f"c-{contact.id}", status.problem)
        for contact in contacts
        if (status := verify_contact(contact.id)).problem is not None  # the chain alone, not the whole review
    ]
    for folder, problem in pack_ledger.record_problems(contacts, learner):
        named = folder and not problem.startswith((f"contact {folder[2:]}:", f"contact {folder[2:]} "))
        problems.append((folder, f"contact {folder[2:]}: {problem}" if named else problem))
    # The rest of the log too: a contact of this learner deleted, or moved to another learner, is not among
    # the contacts above, and a pack must never be signed as complete while the log says otherwise.
    seen = {problem for _, problem in problems}
    logged = ledger.verify().problems if whole_log is None else whole_log
    problems += [("", p) for p in logged if p not in seen and not _about_these(p, problems)]
    return problems


def _about_these(problem: str, found: Sequence[tuple[str, str]]) -> bool:
    """Whether the whole-log check's ``problem`` is one the per-contact check already named."""
    return any(problem in named or named.endswith(problem) for _, named in found)


def ledger_section(
    contacts: Sequence[Contact], learner: User | None = None, skip: Sequence[str] = ()
) -> dict[str, bytes] | None:
    """The ledger files a pack of ``contacts`` carries: ``{LEDGER_CHECKPOINT: the signed checkpoint note,
    LEDGER_PROOFS: proofs.json}`` (a checkpoint is made first when leaves are pending, so the pack is covered),
    or None when the database has no ledger. ``skip``: contact folders ("c-12") whose records are left out
    (an archive of evidence that failed verification: named in problems.json instead). Raises
    ``ledger.LedgerError`` when a record no longer matches its leaf (checked first by ``evidence_problems``)."""
    made = pack_ledger.section_records(contacts, learner, skip)
    if made is None:
        return None
    checkpoint, records = made
    return {
        LEDGER_CHECKPOINT: checkpoint.note().encode("utf-8"),
        LEDGER_PROOFS: _json(proofs_document(checkpoint.size, bytes.fromhex(checkpoint.root), records, bound=True)),
    }


def proofs_document(
    tree_size: int, root_hash: bytes, records: Sequence[dict[str, Any]], bound: bool = False
) -> dict[str, Any]:
    """ledger/proofs.json: ``records`` are dicts with ``ref`` (the ledger's record reference), ``contact``
    ("c-12"), ``index`` (leaf index), ``leaf`` (the leaf's bytes, or base64 text), ``proof`` (audit path:
    hashes as bytes or hex). ``bound`` (@2, what packs carry): each record also has ``version``, ``kind``,
    ``at``, ``salt`` (hex), ``content`` (the covered fields the pack carries in clear) and ``hashes`` (the
    salted hash of each covered field it does not), from which a verifier recomputes the leaf."""
    return {
        "format": PROOFS_FORMAT if bound else PROOFS_FORMAT_V1,
        "tree_size": tree_size,
        "root": root_hash.hex(),
        "records": [
            {
                **{k: v for k, v in rec.items() if k not in ("leaf", "proof", "salt")},
                "leaf": rec["leaf"] if isinstance(rec["leaf"], str) else base64.b64encode(rec["leaf"]).decode("ascii"),
                **(
                    {"salt": rec["salt"].hex() if isinstance(rec["salt"], bytes) else rec["salt"]}
                    if rec.get("salt")
                    else {}
                ),
                "proof": [h if isinstance(h, str) else h.hex() for h in rec["proof"]],
            }
            for rec in records
        ],
    }


def countersigned(a: Any) -> dict[str, Any]:
    """A trainee's version: its countersignature (who, when), or that it is provisional (not final)."""
    if not needs_countersignature(a):
        return {}
    counter = countersignature_of(a)
    if counter is None:
        return {"provisional": True, "countersigned": None}
    return {
        "provisional": False,
        "countersigned": {"by": counter.signer.username, "at": r.iso(counter.at), "version": counter.version},
    }


def sign_offs(reviews: list[ContactReview]) -> list[dict[str, Any]]:
    """What the manifest says about each contact's sign-off: its mode, the version that stands (who signed,
    when, the outcome) and the superseded versions, and the method of assessment."""
    out = []
    for review in reviews:
        contact, a = review.contact, review.assessment
        out.append(
            {
                "contact": r.contact_ref(contact),
                "mode": contact.mode,
                "method": r.METHOD,
                "signed": (
                    {
                        "version": a.version,
                        "outcome": a.outcome,
                        "assessor": a.assessor.username,
                        "signed_at": r.iso(a.signed_at),
                        "acknowledged_at": r.iso(a.acknowledged_at),
                        **countersigned(a),
                    }
                    if a
                    else None
                ),
                "superseded": [
                    {
                        "version": v.version,
                        "outcome": v.outcome,
                        "assessor": v.assessor.username,
                        "signed_at": r.iso(v.signed_at),
                        "voided_at": r.iso(v.voided_at),
                        "voided_by": v.voider.username if v.voider else None,
                        "reason": v.void_reason,
                    }
                    for v in review.superseded
                ],
            }
        )
    return out


def contact_entry(review: ContactReview) -> dict[str, Any]:
    """One contact as the manifest's index lists it: its folder, scenario, mode and outcome, and whether
    it is evidence of competence (only a signed-off observed assessment is; practice is formative)."""
    contact, a = review.contact, review.assessment
    return {
        "contact": r.contact_ref(contact),
        "folder": f"contacts/{r.contact_ref(contact)}/",
        "scenario": contact.scenario_id,
        "title": contact.title,
        "channel": contact.channel,
        "mode": contact.mode,
        "mode_label": mode_label(contact.mode),
        "status": contact.status,
        "outcome": a.outcome if a else None,
        "outcome_label": r.listed_outcome(review),
        # a trainee's provisional decision is not final until countersigned, so not yet evidence
        "competence_evidence": bool(a) and contact.mode == "assessment" and not provisional(a),
    }


def contact_files(review: ContactReview, created_at: datetime, pdf_too: bool = True) -> dict[str, bytes]:
    """One contact's folder of the pack: its session, findings and review, and its observation record."""
    contact = review.contact
    base = f"contacts/{r.contact_ref(contact)}/"
    files = {
        base + "session.json": _json(pack_session_document(contact, review.events)),
        base + "findings.json": _json(r.findings_document(review)),
        base + "review.json": _json(r.review_document(review)),
    }
    if pdf_too:
        files[base + "report.pdf"] = pdf.contact_pdf(review, created_at=created_at)
    return files


def pack_files(
    learner: User,
    created_at: datetime,
    reviews: list[ContactReview] | None = None,
    index: list[dict] | None = None,
    problems: Sequence[tuple[str, str]] = (),
    pdfs: bool = True,
) -> dict[str, bytes]:
    """Every file of the pack except the manifest and its signature, in the pack's order; each contact's
    manifest entry (``contact_entry``) is appended to ``index`` when one is given. ``problems``: (contact
    folder, problem) found when the evidence was checked: written to problems.json, and the records of those
    contacts are left out of the ledger proofs (they no longer match their leaves). ``pdfs=False``: without
    the printable PDFs (a reset's archive renders them afterwards: ``admin/renderings.py``)."""
    files: dict[str, bytes] = {}
    if reviews is None:
        reviews = [contact_review(contact) for contact in opened_contacts(learner)]
    for review in reviews:
        files.update(contact_files(review, created_at, pdfs))
        if index is not None:
            index.append(contact_entry(review))
    if pdfs:
        files["learner-report.pdf"] = pdf.learner_pdf(learner, reviews, created_at=created_at)
    contacts = [review.contact for review in reviews]
    files[DISCLOSURES] = _json(disclosures_document(contacts))
    level3 = level3_document(learner)
    if level3 is not None:  # Level 3 tasks, discussions and opt-ins (issue 21)
        files[LEVEL3] = _json(level3)
    if problems:
        files[PROBLEMS] = _json(problems_document(learner, problems))
    failed = sorted({folder for folder, _ in problems if folder})
    if any(not folder for folder, _ in problems):
        failed = [f"c-{c.id}" for c in contacts]  # the whole ledger is in doubt: prove nothing from it
    try:
        files.update(ledger_section(contacts, learner, failed) or {})
    except pack_ledger.LedgerError:
        if not problems:
            raise
    files[PUBLIC_KEY] = signing.public_key_pem().encode("ascii")
    return files


def disclosures_document(contacts: Sequence[Contact]) -> dict[str, Any]:
    """Who was shown these contacts' customer data (``queries/disclosure.py``), oldest first."""
    refs = {c.id: r.contact_ref(c) for c in contacts}
    return {
        "format": DISCLOSURES_FORMAT,
        "views": [
            {
                "at": r.iso(v.at),
                "viewer": v.user.username if v.user else None,
                "role": v.role,
                "kind": v.kind,
                "contact": refs.get(v.contact_id) if v.contact_id else None,
                "customers": v.customer_refs,
                "fields": v.fields,
                "entitled": v.entitled,
                "detail": v.detail,
            }
            for v in views_of_contacts([c.id for c in contacts])
        ],
    }


def _heads(files: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """Each contact's signed chain head as its session.json carries it, by contact ref, for the manifest."""
    heads = {}
    for name, data in files.items():
        m = CONTACT_DIR.match(name)
        if m and name == m.group(0) + "session.json":
            chain = json.loads(data)["chain"]
            heads[m.group(1)] = {"ref": m.group(1), "seq": chain["seq"], "mac": chain["mac"]}
    return heads


def _contacts(files: dict[str, bytes], index: list[dict] | None) -> list[dict[str, Any]]:
    """The manifest's contacts: each one's chain head, with its index entry (mode, outcome…) when given."""
    entries = {e["contact"]: e for e in index or []}
    return [{**head, **entries.get(ref, {})} for ref, head in _heads(files).items()]


def manifest_document(
    learner: User,
    files: dict[str, bytes],
    created_at: datetime,
    reviews: list[ContactReview] | None = None,
    index: list[dict] | None = None,
) -> dict:
    if reviews is None:
        reviews = [contact_review(contact) for contact in opened_contacts(learner)]
    return {
        "format": FORMAT,
        "learner": {"username": learner.username, "name": learner.display_name},
        "cohort": learner.cohort.name if learner.cohort else None,
        "created_at": r.iso(created_at),
        "signed_by": {"algorithm": "Ed25519", "fingerprint": signing.fingerprint()},
        "personal_data": "minimised: each session.json names the customer fields left out under 'withheld'",
        "contacts": _contacts(files, index),
        "ledger": {"checkpoint": LEDGER_CHECKPOINT, "proofs": LEDGER_PROOFS} if LEDGER_PROOFS in files else None,
        "sign_offs": sign_offs(reviews),
        "files": file_entries(files),
    }


def file_entries(files: dict[str, bytes]) -> list[dict[str, Any]]:
    """A signed manifest's ``files``: each file's path, SHA-256 and size."""
    return [
        {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)} for name, data in files.items()
    ]


def zip_entries(entries: list[tuple[str, bytes]], created_at: datetime) -> bytes:
    """``entries`` as a deterministic zip (every member stamped ``created_at``, deflated, mode 644)."""
    buf = io.BytesIO()
    stamp = created_at.timetuple()[:6]
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def problems_document(learner: User, problems: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """problems.json: what failed verification when the pack was made (an archive keeps evidence anyway)."""
    return {
        "format": PROBLEMS_FORMAT,
        "learner": learner.username,
        "why": "this evidence failed verification when it was archived; it is kept, not vouched for: "
        "treat the contacts named here as unreliable",
        "contacts": sorted({folder for folder, _ in problems if folder}),
        "problems": [{"contact": folder or None, "problem": problem} for folder, problem in problems],
    }


def build_learner_pack(
    learner: User, created_at: datetime | None = None, problems: Sequence[tuple[str, str]] = (), pdfs: bool = True
) -> bytes:
    """The learner's signed evidence pack as zip bytes (needs an app context: the key and the database).

    Does not check the evidence first: :func:`build_verified_pack` does (``export-pack``), and the reset's
    archive passes the ``problems`` it found (see :func:`pack_files`). ``pdfs=False``: the evidence without
    its printable PDFs, which a second signed file carries (``admin/renderings.py``); the manifest says so."""
    created_at = (created_at or utcnow()).replace(microsecond=0)
    reviews = [contact_review(contact) for contact in opened_contacts(learner)]
    index: list[dict] = []
    files = pack_files(learner, created_at, reviews, index, problems, pdfs)
    document = manifest_document(learner, files, created_at, reviews, index)
    if not pdfs:
        document["printable"] = PRINTABLE_ELSEWHERE
    manifest = _json(document)
    entries = [(MANIFEST, manifest), (SIGNATURE, signing.sign(manifest)), *files.items()]
    return zip_entries(entries, created_at)


def build_verified_pack(learner: User, created_at: datetime | None = None) -> bytes:
    """As :func:`build_learner_pack`, but refuses (PackRefused, naming the first problem) when the evidence
    behind the pack does not verify: a pack must never sign evidence that ``verify-log`` calls BROKEN."""
    problems = evidence_problems(learner)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise PackRefused(
            f"The evidence of {learner.username} does not verify, so no pack was written: {problems[0]}{more}. "
            "Run verify-log for every problem."
        )
    try:
        return build_learner_pack(learner, created_at)
    except pack_ledger.LedgerError as err:  # changed between the check and the proofs
        raise PackRefused(
            f"The evidence of {learner.username} does not verify, so no pack was written: {err}."
        ) from err


def pack_filename(learner: User, created_at: datetime | None = None) -> str:
    return f"evidence-pack-{learner.username}-{(created_at or utcnow()):%Y%m%d-%H%M%S}.zip"


# --- checking ---------------------------------------------------------------------------------------------
class CheckpointView(NamedTuple):
    """What a signed checkpoint note says: the log's name, its size and its root hash."""

    origin: str
    size: int
    root: bytes


# Parses and verifies a signed checkpoint note against a public key; raises ValueError naming the problem.
# The ledger provides it (``ledger.parse_note``); until then no pack carries a ledger section.
NoteParser = Callable[[str, str | bytes], CheckpointView]
# A later checkpoint to check the pack's against: the note's text and the consistency proof from the
# pack's checkpoint to it (``ledger.consistency(old_size, checkpoint)``).
LaterCheckpoint = tuple[str, Sequence[bytes]]
KeyPem = str | bytes


def parse_ledger_note(text: str, public_pem: str | bytes) -> CheckpointView:
    """A ledger checkpoint note (``crm-sandbox/ledger@1``) checked against ``public_pem``, as packs read it
    (``LedgerFormatError``, a ValueError, names what is wrong)."""
    checkpoint = lf.parse_note(text, public_pem)
    return CheckpointView(lf.NOTE_FORMAT, checkpoint.size, bytes.fromhex(checkpoint.root))


def default_note_parser() -> NoteParser | None:
    """The parser of signed checkpoint notes ``check_pack`` uses when none is given: the ledger's."""
    return parse_ledger_note


@dataclass
class PackReport:
    problems: list[str] = field(default_factory=list)
    files: int = 0  # files checked against the manifest
    fingerprint: str = ""  # of the key the signature was checked with
    manifest: dict[str, Any] | None = None
    signer_trusted: bool = False  # checked against a key the caller gave (not only the pack's own copy)
    heads: int = 0  # chain heads whose signature and events verified
    ledger_records: int = 0  # records proven in the ledger checkpoint
    ledger_size: int | None = None  # the tree size of the pack's ledger checkpoint
    notes: list[str] = field(default_factory=list)  # what was not checked, and why (not problems)
    intact: set[str] = field(default_factory=set)  # files whose bytes match the manifest

    @property
    def ok(self) -> bool:
        return not self.problems


def _read(data_or_path: PackSource) -> bytes:
    if isinstance(data_or_path, (bytes, bytearray, memoryview)):
        return bytes(data_or_path)
    path = Path(data_or_path)
    with path.open("rb") as fh:  # bounded: a device or a pipe (/dev/zero) has no size to check first
        data = fh.read(MAX_PACK + 1)
    if len(data) > MAX_PACK:
        raise OSError(f"the file is larger than {MAX_PACK // (1024 * 1024)} MB: not an evidence pack")
    return data


def unsafe_path(name: str) -> str | None:
    """Why ``name`` may not be a pack member's path (absolute, ``..``, a drive, a backslash), or None."""
    if not name or "\x00" in name:
        return "an empty or NUL path"
    if "\\" in name:
        return "a backslash in the path"
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        return "an absolute path"
    parts = name.rstrip("/").split("/")
    if any(p in ("..", ".") for p in parts):
        return "a '..' or '.' path component"
    if any(p == "" for p in parts):
        return "an empty path component"
    return None


def _structure(infos: list[zipfile.ZipInfo], report: PackReport) -> bool:
    """Refuse, before inflating anything, what no pack holds: unsafe paths, nested archives, encrypted
    entries, and sizes (declared in the central directory) beyond the limits. True when all is well."""
    before = len(report.problems)
    if len(infos) > MAX_MEMBERS:
        report.problems.append(f"refused: {len(infos):,} entries (a pack has far fewer; at most {MAX_MEMBERS:,})")
        return False
    total = 0
    for info in infos:
        name = info.filename
        if why := unsafe_path(name):
            report.problems.append(f"{name!r}: refused: {why} (a pack's entries are relative paths inside it)")
            continue
        if info.flag_bits & 0x1:
            report.problems.append(f"{name}: refused: an encrypted entry")
        if name.lower().endswith(ARCHIVE_SUFFIXES):
            report.problems.append(f"{name}: refused: a nested archive (a pack holds no archives)")
        if info.file_size > MAX_MEMBER:
            report.problems.append(
                f"{name}: refused: declares {info.file_size:,} bytes inflated (at most {MAX_MEMBER:,}): a zip bomb?"
            )
        elif info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            report.problems.append(
                f"{name}: refused: inflates {info.file_size // max(info.compress_size, 1):,} times "
                f"(at most {MAX_RATIO}): a zip bomb?"
            )
        total += info.file_size
    if total > MAX_TOTAL:
        report.problems.append(
            f"refused: the entries declare {total:,} bytes inflated in all (at most {MAX_TOTAL:,}): a zip bomb?"
        )
    return len(report.problems) == before


def _members(zf: zipfile.ZipFile, report: PackReport) -> dict[str, bytes | None]:
    """Each member's bytes, read in memory (None when it cannot be read: a broken entry is named, not fatal)."""
    contents: dict[str, bytes | None] = {}
    for info in zf.infolist():
        if info.is_dir():
            continue
        if info.filename in contents:
            report.problems.append(f"{info.filename}: appears more than once in the zip (a second copy was added)")
            continue
        try:
            with zf.open(info) as fh:
                data = fh.read(info.file_size + 1)  # never more than the central directory declared
            if len(data) != info.file_size:
                raise zipfile.BadZipFile(f"{len(data)} bytes, not the {info.file_size} declared")
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            zlib.error,
            OSError,
            EOFError,
            ValueError,
            NotImplementedError,
            RuntimeError,
        ) as err:  # RuntimeError: an encrypted entry
            report.problems.append(f"{info.filename}: bytes changed (the zip entry is damaged: {err})")
            contents[info.filename] = None
            continue
        if data.startswith(NESTED):
            report.problems.append(f"{info.filename}: refused: a nested archive (a pack holds no archives)")
            contents[info.filename] = None
            continue
        contents[info.filename] = data
    return contents


def _open(data_or_path: PackSource, report: PackReport) -> dict[str, bytes | None] | None:
    """The pack's members, or None (the problem reported) when it cannot be read, is not a zip, or is refused."""
    try:
        raw = _read(data_or_path)
    except OSError as err:
        report.problems.append(f"cannot read the pack: {err.strerror or err}")
        return None
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, ValueError, OSError, EOFError) as err:
        report.problems.append(f"malformed zip: the file is truncated or is not a zip ({err})")
        return None
    with zf:
        if not _structure(zf.infolist(), report):
            return None
        return _members(zf, report)


def check_pack(
    data_or_path: PackSource,
    public_key_pem: KeyPem | None = None,
    *,
    trusted: Sequence[KeyPem] = (),
    later: LaterCheckpoint | None = None,
    parse_note: NoteParser | None = None,
) -> PackReport:
    """Check a pack, in memory. ``public_key_pem`` and ``trusted`` are the keys to trust: the signature must
    be by one of them (``report.signer_trusted``). With none, the pack's own public_key.pem is used, which
    proves only that the pack is intact, not who made it (``signer_trusted`` stays False). ``later``: a
    later checkpoint the pack's ledger checkpoint must be consistent with (packs with a ledger section)."""
    report = PackReport()
    contents = _open(data_or_path, report)
    if contents is None:
        return report
    manifest_bytes = contents.get(MANIFEST)
    if MANIFEST not in contents:
        report.problems.append(f"{MANIFEST}: missing, so nothing in the pack can be checked")
        return report
    if manifest_bytes is None:
        return report  # already named as damaged
    listed = _read_manifest(manifest_bytes, report)
    if listed is None:
        return report
    keys = [k for k in (public_key_pem, *trusted) if k is not None]
    key = _check_signature(contents, manifest_bytes, keys, report)
    _check_files(contents, listed, report)
    manifest = report.manifest or {}
    if manifest.get("format") == FORMAT_V1:
        report.notes.append(
            f"made by an earlier release ({FORMAT_V1}): signature and file hashes only; it carries no "
            "signed chain heads or ledger proofs"
        )
        if later is not None:
            report.problems.append(f"{MANIFEST}: the pack carries no ledger checkpoint to compare the later one with")
        return report
    if key is not None:
        _check_heads(contents, manifest, key, report)
    _check_ledger(contents, manifest, key, later, parse_note or default_note_parser(), report)
    return report


def _read_manifest(manifest_bytes: bytes, report: PackReport) -> dict[str, Any] | None:
    """The manifest's entries by path (the manifest kept in ``report``), or None when it is unreadable."""
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        entries = manifest["files"]
        if (
            manifest.get("format") not in FORMATS
            or not isinstance(entries, list)
            or not all(
                isinstance(e["path"], str) and isinstance(e["sha256"], str) and isinstance(e["size"], int)
                for e in entries
            )
        ):
            raise ValueError
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        report.problems.append(f"{MANIFEST}: not a readable {FORMAT} manifest")
        return None
    listed: dict[str, Any] = {}
    for e in entries:
        if why := unsafe_path(e["path"]):
            report.problems.append(f"{MANIFEST}: refused: lists {e['path']!r}, {why}")
        elif e["path"] in listed:
            report.problems.append(f"{MANIFEST}: refused: lists {e['path']} more than once")
        listed[e["path"]] = e
    if report.problems:
        return None
    report.manifest = manifest
    return listed


def _check_signature(
    contents: dict[str, bytes | None], manifest_bytes: bytes, keys: list[KeyPem], report: PackReport
) -> KeyPem | None:
    """The signature: over the exact manifest bytes, by one of ``keys`` (or by the pack's own key, untrusted,
    when none is given). Returns the key that verified it, for the chain heads."""
    signature = contents.get(SIGNATURE)
    own = contents.get(PUBLIC_KEY)
    if not keys and own is None:
        report.problems.append(f"{PUBLIC_KEY}: missing, and no public key was given to check the signature with")
        return None
    if SIGNATURE not in contents:
        report.problems.append(f"{SIGNATURE}: missing, so the manifest is not signed")
        return keys[0] if keys else own
    if signature is None:
        return None  # already named as damaged
    try:
        if not keys:
            assert own is not None  # noqa: S101 - checked above
            report.fingerprint = signing.fingerprint(own)
            if signing.verify(own, manifest_bytes, signature):
                return own
            report.problems.append(
                f"{SIGNATURE}: signature invalid: {MANIFEST} was edited, or the pack "
                f"was signed by another key (not {report.fingerprint})"
            )
            return None
        for key in keys:
            if signing.verify(key, manifest_bytes, signature):
                report.fingerprint, report.signer_trusted = signing.fingerprint(key), True
                return key
        names = ", ".join(signing.fingerprint(k) for k in keys)
        report.fingerprint = signing.fingerprint(keys[0])
        report.problems.append(
            f"{SIGNATURE}: signature invalid: {MANIFEST} was edited, or the pack was signed by another key (not {names})"
        )
    except signing.SigningKeyError as err:
        report.problems.append(f"public key: {err}")
    return None


def _check_files(contents: dict[str, bytes | None], listed: dict[str, Any], report: PackReport) -> None:
    """Every listed file present with its bytes unchanged; nothing unlisted."""
    for path, entry in listed.items():
        if path not in contents:
            report.problems.append(f"{path}: listed in the manifest but missing from the pack")
            continue
        data = contents[path]
        if data is None:
            continue  # already named as damaged
        if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"].lower():
            report.problems.append(f"{path}: bytes changed (SHA-256 does not match the manifest)")
        else:
            report.files += 1
            report.intact.add(path)
    for path in contents:
        if path not in listed and path not in (MANIFEST, SIGNATURE):
            report.problems.append(f"{path}: added (not in the manifest)")


def _check_heads(contents: dict[str, bytes | None], manifest: dict[str, Any], key: KeyPem, report: PackReport) -> None:
    """Each contact's chain head: listed in the (signed) manifest, carried by its session.json, signed by
    ``key`` for that contact, and reached by the events the session.json carries."""
    heads = manifest.get("contacts")
    if not isinstance(heads, list) or not all(
        isinstance(h, dict) and isinstance(h.get("ref"), str) and isinstance(h.get("seq"), int) for h in heads
    ):
        report.problems.append(f"{MANIFEST}: the contacts' chain heads are missing or unreadable")
        return
    folders = {m.group(1) for name in contents if (m := CONTACT_DIR.match(name))}
    by_ref = {h["ref"]: h for h in heads}
    if len(by_ref) != len(heads):
        report.problems.append(f"{MANIFEST}: lists a contact's chain head more than once")
    for ref in sorted(folders - set(by_ref)):
        report.problems.append(f"contacts/{ref}/: the manifest carries no chain head for this contact")
    learner = (manifest.get("learner") or {}).get("username")
    for ref, head in by_ref.items():
        path = f"contacts/{ref}/session.json"
        if ref not in folders:
            report.problems.append(
                f"{MANIFEST}: a chain head for {ref}, whose contact is not in this pack (a head from another pack?)"
            )
            continue
        if path not in report.intact:
            continue  # missing or changed: already named
        if problem := _head_problem(ref, head, contents[path] or b"", learner, key):
            report.problems.append(f"{path}: {problem}")
        else:
            report.heads += 1


def _head_problem(ref: str, head: dict[str, Any], data: bytes, learner: str | None, key: KeyPem) -> str | None:
    m = re.fullmatch(r"c-(\d+)", ref)
    try:
        doc = json.loads(data)
        chain, events = doc.get("chain"), doc["events"]
        seqs = [e["seq"] for e in events]
        contact, owner = doc["contact"]["id"], doc["contact"]["learner"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return "not a readable session export"
    if m is None or contact != ref:
        return f"the export of contact {contact}, not of {ref} (a file from another pack?)"
    if learner is not None and owner != learner:
        return f"the contact of learner {owner}, not of {learner} (a file from another pack?)"
    if not isinstance(chain, dict) or not {"seq", "mac", "signature"} <= set(chain):
        return "carries no signed chain head"
    if chain["seq"] != head.get("seq") or chain["mac"] != head.get("mac"):
        return f"its chain head (#{chain['seq']}) is not the one the manifest lists (#{head.get('seq')})"
    try:
        message = head_message(int(m.group(1)), int(chain["seq"]), str(chain["mac"]))
        valid = signing.verify(key, message, bytes.fromhex(str(chain["signature"])))
    except (ValueError, TypeError, signing.SigningKeyError):
        valid = False
    if not valid:
        return f"the chain head at #{chain['seq']} has an invalid signature (not signed for {ref} by the pack's key)"
    if seqs != list(range(1, len(seqs) + 1)) or len(seqs) != chain["seq"]:
        return (
            f"its {len(seqs)} events do not lead to the head signed at #{chain['seq']} "
            "(an event missing, added or renumbered, or an old head presented as new)"
        )
    return None


def _check_ledger(
    contents: dict[str, bytes | None],
    manifest: dict[str, Any],
    key: KeyPem | None,
    later: LaterCheckpoint | None,
    parse_note: NoteParser | None,
    report: PackReport,
) -> None:
    _check_problems_file(contents, report)
    ledger = manifest.get("ledger")
    if not ledger:
        if LEDGER_IN_RELEASE:
            report.notes.append("made by an earlier release: chain heads only, no ledger proofs")
        if later is not None:
            report.problems.append(f"{MANIFEST}: the pack carries no ledger checkpoint to compare the later one with")
        return
    section = {name: contents.get(name) or b"" for name in (LEDGER_CHECKPOINT, LEDGER_PROOFS)}
    if key is None:
        return  # the signature failed: proofs against an unknown key prove nothing
    refs = {m.group(1) for name in contents if (m := CONTACT_DIR.match(name))}
    problems, proven, bound = _ledger_check(section, key, refs, later, parse_note)
    try:
        report.ledger_size = int(json.loads(section[LEDGER_PROOFS])["tree_size"])
    except (ValueError, KeyError, TypeError):
        pass
    report.problems.extend(problems)
    report.ledger_records = proven
    if bound is not None and not problems:
        intact = {name: contents[name] for name in report.intact}  # a changed file is named already
        report.problems.extend(_bind(intact, manifest, bound, refs))


def _check_problems_file(contents: dict[str, bytes | None], report: PackReport) -> None:
    """problems.json: the centre archived evidence that failed verification; the pack says so, signed."""
    if PROBLEMS not in contents or PROBLEMS not in report.intact:
        return
    try:
        doc = json.loads(contents[PROBLEMS] or b"")
        listed = [str(p["problem"]) for p in doc["problems"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        report.problems.append(f"{PROBLEMS}: unreadable (the pack was archived with evidence that failed verification)")
        return
    for problem in listed:
        report.problems.append(f"{PROBLEMS}: failed verification when archived: {problem}")


def check_ledger_section(
    section: dict[str, bytes],
    public_pem: KeyPem,
    *,
    contacts: set[str] | None = None,
    later: LaterCheckpoint | None = None,
    parse_note: NoteParser | None = None,
) -> list[str]:
    """The problems with a pack's ledger section (empty: every record is proven in the signed checkpoint,
    and the checkpoint is consistent with ``later`` when given). ``contacts``: the pack's contact refs
    ("c-12"); a proof for a record of another contact is named. ``parse_note``: the ledger's note parser
    (``ledger.parse_note``), required: without it nothing can be proven. For proofs@2, each leaf is also
    recomputed from the record's salt, content and withheld fields' hashes."""
    return _ledger_check(section, public_pem, contacts, later, parse_note)[0]


def _ledger_check(
    section: dict[str, bytes],
    public_pem: KeyPem,
    contacts: set[str] | None,
    later: LaterCheckpoint | None,
    parse_note: NoteParser | None,
) -> tuple[list[str], int, list[dict[str, Any]] | None]:
    """(problems, records proven, the records when their leaves were recomputed from content (proofs@2))."""
    if parse_note is None:
        return [f"{LEDGER_CHECKPOINT}: this release cannot check ledger proofs (no ledger note parser)"], 0, None
    try:
        checkpoint = parse_note(section.get(LEDGER_CHECKPOINT, b"").decode("utf-8"), public_pem)
    except (ValueError, UnicodeDecodeError) as err:
        return [f"{LEDGER_CHECKPOINT}: {err}"], 0, None
    try:
        doc = json.loads(section.get(LEDGER_PROOFS, b""))
        size, root_hex, records = doc["tree_size"], doc["root"], doc["records"]
        if doc.get("format") not in (PROOFS_FORMAT, PROOFS_FORMAT_V1) or not isinstance(records, list):
            raise ValueError
    except (ValueError, KeyError, TypeError) as err:
        return [f"{LEDGER_PROOFS}: not a readable {PROOFS_FORMAT} document ({err or 'wrong format'})"], 0, None
    if size != checkpoint.size or root_hex != checkpoint.root.hex():
        return (
            [
                f"{LEDGER_PROOFS}: made for another checkpoint (size {size}, not the {checkpoint.size} of "
                f"{LEDGER_CHECKPOINT}): proofs from another pack?"
            ],
            0,
            None,
        )
    bound = doc["format"] == PROOFS_FORMAT
    problems, seen = [], set[int]()
    for i, rec in enumerate(records):
        if problem := _record_problem(i, rec, checkpoint, contacts, seen, bound):
            problems.append(f"{LEDGER_PROOFS}: {problem}")
    proven = len(records) - len(problems)
    if later is not None:
        problems += _consistency(checkpoint, later, public_pem, parse_note)
    return problems, proven, records if bound else None


def _record_problem(
    i: int, rec: Any, checkpoint: CheckpointView, contacts: set[str] | None, seen: set[int], bound: bool = False
) -> str | None:
    """What is wrong with one record's inclusion proof (and, ``bound``, its leaf recomputed from its
    content), or None when it is proven."""
    try:
        name, index = str(rec.get("ref", f"record {i}")), rec["index"]
        leaf = base64.b64decode(rec["leaf"], validate=True)
        path = [bytes.fromhex(h) for h in rec["proof"]]
        if not isinstance(index, int) or isinstance(index, bool):
            raise TypeError("index")
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error):
        return f"record {i} is unreadable"
    if contacts is not None and rec.get("contact") not in contacts:
        return f"{name} belongs to {rec.get('contact')}, which is not in this pack (a proof for another pack?)"
    if index in seen:
        return f"{name}: leaf {index} is listed more than once"
    seen.add(index)
    if bound and (why := _recompute_problem(rec, leaf)):
        return f"{name}: {why}"
    if not merkle.verify_inclusion(index, checkpoint.size, merkle.leaf_hash(leaf), path, checkpoint.root):
        return f"{name}: not in the signed checkpoint (its leaf or inclusion proof is wrong)"
    return None


def _recompute_problem(rec: dict[str, Any], leaf: bytes) -> str | None:
    """Why the record's leaf is not the one its salt, content and withheld hashes make (None: it is)."""
    try:
        content, hashes = rec["content"], rec.get("hashes") or {}
        if not isinstance(content, dict) or not isinstance(hashes, dict) or set(content) & set(hashes):
            raise TypeError("content")
        every = {**lf.field_hashes(bytes.fromhex(rec["salt"]), content), **{str(k): str(v) for k, v in hashes.items()}}
        made = lf.leaf_bytes(
            str(rec["ref"]), int(rec["version"]), str(rec["kind"]), lf.commitment_of_hashes(every), str(rec["at"])
        )
    except (KeyError, TypeError, ValueError, AttributeError, lf.LedgerFormatError):
        return "carries no readable salt and content to recompute its leaf from"
    if made != leaf:
        return "its content is not what its leaf commits to (the record was changed)"
    return None


# --- binding the proven records to the pack's own files -------------------------------------------------------
def _when(value: Any) -> datetime | None:
    """A time as either side writes it (the ledger's naive UTC, the export's ISO with Z), comparable."""
    if value in (None, ""):
        return None
    try:
        at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return at.astimezone(timezone.utc).replace(tzinfo=None) if at.tzinfo else at


def _differs(label: str, pack_value: Any, ledger_value: Any, times: bool = False) -> str | None:
    same = _when(pack_value) == _when(ledger_value) if times else pack_value == ledger_value
    if same:
        return None
    return f"{label} is {pack_value!r} in the pack but {ledger_value!r} in the ledger"


def _bind(
    contents: dict[str, bytes | None], manifest: dict[str, Any], records: list[dict[str, Any]], folders: set[str]
) -> list[str]:
    """The pack's session.json, findings.json and review.json say what the proven records say: the same
    contact, owner, status and channel; the same events (none added, none left out); the same findings,
    decisions, judgements and sign-off. Each difference is named."""
    by_ref = {str(rec.get("ref")): rec.get("content") or {} for rec in records}
    problems: list[str] = []
    learner = (manifest.get("learner") or {}).get("username")
    for folder in sorted(folders):
        base = f"contacts/{folder}/"
        docs = {}
        for name in ("session.json", "findings.json", "review.json"):
            if base + name not in contents:
                continue
            try:
                docs[name] = json.loads(contents[base + name] or b"")
            except ValueError:
                problems.append(f"{base}{name}: unreadable")
        problems += [f"{base}{p}" for p in _bind_contact(folder, docs, by_ref, learner)]
    return problems


def _bind_contact(folder: str, docs: dict[str, Any], by_ref: dict[str, Any], learner: str | None) -> list[str]:
    cid = folder[2:]
    contact = by_ref.get(f"contact:{cid}")
    if contact is None:
        return [f"session.json: contact {cid} is not proven in the ledger"]
    problems: list[str] = []
    try:
        session = docs.get("session.json")
        if session is not None:
            problems += _bind_session(cid, contact, session, by_ref, learner)
        problems += _bind_findings(cid, docs.get("findings.json"), by_ref)
        problems += _bind_review(cid, docs.get("review.json"), by_ref)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        problems.append(f"session.json, findings.json or review.json: cannot be compared with the ledger ({err!r})")
    return problems


def _bind_session(
    cid: str, contact: dict[str, Any], session: Any, by_ref: dict[str, Any], learner: str | None
) -> list[str]:
    problems: list[str] = []
    owner = by_ref.get(f"user:{contact.get('learner_id')}")
    if owner is None:
        problems.append(f"session.json: the contact's learner (account {contact.get('learner_id')}) is not proven")
    else:
        for why in (
            _differs("the learner", session["contact"]["learner"], owner.get("username")),
            _differs("the pack's learner", learner, owner.get("username")) if learner is not None else None,
        ):
            if why:
                problems.append(f"session.json: {why}")
    for label, key in (("the status", "status"), ("the channel", "channel")):
        if why := _differs(label, session["contact"][key], contact.get(key)):
            problems.append(f"session.json: {why}")
    problems += _bind_events(cid, session, by_ref)
    return problems


def _bind_events(cid: str, session: dict[str, Any], by_ref: dict[str, Any]) -> list[str]:
    problems = []
    proven = {int(ref.split(":")[2]): c for ref, c in by_ref.items() if ref.startswith(f"event:{cid}:")}
    carried = {int(e["seq"]): e for e in session["events"]}
    for seq in sorted(set(proven) - set(carried)):
        problems.append(f"session.json: event #{seq} is in the ledger but not in the pack (left out)")
    for seq in sorted(set(carried) - set(proven)):
        problems.append(f"session.json: event #{seq} is not proven in the ledger (added)")
    refs = {by_ref[f"contact:{cid}"].get("customer_id"): session.get("customer", {}).get("id")}
    for seq in sorted(set(carried) & set(proven)):
        e, c = carried[seq], proven[seq]
        whys = [
            _differs("its type", e["type"], c.get("type")),
            _differs("its actor", e["actor"], c.get("actor")),
            _differs("its time", e["at"], c.get("at"), times=True),
        ]
        if "data" in c:
            try:
                shown = session_data(str(c.get("type")), c["data"], refs)
            except (KeyError, TypeError, ValueError, AttributeError):
                shown = c["data"]
            whys.append(_differs("its data", e["data"], shown))
        problems += [f"session.json: event #{seq}: {why}" for why in whys if why]
    return problems


def _bind_findings(cid: str, doc: Any, by_ref: dict[str, Any]) -> list[str]:
    if doc is None:
        return []
    problems = []
    proven = {int(ref.split(":")[1]): c for ref, c in by_ref.items() if ref.startswith("finding:")}
    proven = {k: c for k, c in proven.items() if str(c.get("contact_id")) == cid}
    carried = {int(f["id"]): f for f in [*doc["findings"], *doc.get("inactive", [])]}
    for fid in sorted(set(proven) - set(carried)):
        problems.append(f"findings.json: finding {fid} is in the ledger but not in the pack (left out)")
    decisions: dict[int, list[tuple[Any, ...]]] = {}
    for ref, c in by_ref.items():
        if ref.startswith("finding_decision:"):
            decisions.setdefault(int(c.get("finding_id", -1)), []).append(
                (c.get("decision"), c.get("comment"), _when(c.get("at")))
            )
    for fid, f in sorted(carried.items()):
        c = proven.get(fid)
        if c is None:
            problems.append(f"findings.json: finding {fid} is not proven in the ledger (added)")
            continue
        for key in ("key", "rule", "severity", "source", "active", "evidence", "explanation"):
            if why := _differs(key, f.get(key), c.get(key)):
                problems.append(f"findings.json: finding {fid}: {why}")
        history = sorted(((d["decision"], d["comment"], _when(d["at"])) for d in f.get("history", [])), key=repr)
        if history != sorted(decisions.get(fid, []), key=repr):
            problems.append(f"findings.json: finding {fid}: its decisions are not the ones the ledger proves")
    return problems


def _bind_review(cid: str, doc: Any, by_ref: dict[str, Any]) -> list[str]:
    if doc is None:
        return []
    problems = []
    standing = [c for ref, c in by_ref.items() if ref.startswith(f"assessment:{cid}:") and c.get("voided_at") is None]
    assessment, proven = doc.get("assessment"), standing[0] if standing else None
    if (assessment is None) != (proven is None):
        problems.append(
            "review.json: the sign-off is "
            + ("missing from the pack" if assessment is None else "not proven in the ledger")
        )
    elif assessment is not None and proven is not None:
        for key, times in (
            ("outcome", False),
            ("feedback", False),
            ("learner_comment", False),
            ("signed_at", True),
            ("released_at", True),
            ("acknowledged_at", True),
        ):
            if why := _differs(f"the sign-off's {key.replace('_', ' ')}", assessment.get(key), proven.get(key), times):
                problems.append(f"review.json: {why}")
    carried = sorted(
        ((c["id"], j["met"], j["comment"], _when(j["at"])) for c in doc["criteria"] for j in c.get("history", [])),
        key=repr,
    )
    judged = sorted(
        (
            (c.get("criterion_id"), c.get("met"), c.get("comment"), _when(c.get("at")))
            for ref, c in by_ref.items()
            if ref.startswith("criterion_judgement:") and str(c.get("contact_id")) == cid
        ),
        key=repr,
    )
    if carried != judged:
        problems.append("review.json: the criterion judgements are not the ones the ledger proves")
    return problems


def _consistency(
    checkpoint: CheckpointView, later: LaterCheckpoint, public_pem: KeyPem, parse_note: NoteParser
) -> list[str]:
    note, proof = later
    try:
        newer = parse_note(note, public_pem)
    except ValueError as err:
        return [f"the later checkpoint: {err}"]
    if newer.origin != checkpoint.origin:
        return [f"the later checkpoint is of another log ({newer.origin}, not {checkpoint.origin})"]
    if newer.size < checkpoint.size:
        return [
            f"the later checkpoint (size {newer.size}) is older than the pack's (size {checkpoint.size}): "
            "an old checkpoint presented as new"
        ]
    if not merkle.verify_consistency(checkpoint.size, newer.size, checkpoint.root, newer.root, list(proof)):
        return [
            f"the pack's checkpoint (size {checkpoint.size}) is not a prefix of the later one (size {newer.size}): "
            "the log was rewritten after the pack was made (or the proof is not from this pack's size: "
            f"get it with `flask latest-checkpoint --from-size {checkpoint.size}`)"
        ]
    return []


def verify_pack(data_or_path: PackSource, public_key_pem: KeyPem | None = None) -> list[str]:
    """The problems found in a pack, each naming its file; an empty list means the pack is valid."""
    return check_pack(data_or_path, public_key_pem).problems
