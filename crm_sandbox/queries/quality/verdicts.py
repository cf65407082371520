"""IQA verdicts as the IQA, the assessor and the report read them."""

from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.models import Assessment, IqaVerdict, User


def verdicts_on(contact_id: int) -> list[IqaVerdict]:
    """Every verdict on the contact's versions, oldest first (void ones included)."""
    query = select(IqaVerdict).where(IqaVerdict.contact_id == contact_id).order_by(IqaVerdict.id)
    return list(db.session.execute(query).scalars())


def void(verdict: IqaVerdict) -> bool:
    """A verdict on a version that was reopened since."""
    return verdict.assessment.voided_at is not None


def verdicts_for_assessor(assessor: User) -> list[IqaVerdict]:
    """The verdicts on the assessor's own decisions, newest first: what they see and answer."""
    query = (
        select(IqaVerdict)
        .join(Assessment, Assessment.id == IqaVerdict.assessment_id)
        .where(Assessment.assessor_id == assessor.id)
        .order_by(IqaVerdict.id.desc())
    )
    return list(db.session.execute(query).scalars())
