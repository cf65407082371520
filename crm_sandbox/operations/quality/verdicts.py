"""The IQA's verdict on a sampled review, and the assessor's answer. A verdict belongs to the signed
version that stood when it was recorded; reopening the review voids it (kept, shown as void)."""

from datetime import date

from crm_sandbox import ledger
from crm_sandbox.errors import Conflict, NotAllowed, NotFound, ServiceError
from crm_sandbox.events.registry import IQA_ANSWERED, IQA_VERDICT
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, IqaVerdict, User, utcnow
from crm_sandbox.models.quality import VERDICTS
from crm_sandbox.operations.contact_operation import contact_operation
from crm_sandbox.queries.quality.countersign import countersignature_of
from crm_sandbox.queries.quality.verdicts import verdicts_on
from crm_sandbox.queries.review import assessment_versions, standing

MAX_TEXT = 2000


def _text(value: str | None, what: str, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(f"Write the {what}.")
    if len(value) > MAX_TEXT:
        raise ServiceError(f"Keep the {what} under {MAX_TEXT:,} characters.")
    return value


def parse_deadline(value: str | None) -> date | None:
    """A deadline as the date field sends it (YYYY-MM-DD); ServiceError for anything else."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ServiceError("Give the deadline as a date (for example 2026-12-31).") from None


def record_verdict(
    contact: Contact,
    iqa: User,
    verdict: str,
    comment: str,
    action: str = "",
    deadline: date | None = None,
    version: int | None = None,
) -> IqaVerdict:
    """The IQA samples the version that stands: agree, or disagree with the action required and a deadline.
    Refused for a decision the IQA made or countersigned, and for a second verdict on the same version."""
    if iqa.role != "iqa":
        raise NotAllowed("Only an internal quality assurer records verdicts.")
    if verdict not in VERDICTS:
        raise ServiceError("Choose agree or disagree.")
    comment = _text(comment, "comment", verdict == "disagree")
    action = _text(action, "action required", verdict == "disagree") if verdict == "disagree" else ""
    if verdict == "disagree":
        if deadline is None:
            raise ServiceError("Give a deadline for the action.")
        if deadline < utcnow().date():
            raise ServiceError("The deadline has passed already: give a date from today on.")
    with contact_operation(contact, allow_closed=True) as op:
        signed = standing(assessment_versions(op.contact.id))
        if signed is None:
            raise Conflict("This review is not signed off (or was reopened): there is no decision to sample.")
        if version is not None and signed.version != version:
            raise Conflict(f"Version {version} is no longer the signed version: reload the page and read it again.")
        counter = countersignature_of(signed)
        if signed.assessor_id == iqa.id or (counter is not None and counter.countersigned_by == iqa.id):
            raise NotAllowed("You made or countersigned this decision: another IQA must sample it.")
        if any(v.assessment_id == signed.id and v.iqa_id == iqa.id for v in verdicts_on(op.contact.id)):
            raise Conflict(f"You have already recorded a verdict on version {signed.version}.")
        row = IqaVerdict(
            contact_id=op.contact.id,
            assessment_id=signed.id,
            version=signed.version,
            iqa_id=iqa.id,
            verdict=verdict,
            comment=comment,
            action=action or None,
            deadline=deadline if verdict == "disagree" else None,
        )
        db.session.add(row)
        data = {"version": signed.version, "verdict": verdict, "by": iqa.username}
        op.append(IQA_VERDICT, data, actor="iqa", user=iqa)
        op.refresh_findings()
        ledger.checkpoint_at_commit(f"contact {contact.id} sampled by the IQA")
    return row


def answer_verdict(verdict_id: int, assessor: User, answer: str) -> IqaVerdict:
    """The assessor whose decision was sampled answers the verdict (once). A void verdict (the review was
    reopened since) cannot be answered."""
    answer = _text(answer, "answer", True)
    found = db.session.get(IqaVerdict, verdict_id)
    if found is None:
        raise NotFound("There is no such verdict.")
    if found.assessment.assessor_id != assessor.id:
        raise NotAllowed("Only the assessor whose decision was sampled answers the verdict.")
    contact = db.session.get(Contact, found.contact_id)
    if contact is None:
        raise NotFound("There is no such contact.")
    with contact_operation(contact, allow_closed=True) as op:
        row = db.session.get(IqaVerdict, verdict_id)
        if row is None:
            raise NotFound("There is no such verdict.")
        if row.assessment.voided_at is not None:
            raise Conflict(
                f"This verdict is void: version {row.version} was reopened since. The new version can be sampled again."
            )
        if row.answered_at is not None:
            raise Conflict("You have already answered this verdict.")
        row.answer, row.answered_by, row.answered_at = answer, assessor.id, utcnow()
        op.append(IQA_ANSWERED, {"version": row.version, "by": assessor.username}, actor="assessor", user=assessor)
        op.refresh_findings()
        ledger.checkpoint_at_commit(f"contact {op.contact.id}: IQA verdict answered")
    return row
