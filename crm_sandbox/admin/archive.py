"""The evidence archive: sealed evidence packs written by cohort resets, kept until their retention ends.

Files live under ``ARCHIVE_DIR`` (default ``instance/archive``) as
``<cohort>/<UTC time>-g<generation>-<run>/<username>.zip``; each is recorded by an ``ArchivedPack`` row
(path relative to the archive folder, SHA-256, size, retention date). Each run folder also holds
``index.json``, signed by ``index.sig`` (Ed25519, the packs' key): the learners as the archive recorded
them (name, username, pack file and SHA-256) and the work left unfinished at the reset, so the archive
stays browsable per learner after their accounts are gone.
"""

import hashlib
import io
import json
import re
import shutil
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from crm_sandbox import ledger
from crm_sandbox.crypto import signing
from crm_sandbox.database import write_transaction
from crm_sandbox.errors import Conflict, NotFound
from crm_sandbox.extensions import db
from crm_sandbox.files import write_durably
from crm_sandbox.formatting import iso
from crm_sandbox.models import ArchivedPack, utcnow
from crm_sandbox.queries.unfinished import KINDS

INDEX, INDEX_SIGNATURE = "index.json", "index.sig"
INDEX_FORMAT = "crm-sandbox/archive-index@1"
LEARNER_REPORT = "learner-report.pdf"  # the printable report inside every pack
RUN_NAME = re.compile(r"\d{8}T\d{6}Z-g\d+-[0-9a-f]{6}")  # <UTC time>-g<generation>-<run>: the archive's id

DEFAULT_RETENTION_DAYS = 1095  # three years


def archive_root() -> Path:
    return Path(current_app.config.get("ARCHIVE_DIR") or Path(current_app.instance_path) / "archive")


def retention_days() -> int:
    return int(current_app.config.get("ARCHIVE_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def retention_until(created_at: datetime | None = None) -> datetime:
    return (created_at or utcnow()) + timedelta(days=retention_days())


def pack_path(pack: ArchivedPack) -> Path:
    path = (archive_root() / pack.path).resolve()
    if archive_root().resolve() not in path.parents:
        raise NotFound("That archived pack is outside the archive folder.")
    return path


@dataclass
class PackStatus:
    pack: ArchivedPack
    expired: bool
    problems: list[str]  # empty: present, unchanged (SHA-256) and verified (signature)

    @property
    def ok(self) -> bool:
        return not self.problems


def read_checked(pack: ArchivedPack) -> tuple[bytes | None, list[str], dict | None]:
    """The pack's bytes, its problems (missing, changed since archiving, failing the pack check) and its
    manifest (None when unreadable)."""
    from crm_sandbox.admin.packs import check_pack as check_pack_bytes

    path = pack_path(pack)
    if not path.is_file():
        return None, ["the file is missing"], None
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != pack.sha256:
        return data, ["the file has changed since it was archived (SHA-256 differs)"], None
    report = check_pack_bytes(data, signing.public_key_pem())  # signed by this centre's key, not the pack's own
    return data, list(report.problems), report.manifest


def check_pack(pack: ArchivedPack) -> list[str]:
    """Problems with an archived pack: missing, changed since archiving, or failing ``verify_pack``."""
    return read_checked(pack)[1]


def archive_listing(verify: bool = True) -> list[PackStatus]:
    now = utcnow()
    packs = db.session.execute(
        select(ArchivedPack).order_by(
            ArchivedPack.created_at.desc(), ArchivedPack.cohort_name, ArchivedPack.learner_username
        )
    ).scalars()
    return [PackStatus(p, p.retention_until <= now, check_pack(p) if verify else []) for p in packs]


def write_index(
    run_dir: Path, cohort_name: str, generation: int, created_at: datetime, learners: list[dict], unfinished: list[dict]
) -> None:
    """Write the run's signed index durably (``learners``: username, name, pack, sha256, size)."""
    doc = {
        "format": INDEX_FORMAT,
        "cohort": cohort_name,
        "generation": generation,
        "created_at": iso(created_at),
        "signed_by": {"algorithm": "Ed25519", "fingerprint": signing.fingerprint()},
        "learners": learners,
        "unfinished": unfinished,
    }
    data = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    write_durably(run_dir / INDEX, data)
    write_durably(run_dir / INDEX_SIGNATURE, signing.sign(data))


def read_index(run_dir: Path) -> tuple[dict | None, list[str]]:
    """The run's index if present and signed by this app's key; else None and why."""
    try:
        data = (run_dir / INDEX).read_bytes()
    except FileNotFoundError:
        return None, ["this archive has no index (made before indexes were kept): names are read from the packs"]
    try:
        signature = (run_dir / INDEX_SIGNATURE).read_bytes()
    except FileNotFoundError:
        return None, [f"{INDEX_SIGNATURE} is missing, so the index cannot be trusted"]
    if not signing.verify(signing.public_key_pem(), data, signature):
        return None, [f"{INDEX} does not match its signature: it was edited, or signed by another key"]
    try:
        doc = json.loads(data)
        if doc.get("format") != INDEX_FORMAT or not isinstance(doc.get("learners"), list):
            raise ValueError
    except (ValueError, AttributeError):
        return None, [f"{INDEX} is not a readable {INDEX_FORMAT} document"]
    return doc, []


@dataclass
class ArchivedLearner:
    status: PackStatus
    name: str  # as the archive recorded it (the account is gone)
    unfinished: list[dict] = field(default_factory=list)  # this learner's work left unfinished at the reset


@dataclass
class ArchivedRun:
    """One cohort reset's archive: its packs, one per learner."""

    key: str  # the run folder's name: the archive's id in addresses (no personal data)
    cohort_name: str
    generation: int
    created_at: datetime
    learners: list[ArchivedLearner] = field(default_factory=list)
    unfinished: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the index's

    @property
    def retention_until(self) -> datetime:
        return min(learner.status.pack.retention_until for learner in self.learners)

    @property
    def unfinished_counts(self) -> list[tuple[str, int]]:
        """(label, how many) of the work left unfinished at the reset, in the order work moves."""
        counts = Counter(u.get("kind") for u in self.unfinished)
        return [(label, counts[kind]) for kind, label in KINDS.items() if counts[kind]]


def archived_runs(verify: bool = True) -> list[ArchivedRun]:
    """Every recorded reset archive, newest first, with its learners under the names the archive holds."""
    runs: dict[str, ArchivedRun] = {}
    indexes: dict[str, dict | None] = {}
    for status in archive_listing(verify=False):
        pack = status.pack
        folder = str(Path(pack.path).parent)
        if folder not in runs:
            index, problems = read_index(archive_root() / folder)
            indexes[folder] = index
            runs[folder] = ArchivedRun(
                Path(folder).name,
                pack.cohort_name,
                pack.cohort_generation,
                pack.created_at,
                unfinished=(index or {}).get("unfinished", []),
                problems=problems,
            )
        runs[folder].learners.append(_archived_learner(status, indexes[folder], verify))
    for run in runs.values():
        run.learners.sort(key=lambda learner: (learner.name.casefold(), learner.status.pack.learner_username))
    return list(runs.values())


def _archived_learner(status: PackStatus, index: dict | None, verify: bool) -> ArchivedLearner:
    pack = status.pack
    entry = next((e for e in (index or {}).get("learners", []) if e.get("username") == pack.learner_username), None)
    manifest = None
    if verify:
        _, status.problems, manifest = read_checked(pack)
    if entry and entry.get("sha256") != pack.sha256:
        status.problems.append(f"the archive's {INDEX} records another SHA-256 for this pack")
    name = (entry or {}).get("name") or ((manifest or {}).get("learner") or {}).get("name") or pack.learner_username
    unfinished = [u for u in (index or {}).get("unfinished", []) if u.get("learner") == pack.learner_username]
    return ArchivedLearner(status, name, unfinished)


def get_run_pack(run_key: str, pack_id: int) -> ArchivedPack:
    """Learner ``pack_id``'s pack in archive ``run_key``; NotFound unless the pack belongs to that archive."""
    pack = db.session.get(ArchivedPack, pack_id)
    if pack is None or not RUN_NAME.fullmatch(run_key) or Path(pack.path).parent.name != run_key:
        raise NotFound("There is no such learner in that archive.")
    return pack


def learner_report(pack: ArchivedPack) -> bytes:
    """The printable learner report sealed in the pack, only from a pack that checks out."""
    data, problems, _ = read_checked(pack)
    if problems or data is None:
        raise Conflict(
            "This archived pack failed its check, so its report is not shown: "
            + "; ".join(problems)
            + ". Download the pack to examine it."
        )
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        if LEARNER_REPORT not in zf.namelist():
            raise NotFound("This archived pack holds no learner report.")
        return zf.read(LEARNER_REPORT)


def unrecorded_runs() -> list[str]:
    """Archive folders no ``ArchivedPack`` row points at: left by a reset interrupted before its commit
    (the live data was kept, so these are spare copies, safe to delete by hand)."""
    root = archive_root()
    if not root.is_dir():
        return []
    recorded = {str(Path(p).parent) for p in db.session.execute(select(ArchivedPack.path)).scalars()}
    return sorted(
        str(run.relative_to(root))
        for cohort in root.iterdir()
        if cohort.is_dir()
        for run in cohort.iterdir()
        if run.is_dir() and str(run.relative_to(root)) not in recorded
    )


def get_pack(pack_id: int) -> ArchivedPack:
    pack = db.session.get(ArchivedPack, pack_id)
    if pack is None:
        raise NotFound("There is no such archived pack.")
    return pack


def purge_expired() -> list[str]:
    """Delete the packs whose retention has ended (rows, then files); return their paths.

    The rows go first, in one transaction; the files are removed after the commit, so a crash in
    between leaves an unrecorded expired file, never a row pointing at nothing.
    """
    with write_transaction():
        expired = list(
            db.session.execute(select(ArchivedPack).where(ArchivedPack.retention_until <= utcnow())).scalars()
        )
        paths = [pack_path(p) for p in expired]
        names = [p.path for p in expired]
        with ledger.deleting_as(ledger.PURGED):
            for p in expired:
                db.session.delete(p)
            db.session.flush()
        if expired:
            ledger.checkpoint_at_commit(f"{len(expired)} archived pack(s) purged")
    for path in paths:
        path.unlink(missing_ok=True)
        run = path.parent
        if run.is_dir() and not any(run.glob("*.zip")):  # the last pack: the index goes with it
            shutil.rmtree(run, ignore_errors=True)
    return names
