"""The IQA's view of a cohort: every signed-off review (its standing version) as a sampling candidate,
and the risk-based plan the centre's policy gives (``quality/sampling.py``, ``seed/sampling.yaml``)."""

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select

from crm_sandbox.content.criteria import load_criteria
from crm_sandbox.content.sampling import load_sampling_policy
from crm_sandbox.extensions import db
from crm_sandbox.models import Assessment, Cohort, Contact, Countersignature, Finding, IqaVerdict, User
from crm_sandbox.quality.sampling import Candidate, Plan, Policy, sampling_plan


def assessor_risk(assessor: User, policy: Policy, today: date) -> str:
    """trainee; new (qualified less than the policy's months ago); or established."""
    if assessor.trainee:
        return "trainee"
    qualified = assessor.qualified_on
    if qualified is not None and (today.year - qualified.year) * 12 + today.month - qualified.month < policy.new_months:
        return "new"
    return "established"


@dataclass
class SampleRow:
    """A signed-off review as the plan lists it."""

    contact: Contact
    assessment: Assessment
    candidate: Candidate
    reasons: list[str]
    excluded: str = ""  # why the IQA may not sample it (their own decision or countersignature)


def signed_reviews(cohort: Cohort) -> list[tuple[Contact, Assessment]]:
    """Every contact of the cohort with a standing signed version (practice included)."""
    query = (
        select(Contact, Assessment)
        .join(Assessment, Assessment.contact_id == Contact.id)
        .where(Contact.cohort_id == cohort.id, Assessment.voided_at.is_(None))
        .order_by(Contact.id)
    )
    return [(c, a) for c, a in db.session.execute(query).all()]


def _dismissed_high(assessment: Assessment) -> bool:
    """The signed version dismissed a high-severity finding (as its snapshot records)."""
    decided = (assessment.snapshot or {}).get("findings") or {}
    dismissed = [key for key, decision in decided.items() if decision == "dismissed"]
    if not dismissed:
        return False
    query = select(Finding.id).where(
        Finding.contact_id == assessment.contact_id, Finding.key.in_(dismissed), Finding.severity == "high"
    )
    return db.session.execute(query).first() is not None


def _units(assessment: Assessment) -> frozenset[str]:
    """The units the signed version judged (criteria met or not yet met, not "not covered")."""
    units = {c.id: c.source.unit for c in load_criteria(current_app.config["SEED_DIR"])}
    statuses = (assessment.snapshot or {}).get("criteria") or {}
    return frozenset(units[c] for c, s in statuses.items() if s in ("met", "not_met") and c in units)


def cohort_plan(cohort: Cohort, iqa: User | None) -> tuple[Plan, list[SampleRow]]:
    """The plan for ``iqa`` on ``cohort`` and every signed-off review with why it is (or is not) in it
    (``iqa`` None: the plan with no one excluded, as the archive and the EQA read it)."""
    policy = load_sampling_policy(current_app.config["SEED_DIR"])
    today = date.today()
    counter = {c.assessment_id: c.countersigned_by for c in db.session.execute(select(Countersignature)).scalars()}
    sampled = {v.assessment_id for v in db.session.execute(select(IqaVerdict)).scalars()}
    rows, candidates = [], []
    for contact, assessment in signed_reviews(cohort):
        if contact.mode == "practice":
            continue  # formative feedback is not an assessment decision
        candidate = Candidate(
            contact_id=contact.id,
            assessor=assessment.assessor.username,
            risk=assessor_risk(assessment.assessor, policy, today),
            scenario=contact.scenario_id,
            units=_units(assessment),
            outcome=assessment.outcome,
            override=assessment.override_reason is not None,
            dismissed_high=_dismissed_high(assessment),
            sampled=assessment.id in sampled,
        )
        excluded = ""
        if iqa is not None and assessment.assessor_id == iqa.id:
            excluded = "your own decision"
        elif iqa is not None and counter.get(assessment.id) == iqa.id:
            excluded = "you countersigned it"
        else:
            candidates.append(candidate)
        rows.append(SampleRow(contact, assessment, candidate, [], excluded))
    plan = sampling_plan(candidates, policy)
    for row in rows:
        row.reasons = plan.reasons.get(row.contact.id, [])
    return plan, rows


def unsampled(cohort: Cohort) -> list[Contact]:
    """The cohort's signed-off assessments no IQA has recorded a verdict on (the reset warning lists them)."""
    sampled = {v.assessment_id for v in db.session.execute(select(IqaVerdict)).scalars()}
    return [c for c, a in signed_reviews(cohort) if c.mode != "practice" and a.id not in sampled]


__all__ = ["SampleRow", "cohort_plan", "unsampled"]
