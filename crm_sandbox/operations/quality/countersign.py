"""Countersigning a trainee assessor's sign-off (the qualified assessor's signature on that version)."""

from sqlalchemy import select

from crm_sandbox import ledger
from crm_sandbox.errors import Conflict, NotAllowed, ServiceError
from crm_sandbox.events.registry import ASSESSMENT_COUNTERSIGNED
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Countersignature, IqaVerdict, User
from crm_sandbox.operations.contact_operation import contact_operation
from crm_sandbox.queries.quality.countersign import countersignature_of, needs_countersignature
from crm_sandbox.queries.review import assessment_versions, standing

MAX_COMMENT = 2000


def countersign(contact: Contact, signer: User, comment: str = "", version: int | None = None) -> Countersignature:
    """Countersign the version that stands. Refused: a trainee (their own work included), the version's
    own assessor, a version that is not a trainee's, one already countersigned, or a stale ``version``."""
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ServiceError(f"Keep the comment under {MAX_COMMENT:,} characters.")
    if signer.role not in ("assessor", "iqa") or signer.trainee:
        raise NotAllowed("Only a qualified assessor can countersign: a trainee's decisions are countersigned by one.")
    with contact_operation(contact, allow_closed=True) as op:
        signed = standing(assessment_versions(op.contact.id))
        if signed is None:
            raise Conflict("This review is not signed off: there is nothing to countersign.")
        if version is not None and signed.version != version:
            raise Conflict(f"Version {version} is no longer the signed version: reload the page and read it again.")
        if signed.assessor_id == signer.id:
            raise NotAllowed("You cannot countersign your own decision.")
        if not needs_countersignature(signed):
            raise Conflict("This decision was signed by a qualified assessor: it needs no countersignature.")
        if countersignature_of(signed) is not None:
            raise Conflict(f"Version {signed.version} is already countersigned.")
        sampled = select(IqaVerdict.id).where(IqaVerdict.assessment_id == signed.id, IqaVerdict.iqa_id == signer.id)
        if db.session.execute(sampled).first() is not None:
            raise NotAllowed("You sampled this decision as its IQA: another qualified assessor must countersign it.")
        row = Countersignature(
            contact_id=op.contact.id,
            assessment_id=signed.id,
            version=signed.version,
            countersigned_by=signer.id,
            comment=comment,
        )
        db.session.add(row)
        op.append(
            ASSESSMENT_COUNTERSIGNED, {"version": signed.version, "by": signer.username}, actor="assessor", user=signer
        )
        op.refresh_findings()
        ledger.checkpoint_at_commit(f"contact {contact.id} countersigned")
    return row
