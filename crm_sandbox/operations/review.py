"""The assessor's review of a contact: decisions, own findings, criteria, sign-off, reopening and release;
the learner's acknowledgement. The review's read model (what the page and the reports show) is in
``queries/review.py``.

Every decision is a new row (history kept); nothing an assessor or learner signed is overwritten. A
sign-off is refused until every finding is confirmed or dismissed and every criterion has a status, and
locks the review: nothing on it changes until it is reopened, with a reason, which voids the signed
version (kept, readable) and any release or acknowledgement of it. Signing and reopening are evidence:
``assessment.signed`` and ``assessment.reopened`` events on the contact's own stream. Each runs under the
contact's write lock and checks the review's state inside it, so two tabs cannot sign a contradiction.
"""

from flask import current_app
from sqlalchemy import func, select

from crm_sandbox import ledger
from crm_sandbox.content.criteria import load_criteria
from crm_sandbox.database import write_transaction
from crm_sandbox.errors import Conflict, NotFound, ServiceError
from crm_sandbox.events.append import contact_events, lock_contact
from crm_sandbox.events.registry import ASSESSMENT_REOPENED, ASSESSMENT_SIGNED, OBSERVATION_ADDED
from crm_sandbox.extensions import db
from crm_sandbox.formatting import when
from crm_sandbox.models import Assessment, Contact, CriterionJudgement, Event, Finding, FindingDecision, User, utcnow
from crm_sandbox.models.review import (
    ASSESSMENT_OUTCOMES,
    CRITERION_STATUSES,
    DECISIONS,
    OUTCOMES,
    PRACTICE_OUTCOMES,
)
from crm_sandbox.operations import summaries
from crm_sandbox.operations.contact_operation import contact_operation
from crm_sandbox.operations.desk.conversation import check_text
from crm_sandbox.queries.quality.countersign import countersign_flag, provisional
from crm_sandbox.queries.review import assessment_of, assessment_versions, contact_review, standing

MAX_COMMENT = 2000
# What the review page's buttons post for a criterion ("not_yet" is the older form's "not yet met").
STATUS_ALIASES = {"not_yet": "not_met"}


def _comment(text: str | None, required: bool, what: str) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ServiceError(f"Add a comment explaining the {what}.")
    if len(text) > MAX_COMMENT:
        raise ServiceError(f"Keep the comment under {MAX_COMMENT:,} characters.")
    return text


def check_unlocked(contact_id: int) -> None:
    """Refuse any change to a signed-off review (call it holding the contact's lock)."""
    signed = (
        db.session.execute(
            select(Assessment)
            .where(Assessment.contact_id == contact_id, Assessment.voided_at.is_(None))
            .order_by(Assessment.version.desc())
        )
        .scalars()
        .first()
    )
    if signed is not None:
        raise Conflict(
            f"This review is signed off (version {signed.version}, by {signed.assessor.display_name} at "
            f"{when(signed.signed_at)} UTC) and locked: nothing was changed. Reopen it, with a reason, to change "
            "a decision, a finding or a criterion."
        )


def decide_finding(finding: Finding, assessor: User, decision: str, comment: str, seen: int) -> FindingDecision:
    """Confirm or dismiss a finding. ``seen`` is how many decisions the assessor saw on the page:
    if another assessor decided in the meantime, this one is refused rather than silently stacked."""
    if decision not in DECISIONS:
        raise ServiceError("Choose confirm or dismiss.")
    comment = _comment(comment, decision == "dismissed", "dismissal")
    with write_transaction():
        lock_contact(finding.contact_id)  # decisions on one contact are serialised
        check_unlocked(finding.contact_id)
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
        summaries.settle(finding.contact_id)  # a dismissal takes the finding off the dashboard's count
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
        check_unlocked(contact.id)
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
        summaries.settle(contact.id)
    return finding


def observe(contact: Contact, assessor: User, text: str, as_finding: bool = False) -> Event:
    """Add a timestamped observation to the contact's timeline (optionally also a finding)."""
    text = check_text(text, "observation", MAX_COMMENT)
    with contact_operation(contact, allow_closed=True) as op:
        check_unlocked(op.contact.id)  # the signed record's timeline stays as it was signed
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


def judge_criterion(contact: Contact, assessor: User, criterion_id: str, status: str, comment: str) -> None:
    """Judge one criterion met, not yet met, or not covered by this observation. A comment is needed for
    "not yet met" and for any status other than the criterion's default (a criterion the scenario does not
    cover starts as not covered; one it covers starts undecided, and "not covered" then needs a reason)."""
    if criterion_id not in {c.id for c in load_criteria(current_app.config["SEED_DIR"])}:
        raise NotFound("There is no such criterion.")
    status = STATUS_ALIASES.get(status, status)
    if status not in CRITERION_STATUSES:
        raise ServiceError("Mark the criterion met, not yet met, or not covered by this observation.")
    with write_transaction():
        lock_contact(contact.id)
        check_unlocked(contact.id)
        row = next((r for r in contact_review(contact).criteria if r.criterion.id == criterion_id), None)
        if row is None:
            raise NotFound("That criterion is not on this learner's record (their qualification does not have it).")
        code = row.criterion.code
        if status == "met" and not row.events:
            comment = _comment(comment, True, f"judgement: no event is linked to {code}, so say what evidences it")
        elif status == "not_met":
            comment = _comment(comment, True, f"judgement: what is missing for {code}")
        elif row.default_status == "not_covered" and status != "not_covered":
            comment = _comment(comment, True, f"judgement: this observation's scenario does not cover {code}")
        elif row.default_status is None and status == "not_covered":
            comment = _comment(comment, True, f"judgement: this observation's scenario covers {code}")
        else:
            comment = _comment(comment, False, "judgement")
        db.session.add(
            CriterionJudgement(
                contact_id=contact.id,
                criterion_id=criterion_id,
                met=status == "met",
                status=status,
                comment=comment,
                assessor_id=assessor.id,
            )
        )


def _check_outcome(contact: Contact, outcome: str) -> None:
    """A practice contact is formative (feedback, never evidence of competence); an observed assessment
    is judged competent or not yet competent."""
    if outcome not in OUTCOMES:
        raise ServiceError("Choose competent or not yet competent.")
    if contact.mode == "practice" and outcome not in PRACTICE_OUTCOMES:
        raise ServiceError(
            f"This is a practice contact: it cannot be signed off as {OUTCOMES[outcome].lower()}. Practice is "
            f"formative: sign it off as \u201c{OUTCOMES['formative']}\u201d; competence is judged on an observed "
            "assessment, which a trainer assigns."
        )
    if contact.mode != "practice" and outcome not in ASSESSMENT_OUTCOMES:
        raise ServiceError("This is an observed assessment: judge it competent or not yet competent.")


def sign_off(contact: Contact, assessor: User, outcome: str, feedback: str, override_reason: str = "") -> Assessment:
    """The assessor's overall judgement and signature on a closed contact: the next signed version.

    Refused, with nothing changed, while any finding is undecided or any criterion has no status, or for
    "competent" despite an unmet criterion or a confirmed high-severity finding without ``override_reason``.
    The checks run holding the contact's lock, on the review as it stands then."""
    if outcome not in OUTCOMES:
        raise ServiceError("Choose competent or not yet competent.")
    feedback = check_text(feedback, "feedback for the learner", MAX_COMMENT)
    with contact_operation(contact, taking=True) as op:  # checks the contact's state itself
        locked = op.contact
        if locked.status != "closed":
            raise Conflict("Sign off after the learner has closed the contact.")
        versions = assessment_versions(locked.id)
        signed = standing(versions)
        if signed is not None:
            raise Conflict(
                f"This contact is already signed off (version {signed.version}, by {signed.assessor.display_name}). "
                "Reopen it, with a reason, to change the judgement."
            )
        _check_outcome(locked, outcome)
        review = contact_review(locked)
        missing = review.missing
        if missing:
            raise ServiceError(
                f"Not signed off: {len(missing)} thing{'s are' if len(missing) > 1 else ' is'} still to decide. "
                + " ".join(missing)
            )
        reason = None
        despite = review.competent_despite if outcome == "competent" else []
        if despite:
            reason = (override_reason or "").strip()
            if not reason:
                raise ServiceError(
                    f"Competent while {' and '.join(despite)} needs a reason: say why the learner is competent "
                    "despite it (the reason is shown on the record)."
                )
            if len(reason) > MAX_COMMENT:
                raise ServiceError(f"Keep the reason under {MAX_COMMENT:,} characters.")
        version = max((v.version for v in versions), default=0) + 1
        assessment = Assessment(
            contact_id=locked.id,
            version=version,
            assessor_id=assessor.id,
            outcome=outcome,
            feedback=feedback,
            override_reason=reason,
            snapshot={**review.snapshot(), **countersign_flag(assessor)},
        )
        db.session.add(assessment)
        op.append(
            ASSESSMENT_SIGNED,
            {"version": version, "outcome": outcome, "by": assessor.username},
            actor="assessor",
            user=assessor,
        )
        op.refresh_findings()
        ledger.checkpoint_at_commit(f"contact {contact.id} signed off")
    return assessment


def reopen(contact: Contact, assessor: User, reason: str, confirmed: bool, version: int | None = None) -> Assessment:
    """Void the signed version that stands (kept, readable, with its release and acknowledgement) so the
    review can change; a new sign-off makes the next version. ``version``: the one the assessor saw."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give a reason for reopening: it is kept with the voided version, as evidence.")
    if len(reason) > MAX_COMMENT:
        raise ServiceError(f"Keep the reason under {MAX_COMMENT:,} characters.")
    if not confirmed:
        raise ServiceError(
            "Tick the box to confirm: reopening voids the signed version and the learner's acknowledgement of it."
        )
    with contact_operation(contact, taking=True) as op:
        signed = standing(assessment_versions(op.contact.id))
        if signed is None:
            raise Conflict("This review is not signed off: there is nothing to reopen.")
        if version is not None and signed.version != version:
            raise Conflict(
                f"Version {version} is no longer the signed version (version {signed.version} is): reload the "
                "page and read it before reopening."
            )
        signed.voided_at, signed.voided_by, signed.void_reason = utcnow(), assessor.id, reason
        op.append(
            ASSESSMENT_REOPENED,
            {"version": signed.version, "reason": reason, "by": assessor.username},
            actor="assessor",
            user=assessor,
        )
        op.refresh_findings()
        ledger.checkpoint_at_commit(f"contact {contact.id} reopened")
    return signed


def release(contact: Contact, assessor: User) -> None:
    """Let the learner see their report (the signed version that stands)."""
    with write_transaction():
        lock_contact(contact.id)
        assessment = assessment_of(contact)
        if assessment is None:
            raise Conflict("Sign the contact off before releasing the report.")
        if provisional(assessment):
            raise Conflict(
                f"Version {assessment.version} was signed by a trainee assessor and is provisional: a qualified "
                "assessor must countersign it before the report is released."
            )
        if assessment.released_at is None:
            assessment.released_at = utcnow()


def acknowledge(contact: Contact, learner: User, comment: str, version: int | None = None) -> None:
    """The learner's comment and signature on their released report (once per version). ``version``: the
    version the learner read; a version the assessor has since voided is refused, nothing signed."""
    with write_transaction():
        lock_contact(contact.id)
        versions = assessment_versions(contact.id)
        read = next((v for v in versions if v.version == version), None) if version is not None else None
        if read is not None and read.voided_at is not None:
            raise Conflict(
                f"Version {read.version} of this report was withdrawn at {when(read.voided_at)} UTC: your assessor "
                f"reopened the review (\u201c{read.void_reason}\u201d). Nothing was signed. You can sign the new "
                "version once your assessor releases it."
            )
        assessment = standing(versions)
        if assessment is None or assessment.released_at is None:
            raise NotFound("This report has not been released to you yet.")
        if version is not None and assessment.version != version:
            raise Conflict("This report has changed since you opened it: read it again before signing.")
        comment = check_text(comment, "comment", MAX_COMMENT)
        if assessment.acknowledged_at is not None:
            raise Conflict("You have already signed this report.")
        assessment.learner_comment, assessment.acknowledged_at = comment, utcnow()
        ledger.checkpoint_at_commit(f"contact {contact.id} acknowledged")
