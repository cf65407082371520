"""A cohort's findings and decisions as CSV, one row per finding (undecided ones too).

Cells that a spreadsheet would read as a formula are neutralised with a leading single quote
(OWASP: CSV injection), since learners' and customers' words end up in the evidence column.
"""

import csv
import io
from collections.abc import Iterator

from crm_sandbox.formatting import neutralise
from crm_sandbox.models import Cohort
from crm_sandbox.queries.review import cohort_contacts, review_findings
from crm_sandbox.reports import records as r

COLUMNS = (
    "learner",
    "learner_name",
    "contact",
    "scenario",
    "mode",
    "rule",
    "source",
    "severity",
    "events",
    "evidence",
    "explanation",
    "reference",
    "decision",
    "decided_by",
    "decided_at",
    "comment",
    "earlier_decisions",
)


def finding_rows(cohort: Cohort) -> Iterator[dict[str, str | None]]:
    for contact in cohort_contacts(cohort):
        for f in review_findings(contact.id):
            d = f.decision
            yield {
                "learner": contact.learner.username,
                "learner_name": contact.learner.display_name,
                "contact": r.contact_ref(contact),
                "scenario": contact.title,
                "mode": contact.mode,  # practice | assessment (only an assessment is competence evidence)
                "rule": f.rule,
                "source": f.source,
                "severity": f.severity,
                "events": " ".join(map(str, f.events)),
                "evidence": f.evidence,
                "explanation": f.explanation,
                "reference": f.reference,
                "decision": d.decision if d else "undecided",
                "decided_by": d.assessor.username if d else "",
                "decided_at": r.iso(d.at) if d else "",
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
