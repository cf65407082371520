"""Countersignatures: a trainee assessor's signed version is provisional until a qualified assessor
countersigns it; the countersignature belongs to that version (reopening voids both)."""

from flask import current_app
from sqlalchemy import inspect, select

from crm_sandbox.extensions import db
from crm_sandbox.models import Assessment, Contact, Countersignature, User

REQUIRED = "countersign_required"  # the snapshot key of a version signed by a trainee assessor


def quality_enabled() -> bool:
    """Whether the database has the quality-assurance tables (one not yet upgraded has no trainees)."""
    if current_app.extensions.get("quality_enabled"):
        return True
    found = inspect(db.session.connection()).has_table("account_standing")
    if found:  # only a yes is kept: a database upgraded meanwhile is noticed
        current_app.extensions["quality_enabled"] = True
    return bool(found)


def countersign_flag(assessor: User) -> dict[str, bool]:
    """What a sign-off's snapshot records about its assessor: a trainee's version needs countersigning."""
    return {REQUIRED: True} if quality_enabled() and assessor.trainee else {}


def countersignature_of(assessment: Assessment | None) -> Countersignature | None:
    """The countersignature of this signed version, if any."""
    if assessment is None:
        return None
    return db.session.execute(
        select(Countersignature).where(Countersignature.assessment_id == assessment.id)
    ).scalar_one_or_none()


def needs_countersignature(assessment: Assessment | None) -> bool:
    """Whether this version was signed by a trainee assessor (so it needs countersigning to be final)."""
    return assessment is not None and bool((assessment.snapshot or {}).get(REQUIRED))


def provisional(assessment: Assessment | None) -> bool:
    """A trainee's version not yet countersigned: shown as provisional, not final, and not releasable."""
    return needs_countersignature(assessment) and countersignature_of(assessment) is None


def signatures(assessment: Assessment | None) -> list[tuple[str, str, object]]:
    """(what, who, when) of every signature on this version: the assessor's, and the countersignature."""
    if assessment is None:
        return []
    rows: list[tuple[str, str, object]] = [
        (
            "Signed off by" + (" (trainee assessor)" if needs_countersignature(assessment) else ""),
            assessment.assessor.display_name,
            assessment.signed_at,
        )
    ]
    counter = countersignature_of(assessment)
    if counter is not None:
        rows.append(("Countersigned by", counter.signer.display_name, counter.at))
    return rows


def uncountersigned(contacts: list[Contact]) -> list[Contact]:
    """The contacts whose standing version is a trainee's, not yet countersigned."""
    ids = [c.id for c in contacts]
    if not ids:
        return []
    standing = db.session.execute(
        select(Assessment).where(Assessment.contact_id.in_(ids), Assessment.voided_at.is_(None))
    ).scalars()
    waiting = {a.contact_id for a in standing if provisional(a)}
    return [c for c in contacts if c.id in waiting]
