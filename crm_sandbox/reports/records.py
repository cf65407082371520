"""Plain data for the reports: one wording of each finding and judgement, shared by the PDF, the
printable HTML, the CSV and the JSON files of the evidence pack. Events are worded by the event registry
(``events/registry.py``), as on every screen; the data comes from ``queries/review.py``."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm_sandbox.content.criteria import Qualification
from crm_sandbox.events.registry import body, describe
from crm_sandbox.formatting import contact_ref, iso, label, mode_label
from crm_sandbox.models import Assessment, Contact, CriterionJudgement, Event, Finding, FindingDecision, User
from crm_sandbox.models.review import ASSESSMENT_METHOD, OUTCOMES
from crm_sandbox.queries import kpis as kpi_service
from crm_sandbox.queries.quality.countersign import countersignature_of, needs_countersignature, provisional
from crm_sandbox.queries.review import ContactReview, CriterionRow, all_findings, username

METHOD = ASSESSMENT_METHOD  # the templates read it as r.METHOD


def stamp(value: datetime | None) -> str:
    """ "14 Mar 2026 10:42 UTC" for people."""
    return value.strftime("%d %b %Y %H:%M UTC") if value else ""


def event_text(event: Event) -> str:
    """What happened, for the record's and the PDF's last column: the registry's one line about the
    event, then the words typed in it (message, note, reason…) on the lines below."""
    lines = describe(event)
    typed = body(event)
    return f"{lines}\n{typed}" if typed else lines


def actor_label(event: Event, users: dict[int, User] | None = None) -> str:
    user = (users or {}).get(event.actor_user_id) if event.actor_user_id else None
    return f"{event.actor} ({user.display_name})" if user and event.actor == "assessor" else event.actor


def finding_title(finding: Finding) -> str:
    return label(finding.rule)


def decision_dict(d: FindingDecision) -> dict[str, Any]:
    return {
        "decision": d.decision,
        "assessor": d.assessor.username,
        "assessor_name": d.assessor.display_name,
        "comment": d.comment,
        "at": iso(d.at),
    }


def decision_line(d: FindingDecision | None) -> str:
    """ "Confirmed by Jo Assessor, 14 Mar 2026 10:42 UTC: comment" """
    if d is None:
        return "Undecided"
    line = f"{label(d.decision)} by {d.assessor.display_name}, {stamp(d.at)}"
    return f"{line}: {d.comment}" if d.comment else line


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "id": f.id,
        "key": f.key,
        "rule": f.rule,
        "source": f.source,
        "severity": f.severity,
        "events": list(f.events),
        "evidence": f.evidence,
        "explanation": f.explanation,
        "reference": f.reference,
        "active": f.active,
        "first_seen": iso(f.first_seen),
        "created_by": username(f.created_by),
        "decision": decision_dict(f.decision) if f.decision else None,
        "history": [decision_dict(d) for d in f.decisions],
    }


def findings_document(review: ContactReview) -> dict[str, Any]:
    """``findings.json``: the findings that stand (rules and the assessor's own) with their decisions and
    history, and, separately, rule findings that no longer hold (kept, so no decision is lost)."""
    standing = {f.id for f in review.findings}
    return {
        "format": "crm-sandbox/findings@1",
        "contact": contact_ref(review.contact),
        "findings": [finding_dict(f) for f in review.findings],
        "assessor_findings": [f.key for f in review.findings if f.source == "assessor"],
        "inactive": [finding_dict(f) for f in all_findings(review.contact) if f.id not in standing],
    }


def kpi_dict(k: kpi_service.ContactKpis) -> dict[str, Any]:
    return {
        "handling_seconds": k.handling_seconds,
        "verify_seconds": k.verify_seconds,
        "first_response_seconds": k.first_response_seconds,
        "resolved_first_time": k.resolved_first_time,
        "findings": k.findings,
    }


def kpi_rows(k: kpi_service.ContactKpis) -> list[tuple[str, str]]:
    """The contact's KPIs as (label, value) for people."""
    fcr = {True: "Yes", False: "No", None: "\u2013"}[k.resolved_first_time]
    return [
        ("Handling time", kpi_service.duration(k.handling_seconds)),
        ("Time to verify", kpi_service.duration(k.verify_seconds)),
        ("Time to first response", kpi_service.duration(k.first_response_seconds)),
        ("Resolved first time", fcr),
        ("Findings", str(k.findings)),
    ]


def learner_kpi_rows(k: kpi_service.LearnerKpis) -> list[tuple[str, str]]:
    fcr = "\u2013" if k.first_contact_resolution is None else f"{k.first_contact_resolution:.0%}"
    fpc = "\u2013" if k.findings_per_contact is None else f"{k.findings_per_contact:.1f}"
    return [
        ("Contacts closed", str(k.contacts_closed)),
        ("Average handling time", kpi_service.duration(k.average_handling_seconds)),
        ("Average time to verify", kpi_service.duration(k.average_verify_seconds)),
        ("Average time to first response", kpi_service.duration(k.average_first_response_seconds)),
        ("First-contact resolution", fcr),
        ("Findings per contact", fpc),
    ]


def judgement_label(row: CriterionRow) -> str:
    """How the criterion stands, for people: "Met", "Not yet met", "Not covered by this observation", or
    "Not yet judged" (``CriterionRow.status``: the newest judgement, else the scenario's default)."""
    return row.status_label


def judgement_dict(j: CriterionJudgement) -> dict[str, Any]:
    return {
        "status": j.status,
        "met": j.met,
        "comment": j.comment,
        "assessor": j.assessor.username,
        "at": iso(j.at),
    }


def outcome_label(assessment: Assessment | None) -> str:
    if assessment is None:
        return "Not yet assessed"
    label = OUTCOMES.get(assessment.outcome, assessment.outcome)
    return f"{label} (provisional: awaiting countersignature)" if provisional(assessment) else label


def countersign_line(a: Assessment) -> str | None:
    """The countersignature of a trainee's version, or that it is awaited; None for a qualified assessor's."""
    if not needs_countersignature(a):
        return None
    counter = countersignature_of(a)
    if counter is None:
        return "awaiting: signed by a trainee assessor, provisional until a qualified assessor countersigns"
    return (
        f"Version {counter.version}, countersigned by {counter.signer.display_name} ({counter.signer.username}), "
        f"{stamp(counter.at)}"
    )


def signed_line(a: Assessment) -> str:
    """ "Version 2, signed by Jo Assessor (assessor1), 14 Mar 2026 10:42 UTC" """
    return f"Version {a.version}, signed by {a.assessor.display_name} ({a.assessor.username}), {stamp(a.signed_at)}"


def superseded_line(a: Assessment) -> str:
    """One voided version, for people: what it said, who signed and who reopened it, when and why."""
    who = a.voider.display_name if a.voider else "an assessor"
    line = (
        f"Version {a.version} (superseded): {outcome_label(a)}, signed by {a.assessor.display_name}, "
        f"{stamp(a.signed_at)}; reopened by {who}, {stamp(a.voided_at)}: {(a.void_reason or '').rstrip('.;')}"
    )
    if a.acknowledged_at:
        line += f"; the learner's signature of {stamp(a.acknowledged_at)} is void"
    return line


def counts_as_competence(review: ContactReview) -> bool:
    """Whether the contact is evidence of competence: a signed "competent" on an observed assessment."""
    a = review.assessment
    return a is not None and a.outcome == "competent" and review.contact.mode != "practice"


def competence_count(reviews: list[ContactReview]) -> int:
    """How many contacts are evidence of competence (a practice contact never is)."""
    return sum(1 for rv in reviews if counts_as_competence(rv))


def criteria_summary(review: ContactReview) -> str:
    """ "3 met, 1 not yet met, 6 not covered" (and how many are not yet judged), for the learner record."""
    statuses = [row.status for row in review.criteria]
    parts = [
        f"{statuses.count(key)} {words}"
        for key, words in (
            ("met", "met"),
            ("not_met", "not yet met"),
            ("not_covered", "not covered"),
            (None, "not judged"),
        )
        if statuses.count(key)
    ]
    return ", ".join(parts) or "\u2013"


def mode_line(contact: Contact) -> str:
    """The record's mode line: "Observed assessment", or "Practice (formative): feedback only, not
    evidence of competence" (shown after "Mode: " on every observation record, HTML and PDF)."""
    if contact.mode == "assessment":
        return mode_label(contact.mode)
    return f"{mode_label(contact.mode)}: feedback only, not evidence of competence"


COMPARE_MODE_NOTE = (
    "ID&V panel in compare mode: the learner was shown the answers on file (date of birth, full postcode, "
    "account number's last four, the memorable word's characters asked for) before the caller passed ID&V. "
    "The verification on this contact does not show the learner could verify a caller unaided."
)


def compare_mode_note(contact: Contact) -> str | None:
    """What a review or report says when the contact ran with the policy's ``panel_mode: compare`` (the
    policy copied when it was opened), else None. See docs/security.md."""
    policy = contact.policy or {}
    return COMPARE_MODE_NOTE if policy.get("panel_mode") == "compare" else None


def listed_outcome(review: ContactReview) -> str:
    """The outcome as a listing of contacts shows it: a practice contact's is marked formative (it is
    feedback, never evidence of competence), e.g. "Not yet competent (formative)"."""
    text = outcome_label(review.assessment)
    formative = review.assessment and review.contact.mode != "assessment" and review.assessment.outcome != "formative"
    return f"{text} (formative)" if formative else text


@dataclass(frozen=True)
class CompetenceSummary:
    """A learner's signed-off contacts, counted as evidence: only observed assessments count toward
    competence; signed-off practice contacts are formative feedback, counted apart."""

    assessments_signed: int
    competent: int
    not_yet_competent: int
    practice_reviewed: int


def competence_summary(reviews: list[ContactReview]) -> CompetenceSummary:
    signed = [rv for rv in reviews if rv.assessment]
    assessed = [rv.assessment for rv in signed if rv.assessment and rv.contact.mode == "assessment"]
    return CompetenceSummary(
        assessments_signed=len(assessed),
        competent=sum(1 for a in assessed if a.outcome == "competent"),
        not_yet_competent=sum(1 for a in assessed if a.outcome == "not_yet_competent"),
        practice_reviewed=len(signed) - len(assessed),
    )


def left_out_note(n: int) -> str:
    """Why a learner's record is incomplete for its reader (the page and the PDF say the same)."""
    return (
        f"{n} contact(s) left out: you are marking them blind in a standardisation exercise. This record, its "
        "figures and its KPIs cover the other contacts only; the whole record opens once you submit your marks."
    )


def summary_rows(reviews: list[ContactReview]) -> list[tuple[str, str]]:
    """The competence lines of a learner's record (HTML and PDF): only observed assessments count."""
    c = competence_summary(reviews)
    return [
        ("Competent", f"{c.competent} (observed assessments only)"),
        ("Not yet competent", f"{c.not_yet_competent} (observed assessments only)"),
        ("Practice reviewed", f"{c.practice_reviewed} (formative feedback, not evidence of competence)"),
    ]


def assessment_dict(a: Assessment | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {
        "version": a.version,
        "outcome": a.outcome,
        "outcome_label": outcome_label(a),
        "feedback": a.feedback,
        "override_reason": a.override_reason,
        "assessor": a.assessor.username,
        "assessor_name": a.assessor.display_name,
        "signed_at": iso(a.signed_at),
        "released_at": iso(a.released_at),
        "learner_comment": a.learner_comment,
        "acknowledged_at": iso(a.acknowledged_at),
        "voided": a.voided_at is not None,
        "voided_at": iso(a.voided_at),
        "voided_by": a.voider.username if a.voider else None,
        "void_reason": a.void_reason,
        "signed": a.snapshot,
    }


def review_document(review: ContactReview) -> dict[str, Any]:
    """``review.json``: criteria with their linked events, findings against and judgement history; the
    signed assessment and the learner's acknowledgement; the KPIs; the spelling evidence."""
    return {
        "format": "crm-sandbox/review@1",
        "contact": contact_ref(review.contact),
        "mode": review.contact.mode,  # practice | assessment: only an assessment is evidence of competence
        "mode_label": mode_label(review.contact.mode),
        "method": ASSESSMENT_METHOD,
        "qualification": qualification_dict(review.qualification),
        "criteria": [
            {
                "id": r.criterion.id,
                "code": r.criterion.code,  # the sandbox's own
                "title": r.criterion.title,
                "units": list(r.criterion.units),
                "unit_ref": r.criterion.unit_ref,
                "criterion_number": r.criterion.criterion_number,
                "source": {
                    "file": r.criterion.source.file,
                    "qualifications": list(r.criterion.source.qualifications),
                    "unit": r.criterion.source.unit,
                    "kind": r.criterion.source.kind,
                    "text": r.criterion.source.text,
                },
                "area": r.criterion.area,
                "covered": r.covered,
                "registered": r.registered,
                "linked_events": [e.seq for e in r.events],
                "findings_against": [f.key for f in r.against],
                "status": r.status,
                "judgement": judgement_dict(r.judgement) if r.judgement else None,
                "history": [judgement_dict(j) for j in r.history],
            }
            for r in review.criteria
        ],
        "assessment": assessment_dict(review.assessment),
        "versions": [assessment_dict(v) for v in review.versions],
        "kpis": kpi_dict(review.kpis),
        "spelling": {str(seq): words for seq, words in sorted(review.spelling.items())},
    }


def units(review: ContactReview) -> list[str]:
    """The units of the criteria on the review, in order (each as its seed file names it)."""
    return [group.unit for group in review.units]


def qualification_dict(q: Qualification | None) -> dict[str, Any] | None:
    if q is None:
        return None
    return {
        "id": q.id,
        "title": q.title,
        "awarding_body": q.awarding_body,
        "qualification_number": q.qualification_number,
        "units": [{"title": u.title, "unit_ref": u.unit_ref, "seed": u.seed} for u in q.units],
    }


def qualification_label(review: ContactReview) -> str:
    q = review.qualification
    return f"{q.title} ({q.awarding_body})" if q else "not recorded"


def level3_lines(view: Any) -> list[str]:
    """A Level 3 task's evidence in plain lines (the PDF's wording; the HTML record's is reports/_level3.html)."""
    lines = []
    card = view.card
    for item in view.items:
        if item.mine is None:
            continue
        fails = (
            f" (auto-fail: {'; '.join(card.name(a) for a in sorted(item.mine.auto_fails))})"
            if item.mine.auto_fails
            else ""
        )
        lines.append(
            f"{item.label} \u00b7 {item.agent}: scored {item.mine.score}%{fails}. Coaching feedback: {item.mine.feedback}"
        )
        for name, other in (("rules' findings", item.rules_scoring), ("trainer's reference scoring", item.reference)):
            cmp = item.versus(other, card)
            if cmp is not None:
                missed = "; ".join(card.name(m) for m in cmp.missed) or "none"
                lines.append(f"Against the {name}: found {len(cmp.found)}, missed: {missed}.")
    if view.analysis:
        a = view.analysis
        lines.append(
            f"Analysis: {label(a['measure'])}{' (' + a['agent'] + ')' if a['agent'] else ''}. Cause: {a['cause']} Action: {a['action']}"
        )
    for g in view.groups:
        lines.append(f"Root cause: {g['cause']} ({', '.join(g['complaints'])}). Preventive action: {g['action']}")
    for e in view.entries:
        d = e.data
        lines.append(
            f"Question: {d['question']} Answer (summary): {d['answer']} Judgement: {label(d['judgement'])} ({', '.join(d['criteria'])})."
        )
    if view.signed is not None:
        d = view.signed.data
        criteria = "; ".join(f"{c.code} {label(d['criteria'].get(c.id, ''))}" for c in view.criteria)
        lines.append(
            f"Signed off by {d['by']} {stamp(view.signed.at)}: {label(d['outcome'])}. {d['feedback']} Criteria: {criteria}."
        )
    return lines
