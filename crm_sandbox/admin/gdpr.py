"""Subject access and erasure for the sandbox's own users (learners, assessors, trainers), as UK GDPR
requires of it; and for the people a cohort reset moved into the evidence archive.

The customers are fictional; the sandbox's users are not. A trainer can export everything held about
any account (its sign-in sessions and failed-sign-in records included) and erase an account's personal
data while the anonymised evidence of its work stays. After an erasure the write-ahead log is
checkpointed (``wal_checkpoint(TRUNCATE)``) and every connection runs with ``secure_delete``, so the old
name, username and password hash are not left in the database files. A person whose cohort was reset is
found in the archive by username (the archive's index holds only a keyed hash of it): their archived packs
can be exported (decrypted) or erased (the packs deleted, recorded in the ledger).
"""

import io
import json
import logging
import zipfile
from typing import Any

from sqlalchemy import delete, or_, select

from crm_sandbox import ledger
from crm_sandbox.admin import archive, retention
from crm_sandbox.database import write_transaction
from crm_sandbox.errors import Conflict, NotFound, ServiceError
from crm_sandbox.extensions import db
from crm_sandbox.formatting import iso
from crm_sandbox.models import (
    ArchivedPack,
    Assessment,
    Contact,
    CriterionJudgement,
    Event,
    Finding,
    FindingDecision,
    LoginThrottle,
    User,
    UserSession,
    utcnow,
)
from crm_sandbox.queries.level3.evidence import level3_document

log = logging.getLogger(__name__)

FORMAT = "crm-sandbox/subject-access@1"
ARCHIVE_FORMAT = "crm-sandbox/subject-access-archive@1"
ERASED_PASSWORD_HASH = "!erased"  # noqa: S105 (not a Werkzeug hash: no password can ever match it)
MAX_ARCHIVED_DOCUMENT = 4 * 1024 * 1024  # a JSON file inside a pack larger than this is listed, not inlined


def get_subject(user_id: int) -> User:
    """Any account (learner, assessor or trainer)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such account.")
    return user


def get_learner(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role != "learner":
        raise NotFound("There is no such learner.")
    return user


def _sessions(user: User) -> list[dict]:
    rows = db.session.execute(
        select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.created_at, UserSession.id)
    ).scalars()
    return [  # the token's hash is a credential, not information about the person: not exported
        {
            "signed_in_at": iso(s.created_at),
            "last_seen": iso(s.last_seen),
            "ended_at": iso(s.ended_at),
        }
        for s in rows
    ]


def _throttle(user: User) -> list[dict]:
    row = db.session.get(LoginThrottle, retention.account_throttle_key(user.username))
    if row is None:
        return []
    return [{"failed_sign_ins": row.failures, "window_started_at": iso(row.window_start)}]


def _views_made(user: User) -> list[dict]:
    """What customer personal data the person was shown (the disclosure record, as the viewer)."""
    from crm_sandbox.models.disclosure import DataView
    from crm_sandbox.queries.disclosure import recording_enabled

    if not recording_enabled():
        return []
    rows = db.session.execute(select(DataView).where(DataView.user_id == user.id).order_by(DataView.id)).scalars()
    return [
        {
            "at": iso(v.at),
            "kind": v.kind,
            "contact": v.contact_id,
            "customers": [ref for ref in v.customers.split(",") if ref],
            "fields": list(v.fields or []),
            "entitled": v.entitled,
        }
        for v in rows
    ]


def _staff_work(user: User) -> dict[str, list[dict]]:
    """What an assessor or trainer recorded: the events they acted in, their decisions, judgements and
    signed assessments (contacts named by id: the learners' evidence is not theirs)."""
    events = db.session.execute(
        select(Event).where(Event.actor_user_id == user.id).order_by(Event.contact_id, Event.seq)
    ).scalars()
    decisions = db.session.execute(
        select(FindingDecision).where(FindingDecision.assessor_id == user.id).order_by(FindingDecision.id)
    ).scalars()
    judgements = db.session.execute(
        select(CriterionJudgement).where(CriterionJudgement.assessor_id == user.id).order_by(CriterionJudgement.id)
    ).scalars()
    assessments = db.session.execute(
        select(Assessment).where(Assessment.assessor_id == user.id).order_by(Assessment.contact_id, Assessment.version)
    ).scalars()
    assigned = db.session.execute(
        select(Contact.id).where(Contact.assessor_id == user.id).order_by(Contact.id)
    ).scalars()
    return {
        "contacts_assigned": [{"contact_id": cid} for cid in assigned],
        "events": [
            {
                "contact_id": e.contact_id,
                "seq": e.seq,
                "at": iso(e.at),
                "actor": e.actor,
                "type": e.type,
                "data": e.data,
            }
            for e in events
        ],
        "finding_decisions": [
            {"finding_id": d.finding_id, "decision": d.decision, "comment": d.comment, "at": iso(d.at)}
            for d in decisions
        ],
        "criterion_judgements": [
            {
                "contact_id": j.contact_id,
                "criterion_id": j.criterion_id,
                "met": j.met,
                "status": j.status,
                "comment": j.comment,
                "at": iso(j.at),
            }
            for j in judgements
        ],
        "assessments_signed": [
            {
                "contact_id": a.contact_id,
                "version": a.version,
                "outcome": a.outcome,
                "feedback": a.feedback,
                "signed_at": iso(a.signed_at),
                "voided_at": iso(a.voided_at),
            }
            for a in assessments
        ],
    }


def subject_access_export(user_id: int) -> dict:
    """Everything held about an account, whatever its role: the account, its sign-in sessions and
    failed-sign-in records; a learner's contacts with their events, findings, decisions, criteria judgements
    and assessments; an assessor's or trainer's recorded work. (The fictional customers' records are not
    theirs and are named by reference only.) For an erased account it says so: what is left is pseudonymous."""
    user = get_subject(user_id)
    contacts = (
        db.session.execute(select(Contact).where(Contact.learner_id == user.id).order_by(Contact.position))
        .scalars()
        .all()
    )
    ids = [c.id for c in contacts]
    events = db.session.execute(
        select(Event).where(Event.contact_id.in_(ids)).order_by(Event.contact_id, Event.seq)
    ).scalars()
    findings = (
        db.session.execute(select(Finding).where(Finding.contact_id.in_(ids)).order_by(Finding.id)).scalars().all()
    )
    decisions = db.session.execute(
        select(FindingDecision)
        .where(FindingDecision.finding_id.in_([f.id for f in findings]))
        .order_by(FindingDecision.id)
    ).scalars()
    judgements = db.session.execute(
        select(CriterionJudgement).where(CriterionJudgement.contact_id.in_(ids)).order_by(CriterionJudgement.id)
    ).scalars()
    assessments = db.session.execute(
        select(Assessment).where(Assessment.contact_id.in_(ids)).order_by(Assessment.version)
    ).scalars()
    by_contact: dict[int, dict] = {
        c.id: {
            "id": c.id,
            "scenario_id": c.scenario_id,
            "title": c.title,
            "channel": c.channel,
            "status": c.status,
            "mode": c.mode,
            "assessor_id": c.assessor_id,
            "customer_ref": c.customer.ref,
            "created_at": iso(c.created_at),
            "opened_at": iso(c.opened_at),
            "closed_at": iso(c.closed_at),
            "policy": c.policy,
            "events": [],
            "findings": [],
            "criterion_judgements": [],
            "assessment": None,  # the signed version that stands
            "assessment_versions": [],  # every signed version, superseded ones included
        }
        for c in contacts
    }
    for e in events:
        by_contact[e.contact_id]["events"].append(
            {
                "seq": e.seq,
                "at": iso(e.at),
                "actor": e.actor,
                "actor_user_id": e.actor_user_id,
                "type": e.type,
                "data": e.data,
            }
        )
    finding_contact = {}
    for f in findings:
        finding_contact[f.id] = f.contact_id
        by_contact[f.contact_id]["findings"].append(
            {
                "id": f.id,
                "rule": f.rule,
                "severity": f.severity,
                "events": f.events,
                "evidence": f.evidence,
                "explanation": f.explanation,
                "active": f.active,
                "source": f.source,
                "decisions": [],
            }
        )
    for d in decisions:
        for f in by_contact[finding_contact[d.finding_id]]["findings"]:
            if f["id"] == d.finding_id:
                f["decisions"].append(
                    {"decision": d.decision, "comment": d.comment, "at": iso(d.at), "assessor_id": d.assessor_id}
                )
    for j in judgements:
        by_contact[j.contact_id]["criterion_judgements"].append(
            {
                "criterion_id": j.criterion_id,
                "met": j.met,
                "status": j.status,
                "comment": j.comment,
                "at": iso(j.at),
                "assessor_id": j.assessor_id,
            }
        )
    for a in assessments:
        version = {
            "version": a.version,
            "outcome": a.outcome,
            "override_reason": a.override_reason,
            "voided_at": iso(a.voided_at),
            "void_reason": a.void_reason,
            "feedback": a.feedback,
            "signed_at": iso(a.signed_at),
            "released_at": iso(a.released_at),
            "learner_comment": a.learner_comment,
            "acknowledged_at": iso(a.acknowledged_at),
            "assessor_id": a.assessor_id,
        }
        by_contact[a.contact_id]["assessment_versions"].append(version)
        if a.voided_at is None:
            by_contact[a.contact_id]["assessment"] = version
    doc: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": iso(utcnow()),
        "account": {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "cohort": user.cohort.name if user.cohort else None,
            "active": user.active,
            "must_change_password": user.must_change_password,
            "created_at": iso(user.created_at),
            "erased_at": iso(user.erased_at),
        },
        "sign_in_sessions": _sessions(user),
        "failed_sign_ins": _throttle(user),
        "customer_data_shown": _views_made(user),
        "contacts": list(by_contact.values()),
    }
    return _role_sections(user, doc)


def _role_sections(user: User, doc: dict[str, Any]) -> dict[str, Any]:
    """A staff account's recorded work; an erased account's statement of what is left."""
    if user.role != "learner":
        doc["staff_work"] = _staff_work(user)
    else:
        doc["level3"] = level3_document(user)  # Level 3 tasks, discussions and opt-ins (None: there are none)
    if user.erased_at is not None:
        doc["erasure"] = (
            f"This account's personal data was erased on {iso(user.erased_at)}: no name, username, password "
            "or sign-in record is held any more. What follows is the pseudonymous evidence kept under its id."
        )
    return doc


def pseudonym(user: User) -> str:
    return f"erased-{user.role}-{user.id}"


def erase_account(user_id: int, confirm: str, by_user_id: int | None = None) -> User:
    """Erase an account's personal data, whatever its role: username and display name become a pseudonym,
    the password can never match, the account is disabled, its sign-in sessions and the failed-sign-in
    records of its username are deleted. Its contacts, events and assessments stay as anonymised evidence
    (they refer to the account by its id only). ``confirm`` must be the current username; a trainer cannot
    erase their own account (another trainer does). After the commit the database files are scrubbed
    (:func:`scrub_database_file`).

    Not erased here: evidence packs archived by an earlier reset under that username (see
    :func:`erase_archived`), and what the person typed in role-play messages and notes (events are immutable).
    """
    with write_transaction():
        user = get_subject(user_id)
        if user.erased_at is not None:
            raise Conflict(f"This {user.role}'s personal data was already erased (on {iso(user.erased_at)}).")
        if by_user_id is not None and by_user_id == user.id:
            raise ServiceError("You cannot erase your own account: another trainer must do it.")
        if (confirm or "").strip().lower() != user.username:
            raise ServiceError(f"To erase, type the {user.role}'s username exactly.")
        # The old salt goes: what the log committed of the account before cannot be tested against a guess.
        ledger.erase_subject(f"user:{user.id}", [f"user:{user.id}"])
        ledger.checkpoint_at_commit(f"account {user.id} erased")
        db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
        retention.delete_throttle_for(user.username)
        user.username = user.display_name = pseudonym(user)
        user.password_hash = ERASED_PASSWORD_HASH
        user.active = False
        user.must_change_password = False
        user.erased_at = utcnow()
    scrub_database_file()
    return user


def erase_learner(user_id: int, confirm: str) -> User:
    """:func:`erase_account` for a learner (NotFound for another role)."""
    get_learner(user_id)
    return erase_account(user_id, confirm)


def scrub_database_file() -> bool:
    """SQLite: checkpoint the write-ahead log into the database and truncate it (``wal_checkpoint(TRUNCATE)``),
    so erased values live on in neither file (every connection runs with ``secure_delete``, which zeroes
    freed content). True when done; False when a reader kept part of the log (logged; the next erasure or
    ``flask purge`` checkpoints again). PostgreSQL: nothing to do here (its VACUUM reclaims dead rows)."""
    if db.engine.dialect.name != "sqlite":
        return True
    db.session.commit()  # this session's connection goes back to the pool, no read snapshot left open
    with db.engine.connect() as conn:
        busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    if busy:
        log.warning("wal_checkpoint(TRUNCATE) was blocked by a reader: erased data may stay in the -wal file")
    return not busy


# --- people in the archive (their cohort was reset: the account is gone) ----------------------------------------
def archived_packs_of(username: str) -> list[ArchivedPack]:
    """The packs archived for ``username`` (found by the name the archive recorded, case-insensitively)."""
    wanted = (username or "").strip().lower()
    if not wanted or len(wanted) > 80:
        raise ServiceError("Give the username the person had (at most 80 characters).")
    return list(
        db.session.execute(
            select(ArchivedPack)
            .where(or_(ArchivedPack.learner_username == wanted, ArchivedPack.learner_username == username.strip()))
            .order_by(ArchivedPack.created_at, ArchivedPack.id)
        ).scalars()
    )


def _not_in_archive(username: str) -> NotFound:
    return NotFound(
        f"The evidence archive holds nothing about {username.strip()!r}: no pack was archived under that username, "
        "or it was erased or purged (an erasure leaves nothing to export)."
    )


def archive_subject_export(username: str) -> dict:
    """Everything the archive holds about a person whose cohort was reset: each pack's record, and its
    contents decrypted (JSON documents inline, other files listed)."""
    packs = archived_packs_of(username)
    if not packs:
        raise _not_in_archive(username)
    out = []
    for pack in packs:
        entry: dict[str, Any] = {
            "cohort": pack.cohort_name,
            "archived_at": iso(pack.created_at),
            "purge_due": iso(archive.retention_until(pack.created_at)),
            "sha256": pack.sha256,
            "files": [],
            "documents": {},
        }
        try:
            data = archive.stored_pack(pack)
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for info in zf.infolist():
                    entry["files"].append({"name": info.filename, "size": info.file_size})
                    if info.filename.endswith(".json") and info.file_size <= MAX_ARCHIVED_DOCUMENT:
                        try:
                            entry["documents"][info.filename] = json.loads(zf.read(info))
                        except ValueError:
                            entry["documents"][info.filename] = None
        except (ServiceError, zipfile.BadZipFile) as err:
            entry["problem"] = f"the pack could not be read: {err}"
        out.append(entry)
    return {
        "format": ARCHIVE_FORMAT,
        "exported_at": iso(utcnow()),
        "username": packs[0].learner_username,
        "archived_packs": out,
    }


def erase_archived(username: str, confirm: str) -> list[str]:
    """Erase what the archive holds about a person: their packs are deleted (rows and files), recorded in the
    ledger as ``purged`` with their salts destroyed, and their entries leave the archive index. ``confirm``
    must repeat the username. Returns the purged pack paths."""
    if (confirm or "").strip().lower() != (username or "").strip().lower():
        raise ServiceError("To erase from the archive, type the username again exactly.")
    with write_transaction():
        packs = archived_packs_of(username)
        if not packs:
            raise _not_in_archive(username)
        names = [p.path for p in packs]
        old = packs[0].learner_username
        for p in packs:
            ledger.erase_subject(f"archived_pack:{p.id}")
        paths = archive.delete_packs(packs, ledger.PURGED, f"{len(packs)} archived pack(s) erased on request")
    for path in paths:
        archive.drop_from_index(path.parent, old)
    archive.remove_files(paths)
    scrub_database_file()
    return names
