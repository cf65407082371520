"""The evidence archive: sealed evidence packs written by cohort resets, kept until their retention ends.

Files live under ``ARCHIVE_DIR`` (default ``instance/archive``) as
``<cohort>/<UTC time>-g<generation>-<run>/<username>.zip``; each is recorded by an ``ArchivedPack`` row
(path relative to the archive folder, SHA-256, size, retention date).
"""
import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import ArchivedPack, utcnow
from crm_sandbox.services.errors import NotFound

DEFAULT_RETENTION_DAYS = 1095  # three years


def archive_root() -> Path:
    return Path(current_app.config.get("ARCHIVE_DIR") or Path(current_app.instance_path) / "archive")


def retention_days() -> int:
    return int(current_app.config.get("ARCHIVE_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def retention_until(created_at=None):
    return (created_at or utcnow()) + timedelta(days=retention_days())


def slug(name: str) -> str:
    """A file-system-safe folder name for a cohort or user name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "unnamed"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs_durably(path: Path) -> None:
    """``mkdir -p``, fsyncing each new directory's parent so the entries survive a crash."""
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        d.mkdir(exist_ok=True)
        fsync_dir(d.parent)


def write_durably(path: Path, data: bytes, mode: int = 0o666) -> None:
    """Write ``data`` to ``path`` (temp file, fsync, rename, fsync the folder): whole or absent after a crash.

    ``mode``: the new file's permissions (less the umask), e.g. 0o600 for a key file.
    """
    tmp = path.with_name(path.name + ".part")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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


def check_pack(pack: ArchivedPack) -> list[str]:
    """Problems with an archived pack: missing, changed since archiving, or failing ``verify_pack``."""
    from crm_sandbox.reports.pack import verify_pack

    path = pack_path(pack)
    if not path.is_file():
        return ["the file is missing"]
    if sha256_file(path) != pack.sha256:
        return ["the file has changed since it was archived (SHA-256 differs)"]
    return list(verify_pack(str(path)))


def archive_listing(verify: bool = True) -> list[PackStatus]:
    now = utcnow()
    packs = db.session.execute(select(ArchivedPack).order_by(
        ArchivedPack.created_at.desc(), ArchivedPack.cohort_name, ArchivedPack.learner_username)).scalars()
    return [PackStatus(p, p.retention_until <= now, check_pack(p) if verify else []) for p in packs]


def unrecorded_runs() -> list[str]:
    """Archive folders no ``ArchivedPack`` row points at: left by a reset interrupted before its commit
    (the live data was kept, so these are spare copies, safe to delete by hand)."""
    root = archive_root()
    if not root.is_dir():
        return []
    recorded = {str(Path(p).parent) for p in db.session.execute(select(ArchivedPack.path)).scalars()}
    return sorted(str(run.relative_to(root)) for cohort in root.iterdir() if cohort.is_dir()
                  for run in cohort.iterdir() if run.is_dir() and str(run.relative_to(root)) not in recorded)


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
        expired = list(db.session.execute(
            select(ArchivedPack).where(ArchivedPack.retention_until <= utcnow())).scalars())
        paths = [pack_path(p) for p in expired]
        names = [p.path for p in expired]
        for p in expired:
            db.session.delete(p)
    for path in paths:
        path.unlink(missing_ok=True)
        run = path.parent
        if run.is_dir() and not any(run.iterdir()):
            shutil.rmtree(run, ignore_errors=True)
    return names
