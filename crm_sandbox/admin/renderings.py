"""The printable PDFs of a reset's archived evidence packs, rendered after the reset (issue 18).

A reset archives each learner's evidence (the JSON, the disclosure record, the ledger proofs) as a signed
pack without its PDFs (``packs.build_learner_pack(pdfs=False)``; the manifest's ``printable`` says so), so
the archive and the reset's transaction take seconds. The PDFs (each contact's observation record and the
learner's record) are rendered afterwards, outside the write lock, from a read snapshot of the database
taken between the archive and the transaction (the evidence the packs carry, checked unchanged under the
lock), with progress. Each learner's PDFs go into a second file beside the pack, sealed the same way:

    renderings.json   format, learner, created_at, the SHA-256 of the pack's manifest.json these PDFs
                      render, the signer, and the SHA-256 and size of every PDF
    renderings.sig    the Ed25519 signature of renderings.json's exact bytes (the pack's key)
    contacts/c-12/report.pdf, learner-report.pdf

:func:`verify_renderings` checks it the way ``verify-pack`` checks a pack: the signature, every file's
bytes, nothing added, and that it names the pack's manifest. The evidence is the pack; the PDFs are
derived renderings of it, so a pack whose PDFs were never rendered (the process stopped) is still
complete and verifiable evidence.
"""

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_sqlalchemy.session import Session
from sqlalchemy import select

from crm_sandbox.admin import archive, packs
from crm_sandbox.crypto import signing
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, User
from crm_sandbox.queries.review import contact_review, opened_contacts
from crm_sandbox.reports import pdf
from crm_sandbox.reports import records as r

FORMAT = "crm-sandbox/renderings@1"
MANIFEST, SIGNATURE = "renderings.json", "renderings.sig"
SUFFIX = archive.RENDERINGS_SUFFIX  # beside the pack's ".zip.enc", same stem
path_beside = archive.renderings_path  # where the renderings of the pack at a path are kept


def manifest_sha256(pack: bytes) -> str:
    """The SHA-256 of a pack's manifest.json (what the renderings name)."""
    with zipfile.ZipFile(io.BytesIO(pack)) as zf:
        return hashlib.sha256(zf.read(packs.MANIFEST)).hexdigest()


def build_renderings(learner: User, created_at: datetime, pack_manifest_sha256: str) -> bytes:
    """The learner's PDFs with their signed manifest, as zip bytes (from the session's view of the database)."""
    reviews = [contact_review(contact) for contact in opened_contacts(learner)]
    files = {
        f"contacts/{r.contact_ref(review.contact)}/report.pdf": pdf.contact_pdf(review, created_at=created_at)
        for review in reviews
    }
    files[archive.LEARNER_REPORT] = pdf.learner_pdf(learner, reviews, created_at=created_at)
    document = {
        "format": FORMAT,
        "learner": learner.username,
        "created_at": r.iso(created_at),
        "renders": {"pack_manifest_sha256": pack_manifest_sha256},
        "signed_by": {"algorithm": "Ed25519", "fingerprint": signing.fingerprint()},
        "files": packs.file_entries(files),
    }
    manifest = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False).encode()
    return packs.zip_entries([(MANIFEST, manifest), (SIGNATURE, signing.sign(manifest)), *files.items()], created_at)


def write_renderings(
    jobs: list[tuple[User, Path, str]], created_at: datetime, progress: Callable[[int, int], None] | None = None
) -> list[Path]:
    """Render and write, sealed, each ``(learner, pack path, pack manifest SHA-256)``'s PDFs; return the files."""
    written = []
    for n, (learner, pack_path, manifest_sha) in enumerate(jobs, start=1):
        target = path_beside(pack_path)
        archive.write_private(target, archive.seal(build_renderings(learner, created_at, manifest_sha)))
        written.append(target)
        if progress:
            progress(n, len(jobs))
    return written


def _read_manifest(data: bytes) -> tuple[dict[str, dict], str] | None:
    """renderings.json's files by path and the pack manifest's SHA-256 it names; None if unreadable."""
    try:
        document: dict[str, Any] = json.loads(data)
        if document.get("format") != FORMAT:
            return None
        return {e["path"]: e for e in document["files"]}, str(document["renders"]["pack_manifest_sha256"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def verify_renderings(data: bytes, pack: bytes | None = None, public_key_pem: str | bytes | None = None) -> list[str]:
    """Problems with a renderings file (its zip bytes): none when the signature holds (by
    ``public_key_pem``, or this app's key), every PDF is as listed, nothing was added, and (given the
    ``pack``'s zip bytes) it names that pack's manifest."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if len(zf.infolist()) > packs.MAX_MEMBERS or sum(i.file_size for i in zf.infolist()) > packs.MAX_TOTAL:
                return ["too large to be a renderings file"]
            contents = {name: zf.read(name) for name in zf.namelist()}
    except (zipfile.BadZipFile, OSError, ValueError):
        return ["not a readable zip file"]
    if MANIFEST not in contents or SIGNATURE not in contents:
        return [f"{MANIFEST} or {SIGNATURE} missing"]
    key = public_key_pem or signing.public_key_pem()
    problems = []
    if not signing.verify(key, contents[MANIFEST], contents[SIGNATURE]):
        problems.append(f"{SIGNATURE}: signature invalid: {MANIFEST} was edited, or another key signed it")
    read = _read_manifest(contents[MANIFEST])
    if read is None:
        return [*problems, f"{MANIFEST}: not a readable {FORMAT} manifest"]
    listed, named = read
    for path, entry in listed.items():
        got = contents.get(path)
        if got is None:
            problems.append(f"{path}: listed but missing")
        elif len(got) != entry.get("size") or hashlib.sha256(got).hexdigest() != entry.get("sha256"):
            problems.append(f"{path}: bytes changed (SHA-256 does not match {MANIFEST})")
    problems += [
        f"{path}: added (not in {MANIFEST})" for path in contents if path not in (*listed, MANIFEST, SIGNATURE)
    ]
    if pack is not None and named != manifest_sha256(pack):
        problems.append(f"{MANIFEST}: renders another pack (its manifest's SHA-256 differs)")
    return problems


# --- Rendering after the reset, from a read snapshot -------------------------------------------------------
def snapshots_possible() -> bool:
    """Whether a second connection can hold a read snapshot while the reset writes: PostgreSQL, or SQLite in
    a file (WAL: a reader neither blocks nor waits for the writer). Otherwise the packs carry their PDFs."""
    url = db.engine.url
    return url.get_backend_name() == "postgresql" or (
        url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    )


def open_snapshot(wanted: bool = True) -> Session | None:
    """A session of its own in a read transaction that sees the database as it is now, whatever is
    committed later (SQLite WAL; PostgreSQL REPEATABLE READ); close it with :func:`close`. None if not
    ``wanted``."""
    if not wanted:
        return None
    session: Session = db.session.session_factory()
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    session.execute(select(Contact.id).limit(1)).all()  # the first read fixes what the session sees
    return session


def close(session: Session | None) -> None:
    if session is not None:
        session.rollback()
        session.close()


@contextmanager
def reading_from(session: Session) -> Iterator[None]:
    """``db.session`` is ``session`` inside the block (the read side's functions use ``db.session``)."""
    before = db.session.registry()
    db.session.registry.set(session)
    try:
        yield
    finally:
        db.session.registry.set(before)


def render_archived(
    snapshot: Session | None,
    learner_ids: Sequence[int],
    records: Sequence[dict[str, Any]],
    progress: Callable[[str, int, int], None] | None = None,
) -> str:
    """Render each archived learner's PDFs from ``snapshot`` (then closed) beside their pack; reports
    ``progress("render", done, total)``. Returns "" or why some are missing: the reset has committed by
    then, and its evidence is complete without them, so a failure here is reported, not raised. Nothing
    without a snapshot (the packs carry their PDFs)."""
    if snapshot is None:
        return ""
    try:
        with reading_from(snapshot):
            jobs = [
                (db.session.get_one(User, uid), archive.archive_root() / rec["path"], rec["manifest_sha256"])
                for uid, rec in zip(learner_ids, records)
            ]
            created = records[0]["created_at"] if records else None
            if created is not None:
                write_renderings(jobs, created, (lambda n, t: progress("render", n, t)) if progress else None)
        return ""
    except Exception as err:  # noqa: BLE001 - reported to the trainer; the archive's evidence is complete
        current_app.logger.exception("rendering the archived packs' PDFs failed")
        return f"the printable PDFs could not all be rendered ({type(err).__name__}); the evidence packs are complete"
    finally:
        close(snapshot)
