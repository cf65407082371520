"""Observation records as PDF (fpdf2): one contact, or a learner's summary followed by each contact.

Made for internal and external quality assurers: who, what, when; the judgement and both signatures;
the criteria with their evidence; every finding with its standing decision and history; the timeline.
DejaVu Sans (Debian's ``fonts-dejavu-core``) is used when present so that £, curly quotes and dashes
print as written; without it the core Helvetica is used and text is reduced to Latin-1.
"""
import unicodedata
from datetime import datetime
from pathlib import Path

from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, VAlign, XPos, YPos

from crm_sandbox.models import User, utcnow
from crm_sandbox.reports import records as r
from crm_sandbox.services import kpis as kpi_service
from crm_sandbox.services.review import ContactReview

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf",
              "BI": "DejaVuSans-BoldOblique.ttf"}

INK, MUTED, LINE, BRAND = (30, 41, 59), (100, 116, 139), (203, 213, 225), (30, 64, 175)
HEAD_FILL = (241, 245, 249)
SEVERITY = {"high": ((254, 226, 226), (153, 27, 27)), "medium": ((254, 243, 199), (133, 77, 14)),
            "low": ((241, 245, 249), (51, 65, 85))}
OUTCOME_COLOURS = {"competent": ((220, 252, 231), (21, 128, 61)),
                   "not_yet_competent": ((254, 243, 199), (146, 64, 14)),
                   None: ((241, 245, 249), (71, 85, 105))}
JUDGEMENT_COLOURS = {"Met": (21, 128, 61), "Not yet met": (180, 83, 9), "Not judged": MUTED}
LATIN1 = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                        "\u2014": "-", "\u2026": "...", "\u2192": "->", "\u00a0": " ", "\u2022": "*"})


def unicode_font_available() -> bool:
    return all((FONT_DIR / f).is_file() for f in FONT_FILES.values())


class ReportPDF(FPDF):
    """A4 portrait, a running header naming the learner and contact, and numbered pages."""

    def __init__(self, title: str, created_at: datetime):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.unicode = unicode_font_available()
        if self.unicode:
            for style, name in FONT_FILES.items():
                self.add_font("DejaVu", style, str(FONT_DIR / name))
            self.family = "DejaVu"
        else:
            self.family = "Helvetica"
        self.created_at = created_at
        self.running_left, self.running_right = "CRM Sandbox \u00b7 Observation record", ""
        self.set_margins(15, 16, 15)
        self.set_auto_page_break(True, margin=16)
        self.set_title(self.clean(title))
        self.set_author("CRM Sandbox")
        self.set_creator("CRM Sandbox")
        self.set_subject("NVQ observation record (simulated contact, fictional customer)")
        self.set_creation_date(created_at)
        self.set_lang("en-GB")
        self.set_draw_color(*LINE)
        self.set_text_color(*INK)

    # -- text --------------------------------------------------------------------------------------
    def clean(self, text) -> str:
        text = unicodedata.normalize("NFC", "" if text is None else str(text))
        text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
        if not self.unicode:
            text = text.translate(LATIN1).encode("latin-1", "replace").decode("latin-1")
        return text

    def font(self, size: float = 9, style: str = "", colour=INK) -> None:
        self.set_font(self.family, style, size)
        self.set_text_color(*colour)

    def para(self, text: str, size: float = 9, style: str = "", colour=INK, h: float = 4.6) -> None:
        self.font(size, style, colour)
        self.multi_cell(0, h, self.clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")

    # -- page furniture ------------------------------------------------------------------------------
    def header(self) -> None:
        self.font(7.5, "", MUTED)
        self.set_y(8)
        self.cell(self.epw / 2, 4, self.clean(self.running_left), align="L")
        self.cell(self.epw / 2, 4, self.clean(self.running_right), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*LINE)
        self.line(self.l_margin, 12.5, self.w - self.r_margin, 12.5)
        self.set_y(16)

    def footer(self) -> None:
        self.set_y(-11)
        self.font(7, "", MUTED)
        left = (f"Generated {r.stamp(self.created_at)} by CRM Sandbox \u00b7 simulated contact, "
                "fictional customer data")
        self.cell(self.epw * 0.8, 4, self.clean(left), align="L")
        self.cell(self.epw * 0.2, 4, f"Page {self.page_no()} of {{nb}}", align="R")

    # -- blocks --------------------------------------------------------------------------------------
    def title_block(self, title: str, subtitle: str) -> None:
        self.font(17, "B", INK)
        self.multi_cell(0, 8, self.clean(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        self.font(10.5, "", MUTED)
        self.multi_cell(0, 5.5, self.clean(subtitle), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        self.ln(2)

    def section(self, title: str, note: str = "") -> None:
        if self.will_page_break(24):
            self.add_page()
        self.ln(3)
        self.font(11.5, "B", BRAND)
        self.cell(0, 6.5, self.clean(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*BRAND)
        self.set_line_width(0.35)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_line_width(0.2)
        self.set_draw_color(*LINE)
        self.ln(1.8)
        if note:
            self.para(note, 8, "I", MUTED, 4)
            self.ln(0.8)

    def details(self, pairs: list[tuple[str, str]]) -> None:
        """Label/value pairs, two to a row."""
        self.font(9)
        self.set_fill_color(255, 255, 255)
        with self.table(col_widths=(20, 40, 20, 40), cell_fill_mode="NONE", width=self.epw, first_row_as_headings=False,
                        borders_layout=TableBordersLayout.HORIZONTAL_LINES, text_align="LEFT",
                        v_align=VAlign.T, line_height=4.8, padding=(1.2, 1.5)) as table:
            for i in range(0, len(pairs), 2):
                row = table.row()
                for label, value in pairs[i:i + 2]:
                    row.cell(self.clean(label), style=FontFace(emphasis="BOLD", color=MUTED, size_pt=8.5))
                    row.cell(self.clean(value))
                if len(pairs[i:i + 2]) == 1:
                    row.cell("", colspan=2)

    def grid(self, headings: list[str], rows: list[list], widths: tuple, size: float = 8.5,
             styles: dict | None = None) -> None:
        """A table with a shaded heading repeated on every page. ``styles[(row, col)]`` is a FontFace."""
        self.font(size)
        self.set_fill_color(255, 255, 255)
        with self.table(col_widths=widths, cell_fill_mode="NONE", width=self.epw, text_align="LEFT", v_align=VAlign.T,
                        borders_layout=TableBordersLayout.HORIZONTAL_LINES, line_height=size * 0.5,
                        headings_style=FontFace(emphasis="BOLD", color=INK, fill_color=HEAD_FILL, size_pt=size),
                        padding=(1.2, 1.5), repeat_headings=1) as table:
            head = table.row()
            for h in headings:
                head.cell(self.clean(h))
            for i, values in enumerate(rows):
                row = table.row()
                for j, value in enumerate(values):
                    row.cell(self.clean(value), style=(styles or {}).get((i, j)))

    def box(self, heading: str, lines: list[tuple[str, str]], colours) -> None:
        """A shaded panel: a large heading, then label/value lines in two columns."""
        fill, ink = colours
        x, y0 = self.l_margin, self.get_y()
        label_w, value_w = 47, self.epw - 8 - 47
        # Measure first so the panel can be drawn behind the text (and is not split across pages).
        height = 12 + sum(self._height(value, value_w) + 1 for _, value in lines)
        if self.will_page_break(height + 2):
            self.add_page()
            y0 = self.get_y()
        self.set_fill_color(*fill)
        self.set_draw_color(*ink)
        self.rect(x, y0, self.epw, height, style="DF")
        self.set_fill_color(255, 255, 255)
        self.set_draw_color(*LINE)
        self.set_xy(x + 4, y0 + 2.5)
        self.font(13, "B", ink)
        self.cell(self.epw - 8, 6.5, self.clean(heading), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)
        for label, value in lines:
            y = self.get_y()
            self.set_xy(x + 4, y)
            self.font(8.5, "B", INK)
            self.cell(label_w, 4.6, self.clean(label))
            self.set_xy(x + 4 + label_w, y)
            self.font(9, "", INK)
            self.multi_cell(value_w, 4.6, self.clean(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
            self.ln(1)
        self.set_y(y0 + height + 2)

    def _height(self, text: str, width: float) -> float:
        self.font(9)
        lines = self.multi_cell(width, 4.6, self.clean(text), dry_run=True, output="LINES")
        return 4.6 * max(1, len(lines))


def _assessment_lines(a) -> list[tuple[str, str]]:
    if a is None:
        return [("Assessor sign-off", "awaiting (the assessor has not signed this contact off)"),
                ("Learner acknowledgement", "awaiting")]
    lines = [("Feedback", a.feedback),
             ("Assessor sign-off", f"{a.assessor.display_name} ({a.assessor.username}), {r.stamp(a.signed_at)}"),
             ("Released to learner", r.stamp(a.released_at) if a.released_at else "not yet released")]
    if a.acknowledged_at:
        lines += [("Learner acknowledgement", f"signed {r.stamp(a.acknowledged_at)}"),
                  ("Learner's comment", a.learner_comment or "")]
    else:
        lines.append(("Learner acknowledgement", "awaiting"))
    return lines


def _render_contact(pdf: ReportPDF, review: ContactReview) -> None:
    contact, a = review.contact, review.assessment
    learner = contact.learner
    pdf.running_left = f"CRM Sandbox \u00b7 Observation record \u00b7 {r.contact_ref(contact)}"
    pdf.running_right = f"{learner.display_name} ({learner.username})"
    pdf.add_page()
    pdf.title_block("Observation record", f"{contact.title} \u00b7 {contact.channel} contact {r.contact_ref(contact)}")

    pdf.details([
        ("Learner", f"{learner.display_name} ({learner.username})"),
        ("Assessor", f"{a.assessor.display_name} ({a.assessor.username})" if a else "not yet signed off"),
        ("Cohort", contact.cohort.name),
        ("Contact", f"{r.contact_ref(contact)} \u00b7 {contact.status}"),
        ("Scenario", f"{contact.title} ({contact.scenario_id})"),
        ("Channel", contact.channel.capitalize()),
        ("Opened", r.stamp(contact.opened_at) or "not opened"),
        ("Closed", r.stamp(contact.closed_at) or "not closed"),
        ("Units", "; ".join(r.units(review))),
        ("Purpose", contact.scenario.get("purpose", "")),
    ])
    pdf.ln(3)
    pdf.box(f"Outcome: {r.outcome_label(a)}", _assessment_lines(a), OUTCOME_COLOURS[a.outcome if a else None])

    pdf.section("Key performance indicators")
    kpis = r.kpi_rows(review.kpis)
    pdf.grid([label for label, _ in kpis], [[value for _, value in kpis]], (1, 1, 1, 1, 1), size=8.5)

    pdf.section("Assessment criteria",
                "Events are the timeline's numbers that evidence each criterion (linked automatically); "
                "findings against are the flags, not dismissed, of the rules that bear on it.")
    rows, styles = [], {}
    for i, row in enumerate(review.criteria):
        label = r.judgement_label(row)
        styles[(i, 2)] = FontFace(emphasis="BOLD", color=JUDGEMENT_COLOURS[label])
        comment = row.judgement.comment if row.judgement else ""
        if row.judgement and len(row.history) > 1:
            comment += f"\n({len(row.history) - 1} earlier judgement{'s' if len(row.history) > 2 else ''} in review.json)"
        rows.append([row.criterion.code, row.criterion.title, label, comment,
                     ", ".join(str(e.seq) for e in row.events) or "\u2013",
                     "\n".join(r.finding_title(f) for f in row.against) or "\u2013"])
    pdf.grid(["Code", "Criterion", "Judgement", "Assessor's comment", "Events", "Findings against"],
             rows, (14, 43, 23, 43, 20, 37), size=7.8, styles=styles)

    if review.spelling:
        pdf.section("Spelling (en_GB dictionary)")
        for seq, words in sorted(review.spelling.items()):
            pdf.para(f"Event {seq}: {', '.join(words)}", 8.5)

    pdf.section(f"Findings ({len(review.findings)})",
                "Flagged by the rules engine or added by the assessor; the standing decision is the newest.")
    if not review.findings:
        pdf.para("No findings on this contact.", 9, "I", MUTED)
    for f in review.findings:
        _render_finding(pdf, f)

    pdf.section("Timeline", "Every event recorded on the contact, in order (times in UTC).")
    users = r.event_users(review)
    pdf.grid(["#", "Time", "Actor", "Event", "What happened"],
             [[str(e.seq), e.at.strftime("%H:%M:%S"), r.actor_label(e, users), r.event_label(e), r.event_text(e)]
              for e in review.events], (7, 18, 24, 28, 103), size=7.8)


def _render_finding(pdf: ReportPDF, f) -> None:
    fill, ink = SEVERITY.get(f.severity, SEVERITY["low"])
    if pdf.will_page_break(22):
        pdf.add_page()
    pdf.ln(1.5)
    pdf.font(7.5, "B", ink)
    pdf.set_fill_color(*fill)
    tag = f" {f.severity.upper()} "
    pdf.cell(pdf.get_string_width(tag) + 2, 5, tag, fill=True, align="C")
    pdf.cell(2, 5, "")
    pdf.font(9.5, "B", INK)
    source = "assessor's finding" if f.source == "assessor" else "rules engine"
    pdf.multi_cell(0, 5, pdf.clean(f"{r.finding_title(f)}  \u00b7  events {', '.join(map(str, f.events))}"
                                   f"  \u00b7  {source}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.para(f"Rule: {f.rule}", 7.5, "", MUTED, 3.8)
    pdf.para(f.explanation, 8.5)
    if f.evidence:
        pdf.para(f"Evidence: \u201c{f.evidence}\u201d", 8.5, "I")
    pdf.para(f"Reference: {f.reference}", 8, "", MUTED, 4.2)
    decision = f.decision
    colour = {"confirmed": (153, 27, 27), "dismissed": (21, 128, 61)}.get(decision.decision if decision else "", MUTED)
    pdf.para(f"Decision: {r.decision_line(decision)}", 8.5, "B", colour)
    for old in f.decisions[:-1]:
        pdf.para(f"   earlier: {r.decision_line(old)}", 7.8, "", MUTED, 4)
    pdf.set_draw_color(*LINE)
    pdf.ln(1)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())


def _finish(pdf: ReportPDF, compress: bool) -> bytes:
    pdf.set_compression(compress)
    return bytes(pdf.output())


def contact_pdf(review: ContactReview, created_at: datetime | None = None, compress: bool = True) -> bytes:
    """The observation record of one contact as PDF bytes."""
    created_at = created_at or utcnow()
    pdf = ReportPDF(f"Observation record {r.contact_ref(review.contact)} \u2013 "
                    f"{review.contact.learner.display_name}", created_at)
    _render_contact(pdf, review)
    return _finish(pdf, compress)


def learner_pdf(learner: User, reviews: list[ContactReview], created_at: datetime | None = None,
                compress: bool = True) -> bytes:
    """A learner's record: a summary of every contact and their KPIs, then each contact's observation record."""
    created_at = created_at or utcnow()
    pdf = ReportPDF(f"Learner record \u2013 {learner.display_name}", created_at)
    pdf.running_left = "CRM Sandbox \u00b7 Learner record"
    pdf.running_right = f"{learner.display_name} ({learner.username})"
    pdf.add_page()
    pdf.title_block("Learner record", f"{learner.display_name} ({learner.username})"
                    f" \u00b7 {learner.cohort.name if learner.cohort else 'no cohort'}")
    assessors = sorted({rv.assessment.assessor.display_name for rv in reviews if rv.assessment})
    signed = [rv for rv in reviews if rv.assessment]
    pdf.details([
        ("Learner", f"{learner.display_name} ({learner.username})"),
        ("Cohort", learner.cohort.name if learner.cohort else "\u2013"),
        ("Contacts", f"{len(reviews)} opened, {len(signed)} signed off"),
        ("Assessors", ", ".join(assessors) or "\u2013"),
        ("Competent", str(sum(1 for rv in signed if rv.assessment.outcome == "competent"))),
        ("Not yet competent", str(sum(1 for rv in signed if rv.assessment.outcome == "not_yet_competent"))),
    ])

    pdf.section("Key performance indicators", "Averages over the learner's closed contacts.")
    lk = r.learner_kpi_rows(kpi_service.learner_kpis([rv.kpis for rv in reviews]))
    pdf.grid([label for label, _ in lk], [[value for _, value in lk]], (1,) * len(lk), size=8)

    pdf.section("Contacts")
    rows, styles = [], {}
    for i, rv in enumerate(reviews):
        judged = [row for row in rv.criteria if row.judgement]
        met = sum(1 for row in judged if row.judgement.met)
        label = r.outcome_label(rv.assessment)
        styles[(i, 4)] = FontFace(emphasis="BOLD", color=OUTCOME_COLOURS[rv.assessment.outcome if rv.assessment else None][1])
        ack = "signed" if rv.assessment and rv.assessment.acknowledged_at else "awaiting"
        rows.append([r.contact_ref(rv.contact), rv.contact.title, rv.contact.channel,
                     r.stamp(rv.contact.closed_at) or rv.contact.status, label,
                     f"{met} of {len(judged)} judged met" if judged else "none judged",
                     str(len(rv.findings)), ack])
    if rows:
        pdf.grid(["Contact", "Scenario", "Channel", "Closed", "Outcome", "Criteria", "Findings", "Learner"],
                 rows, (12, 38, 13, 24, 22, 22, 13, 15), size=7.8, styles=styles)
    else:
        pdf.para("The learner has not opened any contacts yet.", 9, "I", MUTED)

    for rv in reviews:
        _render_contact(pdf, rv)
    return _finish(pdf, compress)
