"""Retention, applied as configured when the purge runs, on a schedule nobody has to remember.

What is due, under the settings as they are *at purge time* (changing one changes what is due):

- archived evidence packs older than ``ARCHIVE_RETENTION_DAYS`` (counted from their archiving);
- the live evidence of a **closed** cohort whose last activity is older than ``ARCHIVE_RETENTION_DAYS``
  (its contacts, events, findings, reviews, and its learner and assessor accounts: as a reset removes
  them, but recorded in the ledger as ``purged``, not archived);
- sign-in sessions over (signed out, idle or past their absolute lifetime) for more than
  ``SESSION_RECORD_DAYS`` (default 30; 0: as soon as they are over);
- failed-sign-in (throttle) records whose window ended more than ``THROTTLE_RECORD_DAYS`` ago (default 1).

Each purge is one write transaction (the write lock: a reset, an erasure or another worker's purge waits
or waits for it), and one entry of the tamper-evident ledger: a ``purged`` leaf per evidential row it
removes, a ``retention-purge`` leaf for the run itself, and a signed checkpoint whose reason counts what
went. Files are removed after the commit.

It runs: at start-up and then every ``RETENTION_PURGE_HOURS`` (default 24; 0 turns the schedule off) on
the first request a worker serves after that (:func:`install`), at ``flask bootstrap``, and with
``flask purge`` (for cron); the trainer's archive page has a button too.
"""

import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import delete, func, inspect, or_, select

from crm_sandbox import ledger
from crm_sandbox.admin import archive
from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.ledger import Entry, write_leaves
from crm_sandbox.models import Cohort, Contact, LoginThrottle, User, UserSession, utcnow

log = logging.getLogger(__name__)

DEFAULT_SESSION_RECORD_DAYS = 30
DEFAULT_THROTTLE_RECORD_DAYS = 1
DEFAULT_PURGE_HOURS = 24
PURGE_REF = "retention_purge"


@dataclass
class PurgeReport:
    at: datetime
    packs: list[str] = field(default_factory=list)  # archive paths
    cohorts: list[str] = field(default_factory=list)  # closed cohorts whose live evidence went
    rows: dict[str, int] = field(default_factory=dict)  # per table, for the closed cohorts
    sessions: int = 0
    throttle: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.packs or self.cohorts or self.sessions or self.throttle)

    def summary(self) -> str:
        return (
            f"retention purge: {len(self.packs)} archived pack(s), {len(self.cohorts)} closed cohort(s), "
            f"{self.sessions} sign-in session(s), {self.throttle} failed-sign-in record(s)"
        )


def _days(name: str, default: int) -> int:
    value = current_app.config.get(name, default)
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise archive.RetentionError(f"{name} must be a whole number of days, not {value!r}.") from None
    if days < 0:
        raise archive.RetentionError(f"{name} is {value!r}: it cannot be negative. Nothing was purged.")
    return days


def account_throttle_key(username: str) -> str:
    """The throttle row counting failed sign-ins to ``username`` (as operations/signin.py keys it)."""
    return f"user:{username.strip().lower()[:80]}"


def delete_throttle_for(username: str) -> int:
    """Delete the failed-sign-in records of ``username`` (an erasure), in the current transaction."""
    result = db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == account_throttle_key(username)))
    return int(getattr(result, "rowcount", 0) or 0)


def _old_throttle(now: datetime) -> int:
    window = timedelta(minutes=int(current_app.config.get("LOGIN_THROTTLE_MINUTES", 15)))
    cutoff = now - window - timedelta(days=_days("THROTTLE_RECORD_DAYS", DEFAULT_THROTTLE_RECORD_DAYS))
    result = db.session.execute(delete(LoginThrottle).where(LoginThrottle.window_start < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def _old_sessions(now: datetime) -> int:
    """Sessions over (ended, idle past SESSION_IDLE_MINUTES or older than SESSION_ABSOLUTE_HOURS) for longer
    than SESSION_RECORD_DAYS."""
    config = current_app.config
    keep = timedelta(days=_days("SESSION_RECORD_DAYS", DEFAULT_SESSION_RECORD_DAYS))
    idle = timedelta(minutes=int(config.get("SESSION_IDLE_MINUTES", 30)))
    absolute = timedelta(hours=int(config.get("SESSION_ABSOLUTE_HOURS", 12)))
    result = db.session.execute(
        delete(UserSession).where(
            or_(
                UserSession.ended_at < now - keep,
                UserSession.last_seen < now - idle - keep,
                UserSession.created_at < now - absolute - keep,
            )
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def last_activity(cohort: Cohort) -> datetime:
    """The newest of the cohort's creation, its contacts' creation, opening and closing, and its accounts'."""
    times = [
        cohort.created_at,
        db.session.execute(
            select(
                func.max(func.coalesce(Contact.closed_at, Contact.opened_at, Contact.created_at)),
            ).where(Contact.cohort_id == cohort.id)
        ).scalar(),
        db.session.execute(select(func.max(User.created_at)).where(User.cohort_id == cohort.id)).scalar(),
    ]
    return max(t for t in times if t is not None)


def _closed_cohorts(now: datetime, report: PurgeReport) -> None:
    from crm_sandbox.admin.reset import live_contacts, remove_cohort_from_live_system

    cutoff = now - timedelta(days=archive.retention_days())
    for cohort in db.session.execute(select(Cohort).where(Cohort.status == "closed").order_by(Cohort.id)).scalars():
        if last_activity(cohort) > cutoff or live_contacts(cohort.id):
            continue
        has_evidence = (
            db.session.execute(select(Contact.id).where(Contact.cohort_id == cohort.id).limit(1)).first()
            or db.session.execute(
                select(User.id).where(User.cohort_id == cohort.id, User.role.in_(("learner", "assessor"))).limit(1)
            ).first()
        )
        if not has_evidence:
            continue
        removed = remove_cohort_from_live_system(cohort.id, kind=ledger.PURGED)
        report.cohorts.append(cohort.name)
        for table, n in removed.items():
            report.rows[table] = report.rows.get(table, 0) + n


def purge(now: datetime | None = None) -> PurgeReport:
    """Apply every retention rule now, in one write transaction (see the module docstring); raises
    archive.RetentionError, purging nothing, when a setting is unusable."""
    archive.retention_days()  # bad settings stop here, before the lock
    _days("SESSION_RECORD_DAYS", DEFAULT_SESSION_RECORD_DAYS)
    _days("THROTTLE_RECORD_DAYS", DEFAULT_THROTTLE_RECORD_DAYS)
    now = now or utcnow()
    report = PurgeReport(now)
    paths: list[Path] = []
    with write_transaction() as session:
        expired = archive.due_packs(now)
        report.packs = [p.path for p in expired]
        paths = archive.delete_packs(expired, ledger.PURGED, "archived packs purged: retention ended")
        _closed_cohorts(now, report)
        report.sessions = _old_sessions(now)
        report.throttle = _old_throttle(now)
        if report.anything:
            stamp = f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
            write_leaves(session, [Entry(f"{PURGE_REF}:{stamp}", PURGE_REF, ledger.PURGED, None)])
            ledger.checkpoint_at_commit(report.summary())
    archive.remove_files(paths)
    if report.anything:
        from crm_sandbox.admin.gdpr import scrub_database_file  # gdpr reads this module's throttle keys

        scrub_database_file()  # what was purged lives on in neither the database file nor its log
        log.info("%s", report.summary())
    return report


# --- the schedule ------------------------------------------------------------------------------------------
_lock = threading.Lock()


def _schema_ready() -> bool:
    try:
        return inspect(db.engine).has_table("archived_pack") and inspect(db.engine).has_table("ledger_leaf")
    except Exception:  # noqa: BLE001 - no database yet: nothing to purge
        return False


def run_scheduled(app: Flask) -> PurgeReport | None:
    """Purge if this worker has not purged within RETENTION_PURGE_HOURS (the first call: at start-up).
    Never raises: a failed purge is logged and tried again at the next interval."""
    hours = float(app.config.get("RETENTION_PURGE_HOURS", DEFAULT_PURGE_HOURS) or 0)
    if hours <= 0:
        return None
    state = app.extensions.setdefault("crm_retention", {"next": 0.0})
    now = time.monotonic()
    if now < state["next"] or not _lock.acquire(blocking=False):
        return None
    try:
        state["next"] = now + hours * 3600
        if not _schema_ready():
            return None
        try:
            return purge()
        except Exception:  # noqa: BLE001 - the request goes on; the log says why
            db.session.rollback()
            log.exception("retention purge failed (it runs again in %s hours, or with `flask purge`)", hours)
            return None
    finally:
        _lock.release()


def install(app: Flask) -> None:
    """Run the retention purge at each worker's first request and then every RETENTION_PURGE_HOURS."""

    @app.before_request
    def _retention_schedule() -> None:
        run_scheduled(app)
