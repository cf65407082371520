"""Plain data for the reports: one wording of each event, finding and judgement, shared by the PDF,
the printable HTML, the CSV and the JSON files of the evidence pack."""
from datetime import datetime

from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.formatting import contact_ref, escalation_reference, iso, label, money, results_count
from crm_sandbox.models import Contact, Finding, User
from crm_sandbox.models.review import OUTCOMES
from crm_sandbox.queries import kpis as kpi_service
from crm_sandbox.operations.review import ContactReview

EVENT_LABELS = {
    "contact.opened": "Contact opened",
    "contact.closed": "Contact closed",
    "customer.searched": "Searched customers",
    "customer.viewed": "Opened customer record",
    "idv.answer": "ID&V answer checked",
    "idv.result": "ID&V result",
    "message.sent": "Message sent",
    "message.received": "Message received",
    "note.added": "Note added",
    "note.amended": "Note amended",
    "record.updated": "Record updated",
    "refund.issued": "Refund issued",
    "complaint.raised": "Complaint raised",
    "escalated": "Escalated",
    "kb.viewed": "Knowledge base read",
    "observation.added": "Assessor's observation",
}
JUDGEMENT_LABELS = {True: "Met", False: "Not yet met", None: "Not judged"}


def stamp(value: datetime | None) -> str:
    """ "14 Mar 2026 10:42 UTC" for people."""
    return value.strftime("%d %b %Y %H:%M UTC") if value else ""


def event_label(event) -> str:
    return EVENT_LABELS.get(event.type, event.type)


def event_text(event) -> str:
    """What happened, in a line: the words said or written, the query, the answer…"""
    d = event.data or {}
    t = event.type
    if t in ("message.sent", "message.received", "note.added", "observation.added"):
        text = d.get("text", "")
        return f"Subject: {d['subject']}\n{text}" if d.get("subject") else text
    if t == "note.amended":
        return f"Amends note #{d.get('note_seq')}: {d.get('text', '')} (reason: {d.get('reason', '')})"
    if t == "customer.searched":
        return f"Query: {d.get('query', '')}" + results_count(d)
    if t == "customer.viewed":
        state = "verified, full record" if d.get("verified") else "not verified, masked"
        return f"{d.get('customer_ref', d.get('customer_id', ''))} ({state})"
    if t == "idv.answer":
        factor = str(d.get("factor", "")).replace("_", " ")
        return f"{factor}: \u201c{d.get('given', '')}\u201d \u2013 {'match' if d.get('match') else 'no match'}"
    if t == "idv.result":
        return "Passed" if d.get("passed") else f"Failed ({d.get('reason', 'not verified')})"
    if t == "record.updated":
        return f"{str(d.get('field', '')).replace('_', ' ')} \u2192 {d.get('value', '')}"
    if t == "refund.issued":
        reason = f" ({d['reason']})" if d.get("reason") else ""
        return f"{money(d.get('amount', ''))}{reason}"
    if t == "complaint.raised":
        return d.get("summary", "")
    if t == "escalated":
        return f"{escalation_reference(event.contact_id, event.seq)}: {d.get('reason', '')}"
    if t == "kb.viewed":
        return d.get("title") or d.get("article", "")
    if t == "contact.closed":
        return f"Outcome: {str(d.get('outcome', '')).replace('_', ' ')}; " \
               f"{'resolved' if d.get('resolved') else 'not resolved'} first time"
    return ""


def actor_label(event, users: dict[int, User] | None = None) -> str:
    user = (users or {}).get(event.actor_user_id)
    return f"{event.actor} ({user.display_name})" if user and event.actor == "assessor" else event.actor


def finding_title(finding: Finding) -> str:
    return label(finding.rule)


def decision_dict(d) -> dict:
    return {"decision": d.decision, "assessor": d.assessor.username, "assessor_name": d.assessor.display_name,
            "comment": d.comment, "at": iso(d.at)}


def decision_line(d) -> str:
    """ "Confirmed by Jo Assessor, 14 Mar 2026 10:42 UTC: comment" """
    if d is None:
        return "Undecided"
    line = f"{label(d.decision)} by {d.assessor.display_name}, {stamp(d.at)}"
    return f"{line}: {d.comment}" if d.comment else line


def finding_dict(f: Finding) -> dict:
    return {"id": f.id, "key": f.key, "rule": f.rule, "source": f.source, "severity": f.severity,
            "events": list(f.events), "evidence": f.evidence, "explanation": f.explanation,
            "reference": f.reference, "active": f.active, "first_seen": iso(f.first_seen),
            "created_by": db.session.get(User, f.created_by).username if f.created_by else None,
            "decision": decision_dict(f.decision) if f.decision else None,
            "history": [decision_dict(d) for d in f.decisions]}


def all_findings(contact: Contact) -> list[Finding]:
    """Every finding ever stored on the contact, including rule findings that no longer hold."""
    return list(db.session.execute(select(Finding).where(Finding.contact_id == contact.id)
                                   .order_by(Finding.id)).scalars())


def findings_document(review: ContactReview) -> dict:
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


def kpi_dict(k) -> dict:
    return {"handling_seconds": k.handling_seconds, "verify_seconds": k.verify_seconds,
            "first_response_seconds": k.first_response_seconds, "resolved_first_time": k.resolved_first_time,
            "findings": k.findings}


def kpi_rows(k) -> list[tuple[str, str]]:
    """The contact's KPIs as (label, value) for people."""
    fcr = {True: "Yes", False: "No", None: "\u2013"}[k.resolved_first_time]
    return [("Handling time", kpi_service.duration(k.handling_seconds)),
            ("Time to verify", kpi_service.duration(k.verify_seconds)),
            ("Time to first response", kpi_service.duration(k.first_response_seconds)),
            ("Resolved first time", fcr),
            ("Findings", str(k.findings))]


def learner_kpi_rows(k) -> list[tuple[str, str]]:
    fcr = "\u2013" if k.first_contact_resolution is None else f"{k.first_contact_resolution:.0%}"
    fpc = "\u2013" if k.findings_per_contact is None else f"{k.findings_per_contact:.1f}"
    return [("Contacts closed", str(k.contacts_closed)),
            ("Average handling time", kpi_service.duration(k.average_handling_seconds)),
            ("Average time to verify", kpi_service.duration(k.average_verify_seconds)),
            ("Average time to first response", kpi_service.duration(k.average_first_response_seconds)),
            ("First-contact resolution", fcr),
            ("Findings per contact", fpc)]


def judgement_label(row) -> str:
    return JUDGEMENT_LABELS[row.judgement.met if row.judgement else None]


def judgement_dict(j) -> dict:
    return {"met": j.met, "comment": j.comment, "assessor": j.assessor.username, "at": iso(j.at)}


def outcome_label(assessment) -> str:
    return OUTCOMES.get(assessment.outcome, assessment.outcome) if assessment else "Not yet assessed"


def assessment_dict(a) -> dict | None:
    if a is None:
        return None
    return {"outcome": a.outcome, "outcome_label": outcome_label(a), "feedback": a.feedback,
            "assessor": a.assessor.username, "assessor_name": a.assessor.display_name,
            "signed_at": iso(a.signed_at), "released_at": iso(a.released_at),
            "learner_comment": a.learner_comment, "acknowledged_at": iso(a.acknowledged_at)}


def review_document(review: ContactReview) -> dict:
    """``review.json``: criteria with their linked events, findings against and judgement history; the
    signed assessment and the learner's acknowledgement; the KPIs; the spelling evidence."""
    return {
        "format": "crm-sandbox/review@1",
        "contact": contact_ref(review.contact),
        "criteria": [{
            "id": r.criterion.id, "code": r.criterion.code, "title": r.criterion.title,
            "units": list(r.criterion.units),
            "linked_events": [e.seq for e in r.events],
            "findings_against": [f.key for f in r.against],
            "judgement": judgement_dict(r.judgement) if r.judgement else None,
            "history": [judgement_dict(j) for j in r.history],
        } for r in review.criteria],
        "assessment": assessment_dict(review.assessment),
        "kpis": kpi_dict(review.kpis),
        "spelling": {str(seq): words for seq, words in sorted(review.spelling.items())},
    }


def event_users(review: ContactReview) -> dict[int, User]:
    ids = {e.actor_user_id for e in review.events if e.actor_user_id}
    return {u.id: u for u in db.session.execute(select(User).where(User.id.in_(ids))).scalars()} if ids else {}


def units(review: ContactReview) -> list[str]:
    seen: list[str] = []
    for r in review.criteria:
        seen += [u for u in r.criterion.units if u not in seen]
    return seen


def opened_contacts(learner: User) -> list[Contact]:
    """The learner's contacts that have been opened (live or closed), in queue order."""
    return list(db.session.execute(select(Contact).where(
        Contact.learner_id == learner.id, Contact.opened_at.is_not(None))
        .order_by(Contact.position, Contact.id)).scalars())


def learner_reviews(learner: User) -> list[ContactReview]:
    from crm_sandbox.operations.review import contact_review

    return [contact_review(c) for c in opened_contacts(learner)]
