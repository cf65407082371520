"""A cohort's findings and decisions as CSV, one row per finding (undecided ones too).

Cells that a spreadsheet would read as a formula are neutralised with a leading single quote
(OWASP: CSV injection), since learners' and customers' words end up in the evidence column.
"""
import csv
import io

from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.formatting import neutralise
from crm_sandbox.models import Cohort, Contact, User
from crm_sandbox.reports import records as r
from crm_sandbox.operations.review import review_findings

COLUMNS = ("learner", "learner_name", "contact", "scenario", "rule", "source", "severity", "events", "evidence",
           "explanation", "reference", "decision", "decided_by", "decided_at", "comment", "earlier_decisions")
def cohort_contacts(cohort: Cohort) -> list[Contact]:
    return list(db.session.execute(select(Contact).join(User, Contact.learner_id == User.id).where(
        Contact.cohort_id == cohort.id, Contact.opened_at.is_not(None))
        .order_by(User.username, Contact.position, Contact.id)).scalars())


def finding_rows(cohort: Cohort):
    for contact in cohort_contacts(cohort):
        for f in review_findings(contact.id):
            d = f.decision
            yield {
                "learner": contact.learner.username, "learner_name": contact.learner.display_name,
                "contact": r.contact_ref(contact), "scenario": contact.title, "rule": f.rule, "source": f.source,
                "severity": f.severity, "events": " ".join(map(str, f.events)), "evidence": f.evidence,
                "explanation": f.explanation, "reference": f.reference,
                "decision": d.decision if d else "undecided",
                "decided_by": d.assessor.username if d else "", "decided_at": r.iso(d.at) if d else "",
                "comment": d.comment if d else "",
                "earlier_decisions": " | ".join(r.decision_line(old) for old in f.decisions[:-1]),
            }


def cohort_findings_csv(cohort: Cohort) -> str:
    """Every standing finding of the cohort's opened contacts with its decision, as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in finding_rows(cohort):
        writer.writerow([neutralise(row[c]) for c in COLUMNS])
    return out.getvalue()
