"""The IQA report of a cohort, as CSV and PDF: the sampling plan and its coverage, the sample with its
verdicts and the assessors' answers, countersignatures, and the agreement figures from standardisation.
Included in the evidence archive when the cohort is reset (``admin/reset.py``)."""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from crm_sandbox.formatting import neutralise
from crm_sandbox.models import Cohort, User, utcnow
from crm_sandbox.quality.sampling import Plan
from crm_sandbox.queries.quality import countersign as cs
from crm_sandbox.queries.quality import standardisation as std
from crm_sandbox.queries.quality.sampling import SampleRow, cohort_plan
from crm_sandbox.queries.quality.verdicts import verdicts_on, void
from crm_sandbox.reports import records as r
from crm_sandbox.reports.pdf import MUTED, ReportPDF, _finish

COLUMNS = ("section", "item", "assessor", "decision", "figures", "by", "at", "notes")


@dataclass
class IqaReport:
    cohort: Cohort
    generated_at: datetime
    plan: Plan
    rows: list[SampleRow]
    lines: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # section -> its rows


def build(cohort: Cohort, viewer: User | None) -> IqaReport:
    """Everything the report shows, as rows per section (the CSV and the PDF print the same rows)."""
    plan, rows = cohort_plan(cohort, viewer if viewer is not None and viewer.role == "iqa" else None)
    report = IqaReport(cohort, utcnow(), plan, rows)
    report.lines["Coverage"] = [
        _row(
            f"{t.kind}: {t.name}",
            figures=f"wanted {t.wanted}, planned {t.planned}, sampled {t.sampled}",
            notes="met" if t.met else "not yet met",
        )
        for t in plan.targets
    ]
    sample, signatures = [], []
    for row in rows:
        a, ref = row.assessment, r.contact_ref(row.contact)
        item = f"{ref} {row.contact.title} ({row.contact.learner.username})"
        status = "excluded: " + row.excluded if row.excluded else ("in the plan" if row.reasons else "not planned")
        sample.append(
            _row(item, a.assessor.username, f"version {a.version}: {r.outcome_label(a)}", notes=status + _why(row))
        )
        for v in verdicts_on(row.contact.id):
            answer = f"; answered by {v.answerer.username} {r.stamp(v.answered_at)}: {v.answer}" if v.answerer else ""
            action = f"; action: {v.action} by {v.deadline.isoformat()}" if v.action and v.deadline else ""
            sample.append(
                _row(
                    item,
                    a.assessor.username,
                    f"verdict on version {v.version}: {v.verdict_label}"
                    + (" (void: reopened since)" if void(v) else ""),
                    by=v.iqa.username,
                    at=r.stamp(v.at),
                    notes=(v.comment or "") + action + answer,
                )
            )
        if cs.needs_countersignature(a):
            counter = cs.countersignature_of(a)
            signatures.append(
                _row(
                    item,
                    f"{a.assessor.username} (trainee), signed {r.stamp(a.signed_at)}",
                    f"version {a.version}: {r.outcome_label(a)}",
                    by=counter.signer.username if counter else "",
                    at=r.stamp(counter.at) if counter else "",
                    notes="countersigned" if counter else "provisional: awaiting countersignature",
                )
            )
    report.lines["Sample and verdicts"] = sample
    report.lines["Countersignatures"] = signatures
    report.lines["Standardisation"] = _standardisation(cohort)
    return report


def _why(row: SampleRow) -> str:
    return f" ({'; '.join(row.reasons)})" if row.reasons else ""


def _row(item: str, assessor: str = "", decision: str = "", figures: str = "", by: str = "", at: str = "", notes: str = "") -> dict[str, str]:  # fmt: skip
    return {"item": item, "assessor": assessor, "decision": decision, "figures": figures, "by": by, "at": at, "notes": notes}  # fmt: skip


def _standardisation(cohort: Cohort) -> list[dict[str, str]]:
    out = []
    for exercise in reversed(std.exercises_of(cohort.id)):
        found = std.results(exercise)
        for kind, agreement in found.agreement.items():
            figures = (
                f"{agreement.raters} raters, {agreement.items} items; agreement {agreement.percent_text}; "
                f"{agreement.method} {agreement.kappa_text}"
            )
            out.append(
                _row(
                    f"{exercise.title}: {std.KINDS[kind]}",
                    ", ".join(found.raters if kind == "breach" else found.raters[:-1]),
                    figures=figures,
                    by=exercise.creator.username,
                    at=r.stamp(exercise.created_at),
                    notes=agreement.undefined or "",
                )
            )
        out.append(_row(f"{exercise.title}: disagreements", figures=str(len(found.disagreements))))
        for outcome in std.outcomes_of(exercise.id):
            out.append(
                _row(
                    f"{exercise.title}: agreed outcome on contact {outcome.contact_id}",
                    decision=outcome.outcome.replace("_", " "),
                    by=outcome.recorder.username,
                    at=r.stamp(outcome.at),
                    notes=outcome.actions,
                )
            )
    return out


def report_csv(report: IqaReport) -> str:
    """The report as CSV text (cells a spreadsheet would run as a formula neutralised)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for section, rows in report.lines.items():
        for row in rows:
            writer.writerow([neutralise(section), *(neutralise(row[c]) for c in COLUMNS[1:])])
    return out.getvalue()


def report_pdf(report: IqaReport, compress: bool = True) -> bytes:
    """The report as PDF bytes (the observation record's layout: A4, running header, numbered pages)."""
    pdf = ReportPDF(f"IQA report \u2013 {report.cohort.name}", report.generated_at)
    pdf.running_left = "CRM Sandbox \u00b7 IQA report"
    pdf.running_right = report.cohort.name
    pdf.add_page()
    pdf.title_block("IQA report", f"{report.cohort.name} \u00b7 generated {r.stamp(report.generated_at)}")
    notes = {
        "Coverage": "The centre's risk-based sampling plan (seed/sampling.yaml) against its targets.",
        "Sample and verdicts": "Every signed-off assessment, whether it is in the plan and why, and the IQA's verdicts.",
        "Countersignatures": "A trainee assessor's decision is provisional until a qualified assessor countersigns it.",
        "Standardisation": "Blind marking: percentage agreement and Cohen's (two raters) or Fleiss' (more) kappa; "
        "the rules engine is one more rater on breaches. Undefined figures say why.",
    }
    for section, rows in report.lines.items():
        pdf.section(section, notes.get(section, ""))
        if not rows:
            pdf.para("None.", 9, "I", MUTED)
            continue
        pdf.grid(
            ["Item", "Assessor", "Decision", "Figures", "By", "At", "Notes"],
            [[row[c] for c in COLUMNS[1:]] for row in rows],
            (3, 2, 2.2, 2.2, 1.4, 1.6, 3),
            size=7.5,
        )
    return _finish(pdf, compress)
