"""Subject access and erasure for the sandbox's own users (learners), as UK GDPR requires of it.

The customers are fictional; the learners are not. A trainer can export everything held about a
learner, and erase a learner's personal data while the anonymised evidence of their work stays.
"""

from sqlalchemy import select

from crm_sandbox import ledger
from crm_sandbox.database import write_transaction
from crm_sandbox.errors import Conflict, NotFound, ServiceError
from crm_sandbox.extensions import db
from crm_sandbox.formatting import iso
from crm_sandbox.models import Assessment, Contact, CriterionJudgement, Event, Finding, FindingDecision, User, utcnow

FORMAT = "crm-sandbox/subject-access@1"
ERASED_PASSWORD_HASH = "!erased"  # noqa: S105 (not a Werkzeug hash: no password can ever match it)


def get_learner(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role != "learner":
        raise NotFound("There is no such learner.")
    return user


def subject_access_export(user_id: int) -> dict:
    """Everything held about a learner: account, contacts with their events, findings, decisions,
    criteria judgements and assessments. (The fictional customers' records are not theirs and are
    named by reference only.)"""
    user = get_learner(user_id)
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
    return {
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
        "contacts": list(by_contact.values()),
    }


def pseudonym(user: User) -> str:
    return f"erased-learner-{user.id}"


def erase_learner(user_id: int, confirm: str) -> User:
    """Erase a learner's personal data: username and display name become a pseudonym, the password can
    never match, the account is disabled. Their contacts, events and assessments stay as anonymised
    evidence (they refer to the account by its id only). ``confirm`` must be the current username.

    Not erased: evidence packs already archived by a reset (sealed, kept for QA under the retention
    period), and what the learner typed in role-play messages and notes (events are immutable).
    """
    with write_transaction():
        user = get_learner(user_id)
        if user.erased_at is not None:
            raise Conflict("This learner's personal data was already erased.")
        if (confirm or "").strip().lower() != user.username:
            raise ServiceError("To erase, type the learner's username exactly.")
        # The old salt goes: what the log committed of the account before cannot be tested against a guess.
        ledger.erase_subject(f"user:{user.id}", [f"user:{user.id}"])
        ledger.checkpoint_at_commit(f"account {user.id} erased")
        user.username = user.display_name = pseudonym(user)
        user.password_hash = ERASED_PASSWORD_HASH
        user.active = False
        user.must_change_password = False
        user.erased_at = utcnow()
    return user
