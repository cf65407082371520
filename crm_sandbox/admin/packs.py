"""Signed evidence packs ``crm-sandbox/evidence-pack@1``: a learner's contacts as a zip anyone can check.

Layout::

    contacts/c-12/session.json    the session export (crm-sandbox/session@1)
    contacts/c-12/findings.json   the findings with their decisions and history, the assessor's own
    contacts/c-12/review.json     criteria judgements with history, the assessment and sign-offs, KPIs
    contacts/c-12/report.pdf      the observation record
    learner-report.pdf            the learner's record
    public_key.pem                the app's Ed25519 public key (for convenience: trust the fingerprint)
    manifest.json                 format, learner, cohort, created_at, an index of the contacts (each with
                                  its mode: practice or observed assessment, and its outcome), and the
                                  SHA-256 and size of every file
    manifest.sig                  the Ed25519 signature of manifest.json's exact bytes

The signature covers the manifest, and the manifest covers every other file, so one changed byte,
an added or a removed file is found and named by :func:`verify_pack`.
"""

import hashlib
import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from crm_sandbox.crypto import signing
from crm_sandbox.formatting import mode_label
from crm_sandbox.models import User, utcnow
from crm_sandbox.queries.review import ContactReview, contact_review, opened_contacts
from crm_sandbox.queries.session_export import session_document
from crm_sandbox.reports import pdf
from crm_sandbox.reports import records as r

FORMAT = "crm-sandbox/evidence-pack@1"
MANIFEST, SIGNATURE, PUBLIC_KEY = "manifest.json", "manifest.sig", "public_key.pem"
MAX_MEMBER = 256 * 1024 * 1024  # refuse to inflate anything larger (a zip bomb is a malformed pack)
# A pack to check: its bytes, or the path of its file.
PackSource = bytes | bytearray | memoryview | str | Path


def _json(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")


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
        "competence_evidence": bool(a) and contact.mode == "assessment",
    }


def pack_files(learner: User, created_at: datetime, index: list[dict] | None = None) -> dict[str, bytes]:
    """Every file of the pack except the manifest and its signature, in the pack's order; each contact's
    manifest entry (``contact_entry``) is appended to ``index`` when one is given."""
    files: dict[str, bytes] = {}
    reviews = []
    for contact in opened_contacts(learner):
        review = contact_review(contact)
        reviews.append(review)
        base = f"contacts/{r.contact_ref(contact)}/"
        files[base + "session.json"] = _json(session_document(contact, review.events))
        files[base + "findings.json"] = _json(r.findings_document(review))
        files[base + "review.json"] = _json(r.review_document(review))
        files[base + "report.pdf"] = pdf.contact_pdf(review, created_at=created_at)
        if index is not None:
            index.append(contact_entry(review))
    files["learner-report.pdf"] = pdf.learner_pdf(learner, reviews, created_at=created_at)
    files[PUBLIC_KEY] = signing.public_key_pem().encode("ascii")
    return files


def manifest_document(
    learner: User, files: dict[str, bytes], created_at: datetime, contacts: list[dict] | None = None
) -> dict:
    return {
        "format": FORMAT,
        "learner": {"username": learner.username, "name": learner.display_name},
        "cohort": learner.cohort.name if learner.cohort else None,
        "created_at": r.iso(created_at),
        "signed_by": {"algorithm": "Ed25519", "fingerprint": signing.fingerprint()},
        "contacts": contacts or [],
        "files": [
            {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in files.items()
        ],
    }


def _zip(entries: list[tuple[str, bytes]], created_at: datetime) -> bytes:
    buf = io.BytesIO()
    stamp = created_at.timetuple()[:6]
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def build_learner_pack(learner: User, created_at: datetime | None = None) -> bytes:
    """The learner's signed evidence pack as zip bytes (needs an app context: the key and the database)."""
    created_at = (created_at or utcnow()).replace(microsecond=0)
    index: list[dict] = []
    files = pack_files(learner, created_at, index)
    manifest = _json(manifest_document(learner, files, created_at, index))
    entries = [(MANIFEST, manifest), (SIGNATURE, signing.sign(manifest)), *files.items()]
    return _zip(entries, created_at)


def pack_filename(learner: User, created_at: datetime | None = None) -> str:
    return f"evidence-pack-{learner.username}-{(created_at or utcnow()):%Y%m%d-%H%M%S}.zip"


@dataclass
class PackReport:
    problems: list[str] = field(default_factory=list)
    files: int = 0  # files checked against the manifest
    fingerprint: str = ""  # of the key the signature was checked with
    manifest: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _read(data_or_path: PackSource) -> bytes:
    if isinstance(data_or_path, (bytes, bytearray, memoryview)):
        return bytes(data_or_path)
    return Path(data_or_path).read_bytes()


def _members(zf: zipfile.ZipFile, report: PackReport) -> dict[str, bytes | None]:
    """Each member's bytes (None when it cannot be read: a broken entry is named, not fatal)."""
    contents: dict[str, bytes | None] = {}
    for info in zf.infolist():
        if info.is_dir():
            continue
        if info.filename in contents:
            report.problems.append(f"{info.filename}: appears more than once in the zip (a second copy was added)")
            continue
        if info.file_size > MAX_MEMBER:
            report.problems.append(f"{info.filename}: too large to check ({info.file_size:,} bytes)")
            contents[info.filename] = None
            continue
        try:
            contents[info.filename] = zf.read(info)
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
    return contents


def check_pack(data_or_path: PackSource, public_key_pem: str | bytes | None = None) -> PackReport:
    """Check a pack; ``public_key_pem`` is the key to trust (default: the pack's own public_key.pem,
    which proves only that the pack is intact, not who made it: compare the fingerprint)."""
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
    _check_signature(contents, manifest_bytes, public_key_pem, report)
    _check_files(contents, listed, report)
    return report


def _open(data_or_path: PackSource, report: PackReport) -> dict[str, bytes | None] | None:
    """The pack's members, or None (the problem reported) when it cannot be read or is not a zip."""
    try:
        raw = _read(data_or_path)
    except OSError as err:
        report.problems.append(f"cannot read the pack: {err.strerror or err}")
        return None
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, ValueError, OSError, EOFError) as err:
        report.problems.append(f"malformed zip: {err}")
        return None
    with zf:
        return _members(zf, report)


def _read_manifest(manifest_bytes: bytes, report: PackReport) -> dict[str, Any] | None:
    """The manifest's entries by path (the manifest kept in ``report``), or None when it is unreadable."""
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        entries = manifest["files"]
        listed = {e["path"]: e for e in entries}
        if (
            manifest.get("format") != FORMAT
            or len(listed) != len(entries)
            or not all(isinstance(e["sha256"], str) and isinstance(e["size"], int) for e in entries)
        ):
            raise ValueError
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        report.problems.append(f"{MANIFEST}: not a readable {FORMAT} manifest")
        return None
    report.manifest = manifest
    return listed


def _check_signature(
    contents: dict[str, bytes | None], manifest_bytes: bytes, public_key_pem: str | bytes | None, report: PackReport
) -> None:
    """The signature: over the exact manifest bytes, by the trusted key."""
    signature = contents.get(SIGNATURE)
    if public_key_pem is None:
        public_key_pem = contents.get(PUBLIC_KEY)
    if public_key_pem is None:
        report.problems.append(f"{PUBLIC_KEY}: missing, and no public key was given to check the signature with")
    elif SIGNATURE not in contents:
        report.problems.append(f"{SIGNATURE}: missing, so the manifest is not signed")
    elif signature is not None:
        try:
            report.fingerprint = signing.fingerprint(public_key_pem)
            if not signing.verify(public_key_pem, manifest_bytes, signature):
                report.problems.append(
                    f"{SIGNATURE}: signature invalid: {MANIFEST} was edited, or the pack "
                    f"was signed by another key (not {report.fingerprint})"
                )
        except signing.SigningKeyError as err:
            report.problems.append(f"public key: {err}")


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
    for path in contents:
        if path not in listed and path not in (MANIFEST, SIGNATURE):
            report.problems.append(f"{path}: added (not in the manifest)")


def verify_pack(data_or_path: PackSource, public_key_pem: str | bytes | None = None) -> list[str]:
    """The problems found in a pack, each naming its file; an empty list means the pack is valid."""
    return check_pack(data_or_path, public_key_pem).problems
