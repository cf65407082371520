"""The assessor's review of a contact: decisions, own findings, criteria, sign-off and release; the
learner's acknowledgement. The review's read model (what the page and the reports show) is in
``queries/review.py``.

Every decision is a new row (history kept); nothing an assessor or learner signed is overwritten.
"""

from flask import current_app
from sqlalchemy import func, select

from crm_sandbox import ledger
from crm_sandbox.content.criteria import load_criteria
from crm_sandbox.database import write_transaction
from crm_sandbox.errors import Conflict, NotFound, ServiceError
from crm_sandbox.events.append import contact_events, lock_contact
from crm_sandbox.events.registry import OBSERVATION_ADDED
from crm_sandbox.extensions import db
from crm_sandbox.models import Assessment, Contact, CriterionJudgement, Event, Finding, FindingDecision, User, utcnow
from crm_sandbox.models.review import DECISIONS, OUTCOMES
from crm_sandbox.operations.contact_operation import contact_operation, lock
from crm_sandbox.operations.desk.conversation import check_text
from crm_sandbox.queries.review import released_assessment

MAX_COMMENT = 2000


def _comment(text: str | None, required: bool, what: str) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ServiceError(f"Add a comment explaining the {what}.")
    if len(text) > MAX_COMMENT:
        raise ServiceError(f"Keep the comment under {MAX_COMMENT:,} characters.")
    return text


def decide_finding(finding: Finding, assessor: User, decision: str, comment: str, seen: int) -> FindingDecision:
    """Confirm or dismiss a finding. ``seen`` is how many decisions the assessor saw on the page:
    if another assessor decided in the meantime, this one is refused rather than silently stacked."""
    if decision not in DECISIONS:
        raise ServiceError("Choose confirm or dismiss.")
    comment = _comment(comment, decision == "dismissed", "dismissal")
    with write_transaction():
        lock_contact(finding.contact_id)  # decisions on one contact are serialised
        count = db.session.execute(
            select(func.count(FindingDecision.id)).where(FindingDecision.finding_id == finding.id)
        ).scalar()
        if count != seen:
            latest = (
                db.session.execute(
                    select(FindingDecision)
                    .where(FindingDecision.finding_id == finding.id)
                    .order_by(FindingDecision.id.desc())
                )
                .scalars()
                .first()
            )
            if latest is None:  # the form claimed decisions that were never made (a stale or edited page)
                raise Conflict("This finding has no decision yet: reload the page and decide again.")
            raise Conflict(
                f"{latest.assessor.display_name} {latest.decision} this finding at "
                f"{latest.at:%H:%M:%S} while you were reviewing it. Read their decision, then decide again."
            )
        row = FindingDecision(finding_id=finding.id, assessor_id=assessor.id, decision=decision, comment=comment)
        db.session.add(row)
    return row


def add_finding(
    contact: Contact,
    assessor: User,
    rule: str,
    explanation: str,
    event_seqs: list[int],
    evidence: str = "",
    severity: str = "medium",
) -> Finding:
    """An assessor's own finding, pinned to the events that evidence it."""
    explanation = check_text(explanation, "finding", MAX_COMMENT)
    rule = (rule or "assessor-observation").strip()[:60]
    if severity not in ("high", "medium", "low"):
        raise ServiceError("Choose a severity: high, medium or low.")
    with write_transaction():
        lock_contact(contact.id)
        valid = {e.seq for e in contact_events(contact.id)}
        if not event_seqs or not set(event_seqs) <= valid:
            raise ServiceError("Pin the finding to at least one event of this contact.")
        n = db.session.execute(
            select(func.count(Finding.id)).where(Finding.contact_id == contact.id, Finding.source == "assessor")
        ).scalar_one()
        finding = Finding(
            contact_id=contact.id,
            key=f"assessor:{n + 1}",
            rule=rule,
            severity=severity,
            events=sorted(event_seqs),
            evidence=evidence[:500],
            explanation=explanation,
            reference="Assessor's judgement",
            source="assessor",
            created_by=assessor.id,
        )
        db.session.add(finding)
    return finding


def observe(contact: Contact, assessor: User, text: str, as_finding: bool = False) -> Event:
    """Add a timestamped observation to the contact's timeline (optionally also a finding)."""
    text = check_text(text, "observation", MAX_COMMENT)
    with contact_operation(contact, allow_closed=True) as op:
        event = op.append(OBSERVATION_ADDED, {"text": text, "by": assessor.username}, actor="assessor", user=assessor)
        if as_finding:
            db.session.add(
                Finding(
                    contact_id=op.contact.id,
                    key=f"observation:{event.seq}",
                    rule="assessor-observation",
                    severity="medium",
                    events=[event.seq],
                    evidence=text[:500],
                    explanation=text,
                    reference="Assessor's observation",
                    source="assessor",
                    created_by=assessor.id,
                )
            )
        op.refresh_findings()
    return event


def judge_criterion(contact: Contact, assessor: User, criterion_id: str, met: str, comment: str) -> None:
    if criterion_id not in {c.id for c in load_criteria(current_app.config["SEED_DIR"])}:
        raise NotFound("There is no such criterion.")
    if met not in ("met", "not_yet"):
        raise ServiceError("Mark the criterion met or not yet met.")
    comment = _comment(comment, met == "not_yet", "judgement")
    with write_transaction():
        lock_contact(contact.id)
        db.session.add(
            CriterionJudgement(
                contact_id=contact.id,
                criterion_id=criterion_id,
                met=met == "met",
                comment=comment,
                assessor_id=assessor.id,
            )
        )


def sign_off(contact: Contact, assessor: User, outcome: str, feedback: str) -> Assessment:
    """The assessor's overall judgement and signature on a closed contact (once)."""
    if outcome not in OUTCOMES:
        raise ServiceError("Choose competent or not yet competent.")
    feedback = check_text(feedback, "feedback for the learner", MAX_COMMENT)
    with write_transaction():
        if lock(contact).status != "closed":
            raise Conflict("Sign off after the learner has closed the contact.")
        if db.session.execute(select(Assessment.id).where(Assessment.contact_id == contact.id)).first():
            raise Conflict("This contact is already signed off.")
        assessment = Assessment(contact_id=contact.id, assessor_id=assessor.id, outcome=outcome, feedback=feedback)
        db.session.add(assessment)
        ledger.checkpoint_at_commit(f"contact {contact.id} signed off")
    return assessment


def release(contact: Contact, assessor: User) -> None:
    """Let the learner see their report."""
    with write_transaction():
        lock_contact(contact.id)
        assessment = db.session.execute(
            select(Assessment).where(Assessment.contact_id == contact.id)
        ).scalar_one_or_none()
        if assessment is None:
            raise Conflict("Sign the contact off before releasing the report.")
        if assessment.released_at is None:
            assessment.released_at = utcnow()


def acknowledge(contact: Contact, learner: User, comment: str) -> None:
    """The learner's comment and signature on their released report (once)."""
    comment = check_text(comment, "comment", MAX_COMMENT)
    with write_transaction():
        lock_contact(contact.id)
        assessment = released_assessment(contact)
        if assessment.acknowledged_at is not None:
            raise Conflict("You have already signed this report.")
        assessment.learner_comment, assessment.acknowledged_at = comment, utcnow()
        ledger.checkpoint_at_commit(f"contact {contact.id} acknowledged")
