"""The evidence archive: sealed evidence packs written by cohort resets, kept until their retention ends.

Files live under ``ARCHIVE_DIR`` (default ``instance/archive``) as
``<cohort>/<UTC time>-g<generation>-<run>/<random>.zip.enc``; each is recorded by an ``ArchivedPack`` row
(path relative to the archive folder, SHA-256 of the stored file, size, retention date). Every pack is
stored encrypted with the centre's field key (Fernet, ``FIELD_KEYS``): its bytes on disk hold no name, no
customer and no evidence in clear; it is decrypted in memory to be checked, shown or downloaded, and it
still verifies as the signed zip it was. Files and folders are the service account's alone (0600/0700).

Each run folder also holds ``index.json``, signed by ``index.sig`` (Ed25519, the packs' key): for each
learner a *subject key* (a keyed hash of the username: :func:`subject_key`, so the person can still be
found for a subject access request or an erasure after their account is gone, while the file names
nobody), their name sealed with the field key, the pack file and its SHA-256; and the work left
unfinished at the reset, its learners named by subject key too.

Retention is applied when the purge runs, from each pack's archiving date and the ``ARCHIVE_RETENTION_DAYS``
configured *then* (changing the setting changes what is due); see ``crm_sandbox/admin/retention.py``.
"""

import hashlib
import hmac
import io
import json
import logging
import re
import secrets
import shutil
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.fernet import InvalidToken
from flask import current_app
from sqlalchemy import select

from crm_sandbox import ledger
from crm_sandbox.crypto import signing
from crm_sandbox.database import write_transaction
from crm_sandbox.errors import Conflict, NotFound, ServiceError
from crm_sandbox.extensions import db
from crm_sandbox.files import write_durably
from crm_sandbox.formatting import iso, slug
from crm_sandbox.models import ArchivedPack, utcnow
from crm_sandbox.models.personal import cipher
from crm_sandbox.queries.unfinished import KINDS

log = logging.getLogger(__name__)

INDEX, INDEX_SIGNATURE = "index.json", "index.sig"
INDEX_FORMAT = "crm-sandbox/archive-index@2"  # @2: learners by subject key, names sealed
READABLE_INDEX_FORMATS = ("crm-sandbox/archive-index@1", INDEX_FORMAT)
PACK_SUFFIX = ".zip.enc"  # a Fernet token of the signed zip
RENDERINGS_SUFFIX = ".pdfs.enc"  # a Fernet token of the zip of the pack's signed PDFs, rendered after a reset
FILE_MODE, DIR_MODE = 0o600, 0o700  # the service account's alone
LEARNER_REPORT = "learner-report.pdf"  # the printable report inside every pack
RUN_NAME = re.compile(r"\d{8}T\d{6}Z-g\d+-[0-9a-f]{6}")  # <UTC time>-g<generation>-<run>: the archive's id

DEFAULT_RETENTION_DAYS = 1095  # three years


def archive_root() -> Path:
    return Path(current_app.config.get("ARCHIVE_DIR") or Path(current_app.instance_path) / "archive")


class RetentionError(ServiceError):
    """The configured retention is not a usable number of days."""


def retention_days() -> int:
    """``ARCHIVE_RETENTION_DAYS`` as configured now: a whole number of days, at least 1 (a retention of 0
    would purge evidence the moment it is archived, so it is refused with a clear message, purging nothing)."""
    value = current_app.config.get("ARCHIVE_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise RetentionError(f"ARCHIVE_RETENTION_DAYS must be a whole number of days, not {value!r}.") from None
    if isinstance(value, bool) or days < 1 or (isinstance(value, float) and value != days):
        raise RetentionError(
            f"ARCHIVE_RETENTION_DAYS is {value!r}: it must be at least 1 day (0 would purge evidence as soon as "
            "it is archived). Nothing was purged."
        )
    return days


def retention_until(created_at: datetime | None = None) -> datetime:
    """When a pack archived at ``created_at`` is due for purging under the retention configured now."""
    return (created_at or utcnow()) + timedelta(days=retention_days())


def is_due(pack: ArchivedPack, now: datetime | None = None) -> bool:
    return retention_until(pack.created_at) <= (now or utcnow())


# --- keeping the archive's personal data to the service account and the centre's key ------------------------
def subject_key(username: str) -> str:
    """The archive's pseudonymous key for a person: HMAC-SHA256 of the username under ``BLIND_INDEX_KEY``
    (who holds the key can find a username's packs; the index file alone names nobody)."""
    key = str(current_app.config["BLIND_INDEX_KEY"]).encode()
    return hmac.new(key, b"archive-subject:" + username.strip().lower().encode(), hashlib.sha256).hexdigest()


def seal(data: bytes) -> bytes:
    """``data`` encrypted with the centre's newest field key (a Fernet token)."""
    return cipher().encrypt(data)


def is_sealed(data: bytes) -> bool:
    return data[:6] == b"gAAAAA"  # a Fernet token (version byte 0x80, base64url)


def unseal(data: bytes) -> bytes:
    """A stored pack's zip: decrypted when sealed (packs archived before encryption are plain zips)."""
    if not is_sealed(data):
        return data
    try:
        return cipher().decrypt(data)
    except InvalidToken:
        raise UnreadablePack(
            "the pack cannot be decrypted with this centre's field keys (FIELD_KEYS): was the key that "
            "sealed it removed?"
        ) from None


class UnreadablePack(ServiceError):
    """An archived pack the configured keys cannot decrypt."""


def write_private(path: Path, data: bytes) -> None:
    """Write an archive file durably, readable by the service account alone."""
    write_durably(path, data, FILE_MODE)
    path.chmod(FILE_MODE)  # whatever the umask, and if it existed before


def renderings_path(path: Path) -> Path:
    """Where the printable PDFs of the pack stored at ``path`` are kept, when rendered after a reset
    (``admin/renderings.py``): beside it, same name, ``RENDERINGS_SUFFIX``."""
    return path.with_name(path.name.removesuffix(PACK_SUFFIX) + RENDERINGS_SUFFIX)


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
    """The pack's zip (decrypted; None unless its stored bytes are intact and open with the centre's key), its
    problems (missing, changed since archiving, undecryptable, failing the pack check) and its manifest
    (None when unreadable)."""
    from crm_sandbox.admin.packs import check_pack as check_pack_bytes

    path = pack_path(pack)
    if not path.is_file():
        return None, ["the file is missing"], None
    stored = path.read_bytes()
    if hashlib.sha256(stored).hexdigest() != pack.sha256:
        return None, ["the file has changed since it was archived (SHA-256 differs)"], None
    try:
        data = unseal(stored)
    except UnreadablePack as err:
        return None, [str(err)], None
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
    return [PackStatus(p, _due_or_unknown(p, now), check_pack(p) if verify else []) for p in packs]


def _due_or_unknown(pack: ArchivedPack, now: datetime) -> bool:
    try:
        return is_due(pack, now)
    except RetentionError:
        return False  # a bad setting purges nothing (the archive page and the purge say why)


def write_index(
    run_dir: Path, cohort_name: str, generation: int, created_at: datetime, learners: list[dict], unfinished: list[dict]
) -> None:
    """Write the run's signed index durably, the service account's alone (``learners``: subject, sealed name,
    pack, sha256, size; no username or name in clear)."""
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
    write_private(run_dir / INDEX, data)
    write_private(run_dir / INDEX_SIGNATURE, signing.sign(data))


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
        if doc.get("format") not in READABLE_INDEX_FORMATS or not isinstance(doc.get("learners"), list):
            raise ValueError
    except (ValueError, AttributeError):
        return None, [f"{INDEX} is not a readable {INDEX_FORMAT} document"]
    return doc, []


def drop_from_index(run_dir: Path, username: str) -> None:
    """Remove ``username``'s entries (learner and unfinished work) from a run's index, re-signed (an erasure)."""
    if not (run_dir / INDEX).is_file():
        return
    index, problems = read_index(run_dir)
    if index is None:  # unreadable or unsigned: rewrite nothing we cannot trust, but leave no name behind
        log.warning("archive index %s not rewritten after an erasure: %s", run_dir, "; ".join(problems))
        return
    mine = {username, subject_key(username)}
    index["learners"] = [e for e in index["learners"] if not (e.get("subject") in mine or e.get("username") in mine)]
    index["unfinished"] = [u for u in index.get("unfinished", []) if u.get("learner") not in mine]
    data = (json.dumps(index, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    write_private(run_dir / INDEX, data)
    write_private(run_dir / INDEX_SIGNATURE, signing.sign(data))


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
    def retention_until(self) -> datetime | None:
        """When the purge will take this archive, under the retention configured now (None: no valid setting)."""
        try:
            return min(retention_until(learner.status.pack.created_at) for learner in self.learners)
        except RetentionError:
            return None

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
    entry = index_entry(index, pack.learner_username)
    manifest = None
    if verify:
        _, status.problems, manifest = read_checked(pack)
    if entry and entry.get("sha256") != pack.sha256:
        status.problems.append(f"the archive's {INDEX} records another SHA-256 for this pack")
    name = entry_name(entry) or ((manifest or {}).get("learner") or {}).get("name") or pack.learner_username
    mine = {pack.learner_username, subject_key(pack.learner_username)}
    unfinished = [
        {**u, "learner": pack.learner_username} for u in (index or {}).get("unfinished", []) if u.get("learner") in mine
    ]
    return ArchivedLearner(status, name, unfinished)


def index_entry(index: dict | None, username: str) -> dict | None:
    """The index's entry for ``username``: by subject key (or by username, in an index of format @1)."""
    subject = subject_key(username)
    for e in (index or {}).get("learners", []):
        if isinstance(e, dict) and (e.get("subject") == subject or e.get("username") == username):
            return e
    return None


def entry_name(entry: dict | None) -> str | None:
    """The learner's name an index entry holds (sealed with the field key, or plain in format @1)."""
    if not entry:
        return None
    if entry.get("name_sealed"):
        try:
            return cipher().decrypt(str(entry["name_sealed"]).encode()).decode()
        except (InvalidToken, UnicodeDecodeError):
            return None
    name = entry.get("name")
    return str(name) if name else None


def get_run_pack(run_key: str, pack_id: int) -> ArchivedPack:
    """Learner ``pack_id``'s pack in archive ``run_key``; NotFound unless the pack belongs to that archive."""
    pack = db.session.get(ArchivedPack, pack_id)
    if pack is None or not RUN_NAME.fullmatch(run_key) or Path(pack.path).parent.name != run_key:
        raise NotFound("There is no such learner in that archive.")
    return pack


def learner_report(pack: ArchivedPack) -> bytes:
    """The printable learner report sealed in the pack, only from a pack that checks out."""
    return checked_learner_report(pack)[0]


def checked_learner_report(pack: ArchivedPack) -> tuple[bytes, bytes]:
    """The learner report (as ``learner_report``) and the checked pack's zip it came from (read once)."""
    data, problems, _ = read_checked(pack)
    if problems or data is None:
        raise Conflict(
            "This archived pack failed its check, so its report is not shown: "
            + "; ".join(problems)
            + ". Download the pack to examine it."
        )
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        if LEARNER_REPORT in zf.namelist():
            return zf.read(LEARNER_REPORT), data
    return rendered_report(pack, data), data


def rendered_report(pack: ArchivedPack, data: bytes) -> bytes:
    """The learner report rendered after the reset beside the pack (``admin/renderings.py``), only when
    its signed manifest checks out and names this pack (``data``: the pack's zip)."""
    from crm_sandbox.admin import renderings

    beside = renderings_path(pack_path(pack))
    if not beside.is_file():
        raise NotFound("This archived pack's printable PDFs were not rendered: its evidence is in the pack.")
    rendered = unseal(beside.read_bytes())
    problems = renderings.verify_renderings(rendered, data)
    if problems:
        raise Conflict("This archived pack's printable PDFs failed their check: " + "; ".join(problems) + ".")
    with zipfile.ZipFile(io.BytesIO(rendered)) as zf:
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


def stored_pack(pack: ArchivedPack) -> bytes:
    """The archived pack as a zip (decrypted), checked or not: a damaged pack is evidence too."""
    path = pack_path(pack)
    if not path.is_file():
        raise NotFound("That archived pack's file is missing.")
    return unseal(path.read_bytes())  # UnreadablePack when the centre's keys cannot open it


def due_packs(now: datetime | None = None) -> list[ArchivedPack]:
    """The packs whose retention has ended under ``ARCHIVE_RETENTION_DAYS`` as configured now."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days())
    return list(db.session.execute(select(ArchivedPack).where(ArchivedPack.created_at <= cutoff)).scalars())


def delete_packs(packs: list[ArchivedPack], kind: str, reason: str) -> list[Path]:
    """Delete ``packs``' rows in the current write transaction, each recorded in the ledger as ``kind``,
    with a checkpoint; return their files, for :func:`remove_files` once the transaction has committed."""
    paths = [pack_path(p) for p in packs]
    with ledger.deleting_as(kind):
        for p in packs:
            db.session.delete(p)
        db.session.flush()
    if packs:
        ledger.checkpoint_at_commit(reason)
    return paths


def remove_files(paths: list[Path]) -> None:
    """Remove committed-away packs' files; an archive folder whose last pack went loses its index too."""
    for path in paths:
        path.unlink(missing_ok=True)
        renderings_path(path).unlink(missing_ok=True)  # its printable PDFs go with it
        run = path.parent
        if run.is_dir() and not any(run.glob("*.zip*")):  # the last pack: the index goes with it
            shutil.rmtree(run, ignore_errors=True)


def purge_expired() -> list[str]:
    """Delete the packs whose retention has ended (rows, then files); return their paths.

    Retention is the one configured now (``ARCHIVE_RETENTION_DAYS``, counted from each pack's archiving):
    a setting changed since the packs were archived applies to them. Refuses (RetentionError, nothing
    purged) a retention under one day. The rows go first, in one transaction, each recorded in the ledger
    as ``purged`` with a checkpoint; the files are removed after the commit, so a crash in between leaves
    an unrecorded expired file, never a row pointing at nothing.
    """
    retention_days()  # a bad setting stops here, before the lock
    with write_transaction():
        expired = due_packs()
        names = [p.path for p in expired]
        paths = delete_packs(expired, ledger.PURGED, f"{len(expired)} archived pack(s) purged: retention ended")
    remove_files(paths)
    return names


def reseal_all(progress: Callable[[int, int], None] | None = None) -> int:
    """Re-encrypt every archived pack (and its index entry's sealed name) with the newest field key, after
    ``rotate-keys``; a pack archived in clear (before packs were encrypted) is sealed. Each pack goes to a new
    file, its row updated (a ledger entry) before the old file is removed: interrupted, every pack is readable
    with the keys still in the file. Returns how many packs were re-encrypted; a pack the keys cannot open is
    left as it is (the archive page names it)."""
    packs = list(db.session.execute(select(ArchivedPack).order_by(ArchivedPack.id)).scalars())
    moved: dict[Path, dict[str, tuple[str, str, int]]] = {}  # run -> old file name -> (new name, sha256, size)
    done = 0
    for n, pack in enumerate(packs, start=1):
        path = pack_path(pack)
        try:
            stored = path.read_bytes()
            sealed = cipher().rotate(stored) if is_sealed(stored) else seal(stored)
        except (OSError, InvalidToken):
            continue
        new = path.with_name(f"{path.name.split('-')[0]}-{secrets.token_hex(4)}{PACK_SUFFIX}")
        write_private(new, sealed)
        _reseal_renderings(path, new)
        digest = hashlib.sha256(sealed).hexdigest()
        with write_transaction():
            row = db.session.get_one(ArchivedPack, pack.id)
            row.path, row.sha256, row.size = str(new.relative_to(archive_root())), digest, len(sealed)
        path.unlink(missing_ok=True)
        renderings_path(path).unlink(missing_ok=True)
        moved.setdefault(path.parent, {})[path.name] = (new.name, digest, len(sealed))
        done += 1
        if progress:
            progress(n, len(packs))
    for run_dir, files in moved.items():
        _reseal_index(run_dir, files)
    return done


def _reseal_renderings(old: Path, new: Path) -> None:
    """The printable PDFs beside the pack at ``old``, if any, re-encrypted beside ``new`` (left where they
    are when the keys cannot open them: the old file stays until the pack's row points at ``new``)."""
    beside = renderings_path(old)
    if beside.is_file():
        try:
            write_private(renderings_path(new), cipher().rotate(beside.read_bytes()))
        except InvalidToken:
            return


def _reseal_index(run_dir: Path, files: dict[str, tuple[str, str, int]]) -> None:
    index, problems = read_index(run_dir)
    if index is None:
        log.warning("archive index %s not rewritten after re-encryption: %s", run_dir, "; ".join(problems))
        return
    for entry in index["learners"]:
        if entry.get("pack") in files:
            entry["pack"], entry["sha256"], entry["size"] = files[entry["pack"]]
        if entry.get("name_sealed"):
            entry["name_sealed"] = cipher().rotate(str(entry["name_sealed"]).encode()).decode()
        elif entry.get("username"):  # an index of format @1: pseudonymised now
            name = entry.pop("name", None) or entry["username"]
            entry["subject"] = subject_key(entry.pop("username"))
            entry["name_sealed"] = seal(str(name).encode()).decode()
    index["format"] = INDEX_FORMAT
    index["unfinished"] = [
        {**u, "learner": subject_key(u["learner"])} if len(str(u.get("learner", ""))) != 64 else u
        for u in index.get("unfinished", [])
    ]
    data = (json.dumps(index, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    write_private(run_dir / INDEX, data)
    write_private(run_dir / INDEX_SIGNATURE, signing.sign(data))


# --- the IQA report each reset archives beside the packs (admin/reset.py ``write_iqa_report``) -----------------
IQA_REPORT_FORMATS = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}


def _iqa_report_path(run: ArchivedRun, fmt: str) -> Path:
    return archive_root() / slug(run.cohort_name) / run.key / f"iqa-report.{fmt}.enc"  # as the reset wrote it


def iqa_report_runs(cohort_names: set[str] | None) -> list[ArchivedRun]:
    """The archives (newest first) that hold an IQA report, of the cohorts named (None: every cohort)."""
    return [
        run
        for run in archived_runs(verify=False)
        if (cohort_names is None or run.cohort_name in cohort_names) and _iqa_report_path(run, "pdf").is_file()
    ]


def iqa_report(run_key: str, fmt: str, cohort_names: set[str] | None) -> tuple[ArchivedRun, bytes]:
    """An archived IQA report, decrypted; NotFound for an unknown archive or format, or a cohort not in scope."""
    run = next((r for r in iqa_report_runs(cohort_names) if r.key == run_key), None)
    if run is None or fmt not in IQA_REPORT_FORMATS or not RUN_NAME.fullmatch(run_key):
        raise NotFound("There is no such archived IQA report.")
    return run, unseal(_iqa_report_path(run, fmt).read_bytes())
