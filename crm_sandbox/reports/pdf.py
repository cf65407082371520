"""Observation records as PDF (fpdf2): one contact, or a learner's summary followed by each contact.

Made for internal and external quality assurers: who, what, when; the judgement and both signatures;
the criteria with their evidence; every finding with its standing decision and history; the timeline.

Every name prints as written: the text is set in DejaVu Sans, with Noto Sans SC (Chinese) and Noto Emoji
for what DejaVu lacks and a white square for what no font has (its text layer keeps the character); see
``reports/fonts.py``, which parses each font once per process and trims it before fontTools subsets it
(loading TrueType fonts per document cost ~0.7 s of CPU a document; now a document costs ~2.3 times the
built-in Helvetica's, see docs/benchmarks.md). Each line is split into runs by the font that has its
characters, and measured and drawn run by run, so wrapping uses each glyph's own width.
``PDF_FONT = "helvetica"`` selects the old built-in Helvetica instead: smaller, faster files, but Latin-1
only (curly quotes and dashes become straight ones and every other character outside Latin-1 prints as
"?", names included).

Tables and wrapped text are laid out here (greedy word wrap measured with the font's widths, drawn with
``text()`` and ``line()``) rather than with fpdf2's ``table()``/``multi_cell()``, which cost milliseconds
per cell and made a learner's pack take seconds to render.
"""

import unicodedata
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from fpdf import FPDF, FontFace
from fpdf.drawing_primitives import convert_to_device_color
from fpdf.enums import XPos, YPos
from fpdf.fonts import TTFFont
from fpdf.output import OutputProducer

from crm_sandbox.events.registry import label as event_label
from crm_sandbox.formatting import label as words_of
from crm_sandbox.formatting import mode_label
from crm_sandbox.models import Finding, User, utcnow
from crm_sandbox.queries import kpis as kpi_service
from crm_sandbox.queries.level3.tasks import task_view, tasks_of
from crm_sandbox.queries.review import ContactReview
from crm_sandbox.reports import fonts
from crm_sandbox.reports import records as r

INK, MUTED, LINE, BRAND = (30, 41, 59), (100, 116, 139), (203, 213, 225), (30, 64, 175)
HEAD_FILL = (241, 245, 249)
SEVERITY = {
    "high": ((254, 226, 226), (153, 27, 27)),
    "medium": ((254, 243, 199), (133, 77, 14)),
    "low": ((241, 245, 249), (51, 65, 85)),
}
OUTCOME_COLOURS = {
    "competent": ((220, 252, 231), (21, 128, 61)),
    "not_yet_competent": ((254, 243, 199), (146, 64, 14)),
    "formative": ((224, 231, 255), (55, 48, 163)),
    None: ((241, 245, 249), (71, 85, 105)),
}
JUDGEMENT_COLOURS = {
    "Met": (21, 128, 61),
    "Not yet met": (180, 83, 9),
    "Not covered by this observation": MUTED,
    "Not yet judged": MUTED,
}
MODE_COLOURS = {"assessment": BRAND, "practice": MUTED}
COLOURS: dict[Any, Any] = {}  # colour tuple -> fpdf DeviceRGB, converted once
Colour = tuple[int, int, int]
Cell = tuple[str, float, str, Any]  # text, size, style, colour
Laid = tuple[list[str], float, str, Any]  # the text as wrapped lines, size, style, colour
LATIN1 = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u2192": "->",
        "\u00a0": " ",
        "\u2022": "*",
    }
)
INVISIBLE = dict.fromkeys(range(0xFE00, 0xFE10))  # variation selectors: presentation hints with no glyph


def unicode_fonts() -> bool:
    """Whether to use the Unicode fonts (the default) rather than ``PDF_FONT = "helvetica"``."""
    return not (has_app_context() and current_app.config.get("PDF_FONT") == "helvetica")


class ReportPDF(FPDF):
    """A4 portrait, a running header naming the learner and contact, and numbered pages."""

    def __init__(self, title: str, created_at: datetime):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.unicode = unicode_fonts()
        self.family = fonts.FAMILY if self.unicode else "Helvetica"
        self.created_at = created_at
        self._clean_cache: dict[str, str] = {}
        self._width_cache: dict[tuple, float] = {}
        self._runs_cache: dict[tuple, list[tuple[str, str]]] = {}
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
    def clean(self, text: object) -> str:
        text = "" if text is None else str(text)
        cached = self._clean_cache.get(text)
        if cached is None:
            cached = unicodedata.normalize("NFC", text)
            cached = "".join(ch for ch in cached if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
            if self.unicode:
                cached = cached.translate(INVISIBLE)
            else:
                cached = cached.translate(LATIN1).encode("latin-1", "replace").decode("latin-1")
            self._clean_cache[text] = cached
        return cached

    def font(self, size: float = 9, style: str = "", colour: Colour = INK) -> None:
        self.set_font(self.family, style, size)
        self.set_text_color(*colour)

    def para(self, text: str, size: float = 9, style: str = "", colour: Colour = INK, h: float = 4.6) -> None:
        self.font(size, style, colour)
        self.text_lines(self.clean(text), h)

    # -- fonts: each vendored one is registered on first use, so a document embeds only those it used ---
    def set_font(self, family: str | None = None, style: Any = "", size: float = 0) -> None:
        if self.unicode and family and isinstance(style, str):
            key = family.lower() + style.upper()
            if key not in self.fonts and (key in fonts.FILES or key == fonts.MISSING):
                fonts.attach(self, key)
        super().set_font(family, style, size)

    def runs(self, text: str, key: str) -> list[tuple[str, str]]:
        """``text`` as runs of (font key, characters): in font ``key`` where it has the character, else in
        the first fallback font that has it, else in the placeholder box; cached."""
        cached = self._runs_cache.get((key, text))
        if cached is None:
            own, cached = fonts.chars(key), []
            for ch in text:
                run_key = key if ch in own else fonts.fallback_for(ch)
                if run_key == fonts.MISSING:
                    font = self.fonts.get(run_key)
                    fonts.add_missing(font if isinstance(font, TTFFont) else fonts.attach(self, run_key), ch)
                if cached and cached[-1][0] == run_key:
                    cached[-1] = (run_key, cached[-1][1] + ch)
                else:
                    cached.append((run_key, ch))
            self._runs_cache[(key, text)] = cached
        return cached

    def needs_fallback(self, text: str, font: Any) -> bool:
        """Whether ``text`` has characters that ``font``, one of the vendored text fonts, lacks."""
        return self.unicode and font.fontkey in fonts.FILES and not fonts.chars(font.fontkey).issuperset(text)

    # -- a light text layout of our own: fpdf2's multi_cell() and table() cost milliseconds a call ---
    def font_for(self, style: str) -> Any:
        """The font object of this document's family in ``style`` (registered on first use)."""
        font = self.fonts.get(f"{self.family.lower()}{style}")
        if font is None:
            family, size, current = self.font_family, self.font_size_pt, self.font_style
            self.set_font(self.family, style, size)
            font = self.current_font
            self.set_font(family or self.family, current, size)
        return font

    def width_of(self, text: str, font: Any = None, size: float | None = None) -> float:
        """Width of ``text`` in mm, in ``font`` at ``size`` pt (default: the current font), with each
        character in the font that draws it; cached."""
        font = font or self.current_font
        size = size or self.font_size_pt
        key = (font.fontkey, size, text)
        width = self._width_cache.get(key)
        if width is None:
            if self.needs_fallback(text, font):
                width = (
                    sum(
                        (self.fonts.get(k) or fonts.parsed(k).font).get_text_width(run, size, None)[1]
                        for k, run in self.runs(text, font.fontkey)
                    )
                    / self.k
                )
            else:
                width = font.get_text_width(text, size, None)[1] / self.k
            self._width_cache[key] = width
        return width

    # One greedy line-filling loop: split up, its parts would only pass the line's state around.
    def wrap(self, text: str, width: float, style: str | None = None, size: float | None = None) -> list[str]:  # noqa: C901
        """Greedy word wrap of already-cleaned ``text`` to ``width`` mm, in the current font or in this
        family's ``style`` at ``size`` pt.

        Explicit newlines start new lines; a word wider than the line is broken between characters.
        Always at least one line (an empty string gives [""]).
        """
        lines: list[str] = []
        font = self.current_font if style is None else self.font_for(style)
        size = size or self.font_size_pt

        def width_of(t: str) -> float:
            return self.width_of(t, font, size)

        space = width_of(" ")
        for para in text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").split("\n"):
            if width_of(para) <= width:
                lines.append(para.rstrip())
                continue
            words: list[str] = []  # the line being filled, joined by single spaces
            used = 0.0
            for word in para.split(" "):
                word_w = width_of(word)
                if words and used + space + word_w <= width:
                    words.append(word)
                    used += space + word_w
                    continue
                if words:
                    lines.append(" ".join(words).rstrip())
                    words, used = [], 0.0
                    if not word:  # spaces at a line break are dropped
                        continue
                if word_w > width:  # an over-long word: as many characters as fit on each line
                    chunk = ""
                    for ch in word:
                        if chunk and width_of(chunk + ch) > width:
                            lines.append(chunk)
                            chunk = ""
                        chunk += ch
                    word, word_w = chunk, width_of(chunk)
                words, used = [word], word_w
            lines.append(" ".join(words).rstrip())
        return lines or [""]

    def put(self, x: float, y: float, h: float, text: str, w: float = 0, align: str = "L") -> None:
        """One line of text in a box of height ``h`` at (x, y), placed as cell() would place it; characters
        the current font lacks are drawn in the font that has them, on the same baseline."""
        if not text:
            return
        if align != "L":
            spare = w - self.width_of(text)
            x += spare if align == "R" else spare / 2
        baseline = y + 0.5 * h + 0.3 * self.font_size
        font = self.current_font
        if font is None or not self.needs_fallback(text, font):
            self.text(x, baseline, text)
            return
        family, style, size = self.font_family, self.font_style, self.font_size_pt
        for key, run in self.runs(text, font.fontkey):
            if key == font.fontkey:
                self.set_font(family, style, size)
            else:
                self.set_font(key, "", size)
            self.text(x, baseline, run)
            x += self.width_of(run)
        self.set_font(family, style, size)

    def text_lines(self, text: str, h: float, w: float = 0, x: float | None = None) -> None:
        """Like multi_cell(w, h, text) with the cell margin: wrap, then draw line by line, breaking pages."""
        x = self.get_x() if x is None else x
        if not w:
            w = self.w - self.r_margin - x
        for line in self.wrap(text, w - 2 * self.c_margin):
            if self.y + h > self.page_break_trigger and self.auto_page_break and not self.in_footer:
                self.add_page()
            self.put(x + self.c_margin, self.y, h, line)
            self.y += h
        self.x = self.l_margin

    def _use(self, size: float, style: str, colour: Any) -> None:
        """Select a font and text colour (skipping set_font and set_text_color when nothing changes)."""
        if self.font_style != style or self.font_size_pt != size or self.current_font is None:
            self.set_font(self.family, style, size)
        rgb = COLOURS.get(colour)
        if rgb is None:
            rgb = COLOURS[colour] = convert_to_device_color(colour)
        if self.text_color is not rgb:
            self.text_color = rgb

    # Layout, drawing and page breaks share the row state; the parts are the nested helpers below.
    def _table(  # noqa: C901
        self,
        rows: list[list[Cell]],
        widths: tuple[float, ...],
        line_height: float,
        head: list[Cell] | None = None,
        pad: tuple[float, float] = (1.2, 1.5),
    ) -> None:
        """Draw a table: each cell is (text, size, style, colour); horizontal rules between rows.

        The optional heading row is shaded and repeated after every page break; a row moves to the next
        page whole unless it is taller than a page, in which case it is split between lines.
        """
        pad_v, pad_h = pad
        total = sum(widths)
        col_w = [w * self.epw / total for w in widths]
        xs = [self.l_margin + sum(col_w[:i]) for i in range(len(col_w))]
        right = self.l_margin + self.epw

        def layout(cells: list[Cell]) -> list[Laid]:
            out = []
            for j, (text, size, style, colour) in enumerate(cells):
                out.append((self.wrap(text, col_w[j] - 2 * pad_h, style, size) if text else [], size, style, colour))
            return out

        def draw(cells: list[Laid], y: float, first: int, count: int, shade: bool = False) -> float:
            height = count * line_height + 2 * pad_v
            if shade:
                self.set_fill_color(*HEAD_FILL)
                self.rect(self.l_margin, y, self.epw, height, style="F")
            for j, (lines, size, style, colour) in enumerate(cells):
                if not lines[first : first + count]:
                    continue
                self._use(size, style, colour)
                # With the fill colour equal to the text colour, text() needn't wrap each line in q/rg/Q.
                if self.text_color is not None:  # set by _use
                    self.set_fill_color(self.text_color)
                ly = y + pad_v
                for line in lines[first : first + count]:
                    self.put(xs[j] + pad_h, ly, line_height, line)
                    ly += line_height
            return y + height

        def rule(y: float) -> None:
            self.line(self.l_margin, y, right, y)

        head_cells = layout(head) if head else None
        head_n = max((len(c[0]) for c in head_cells), default=1) if head_cells else 0
        head_h = head_n * line_height + 2 * pad_v if head_cells else 0
        body = [layout(cells) for cells in rows]
        n_lines = [max(1, max((len(c[0]) for c in cells), default=1)) for cells in body]
        self.set_draw_color(*LINE)
        self.set_line_width(0.2)

        def new_page() -> float:
            self.add_page()
            y = self.get_y()
            if head_cells:
                y = draw(head_cells, y, 0, head_n, shade=True)
                rule(y)
            return y

        y = self.get_y()
        first_h = (n_lines[0] * line_height + 2 * pad_v) if body else 0
        if y + head_h + min(first_h, 3 * line_height + 2 * pad_v) > self.page_break_trigger:
            y = new_page()
        elif head_cells:
            y = draw(head_cells, y, 0, head_n, shade=True)
            rule(y)
        page_room = self.page_break_trigger - (self.t_margin + head_h)
        for i, cells in enumerate(body):
            n = n_lines[i]
            height = n * line_height + 2 * pad_v
            if y + height > self.page_break_trigger:
                if height <= page_room:
                    y = new_page()
                else:  # taller than a page: fill this page (if a few lines fit), then continue on the next
                    done, fresh = 0, False
                    while done < n:
                        fit = int((self.page_break_trigger - y - 2 * pad_v) // line_height)
                        if fit < 2 and n - done > fit and not fresh:
                            y, fresh = new_page(), True
                            continue
                        count, fresh = min(max(fit, 1), n - done), False
                        y = draw(cells, y, done, count)
                        done += count
                        if done < n:
                            y = new_page()
                    if i < len(body) - 1:
                        rule(y)
                    continue
            y = draw(cells, y, 0, n)
            if i < len(body) - 1:
                rule(y)
        self.set_fill_color(255, 255, 255)
        self.set_xy(self.l_margin, y)

    # -- page furniture ------------------------------------------------------------------------------
    def header(self) -> None:
        self.font(7.5, "", MUTED)
        right = self.clean(self.running_right)
        self.put(self.l_margin + self.c_margin, 8, 4, self.clean(self.running_left))
        self.put(self.l_margin, 8, 4, right, self.epw - self.c_margin, align="R")
        self.set_draw_color(*LINE)
        self.line(self.l_margin, 12.5, self.w - self.r_margin, 12.5)
        self.set_y(16)

    def footer(self) -> None:
        self.set_y(-11)
        self.font(7, "", MUTED)
        left = f"Generated {r.stamp(self.created_at)} by CRM Sandbox \u00b7 simulated contact, fictional customer data"
        self.put(self.l_margin + self.c_margin, self.y, 4, self.clean(left))
        self.x = self.l_margin + self.epw * 0.8
        self.cell(self.epw * 0.2, 4, f"Page {self.page_no()} of {{nb}}", align="R")

    # -- blocks --------------------------------------------------------------------------------------
    def title_block(self, title: str, subtitle: str) -> None:
        self.font(17, "B", INK)
        self.text_lines(self.clean(title), 8)
        self.font(10.5, "", MUTED)
        self.text_lines(self.clean(subtitle), 5.5)
        self.ln(2)

    def section(self, title: str, note: str = "") -> None:
        if self.will_page_break(24):
            self.add_page()
        self.ln(3)
        self.font(11.5, "B", BRAND)
        self.put(self.l_margin + self.c_margin, self.y, 6.5, self.clean(title))
        self.set_xy(self.l_margin, self.y + 6.5)
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
        rows = []
        for i in range(0, len(pairs), 2):
            row = []
            for label, value in pairs[i : i + 2]:
                row += [(self.clean(label), 8.5, "B", MUTED), (self.clean(value), 9, "", INK)]
            rows.append(row)
        self._table(rows, (20, 40, 20, 40), line_height=4.8)

    def grid(
        self, headings: list[str], rows: list[list], widths: tuple, size: float = 8.5, styles: dict | None = None
    ) -> None:
        """A table with a shaded heading repeated on every page. ``styles[(row, col)]`` is a FontFace
        (its emphasis and colour are used)."""
        styles = styles or {}
        body = []
        for i, values in enumerate(rows):
            row = []
            for j, value in enumerate(values):
                face = styles.get((i, j))
                style = face.emphasis.style if face is not None and face.emphasis is not None else ""
                colour = face.color if face is not None and face.color is not None else INK
                size_pt = face.size_pt if face is not None and face.size_pt else size
                row.append((self.clean(value), size_pt, style, colour))
            body.append(row)
        self._table(body, widths, line_height=size * 0.5, head=[(self.clean(h), size, "B", INK) for h in headings])

    def box(self, heading: str, lines: list[tuple[str, str]], colours: tuple[Colour, Colour]) -> None:
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
            self.text_lines(self.clean(value), 4.6, value_w, x=x + 4 + label_w)
            self.ln(1)
        self.set_y(y0 + height + 2)

    def _height(self, text: str, width: float) -> float:
        self.font(9)
        return 4.6 * len(self.wrap(self.clean(text), width - 2 * self.c_margin))


def _assessment_lines(review: ContactReview) -> list[tuple[str, str]]:
    a = review.assessment
    superseded = [("Superseded", r.superseded_line(v)) for v in review.superseded]
    if a is None:
        reopened = "; reopened since the last version" if superseded else ""
        return [
            ("Assessor sign-off", f"awaiting (the assessor has not signed this contact off{reopened})"),
            ("Learner acknowledgement", "awaiting"),
            *superseded,
        ]
    lines = [("Feedback", a.feedback)]
    if a.override_reason:
        despite = "; ".join(review.competent_despite) or "unmet criteria or confirmed high-severity findings"
        lines.append(("Competent despite", f"{despite}. Reason: {a.override_reason}"))
    lines.append(("Assessor sign-off", r.signed_line(a)))
    counter = r.countersign_line(a)
    if counter:
        lines.append(("Countersignature", counter))
    lines += [
        ("Released to learner", r.stamp(a.released_at) if a.released_at else "not yet released"),
    ]
    if a.acknowledged_at:
        lines += [
            ("Learner acknowledgement", f"signed {r.stamp(a.acknowledged_at)}"),
            ("Learner's comment", a.learner_comment or ""),
        ]
    else:
        lines.append(("Learner acknowledgement", "awaiting"))
    return lines + superseded


def _render_contact(pdf: ReportPDF, review: ContactReview) -> None:
    contact, a = review.contact, review.assessment
    learner = contact.learner
    pdf.running_left = f"CRM Sandbox \u00b7 Observation record \u00b7 {r.contact_ref(contact)}"
    pdf.running_right = f"{learner.display_name} ({learner.username})"
    pdf.add_page()
    pdf.title_block("Observation record", f"{contact.title} \u00b7 {contact.channel} contact {r.contact_ref(contact)}")
    pdf.para(f"Mode: {r.mode_line(contact)}", 10, "B", MODE_COLOURS.get(contact.mode, MUTED), 5.5)
    compare = r.compare_mode_note(contact)
    if compare:
        pdf.para(compare, 9, "B", OUTCOME_COLOURS["not_yet_competent"][1], 4.6)
    pdf.ln(1.5)

    pdf.details(
        [
            ("Learner", f"{learner.display_name} ({learner.username})"),
            ("Assessor", f"{a.assessor.display_name} ({a.assessor.username})" if a else "not yet signed off"),
            ("Assessment method", r.METHOD),
            ("Cohort", contact.cohort.name),
            ("Contact", f"{r.contact_ref(contact)} \u00b7 {contact.status}"),
            ("Scenario", f"{contact.title} ({contact.scenario_id})"),
            ("Channel", contact.channel.capitalize()),
            ("Opened", r.stamp(contact.opened_at) or "not opened"),
            ("Closed", r.stamp(contact.closed_at) or "not closed"),
            ("Qualification", r.qualification_label(review)),
            ("Units", "; ".join(r.units(review))),
            ("Purpose", contact.scenario.get("purpose", "")),
        ]
    )
    pdf.ln(3)
    title = f"Outcome: {r.outcome_label(a)}" + (f" (version {a.version})" if a else "")
    pdf.box(title, _assessment_lines(review), OUTCOME_COLOURS.get(a.outcome if a else None, OUTCOME_COLOURS[None]))

    pdf.section("Key performance indicators")
    kpis = r.kpi_rows(review.kpis)
    pdf.grid([label for label, _ in kpis], [[value for _, value in kpis]], (1, 1, 1, 1, 1), size=8.5)

    q = review.qualification
    pdf.section(
        "Assessment criteria",
        (f"The criteria of {q.title} ({q.awarding_body}), the learner's qualification, by unit. " if q else "")
        + "Each criterion is met, not yet met, or not covered by this observation. Each quotes its source word for word; codes are the sandbox's own (the awarding body's references "
        "appear once the centre has filled them in). Events are the timeline's numbers that evidence each "
        "criterion (linked by relevance); findings against are the flags, not dismissed, of the rules that "
        "bear on it.",
    )
    for group in review.units:
        heading = f"Unit: {group.unit}" + (f" ({group.unit_ref})" if group.unit_ref else "")
        if not group.rows[0].registered:
            heading += f" \u2013 judged under {' / '.join(group.qualifications)}"
        pdf.para(heading, 9, "B")
        rows, styles = [], {}
        for i, row in enumerate(group.rows):
            label = r.judgement_label(row)
            styles[(i, 2)] = FontFace(emphasis="BOLD", color=JUDGEMENT_COLOURS[label])
            comment = row.judgement.comment if row.judgement else ""
            if row.judgement and len(row.history) > 1:
                comment += (
                    f"\n({len(row.history) - 1} earlier judgement{'s' if len(row.history) > 2 else ''} in review.json)"
                )
            src = row.criterion.source
            number = f" ({row.criterion.criterion_number})" if row.criterion.criterion_number else ""
            rows.append(
                [
                    row.criterion.code + number,
                    f"{row.criterion.title}\n\u201c{src.text}\u201d ({src.kind})",
                    label,
                    comment,
                    ", ".join(str(e.seq) for e in row.events) or "\u2013",
                    "\n".join(r.finding_title(f) for f in row.against) or "\u2013",
                ]
            )
        pdf.grid(
            ["Code", "Criterion (source quoted)", "Judgement", "Assessor's comment", "Events", "Findings against"],
            rows,
            (14, 52, 25, 35, 17, 35),  # Judgement wide enough for "Not covered by this observation"
            size=7.5,
            styles=styles,
        )

    if review.spelling:
        pdf.section("Spelling (en_GB dictionary)")
        for seq, words in sorted(review.spelling.items()):
            pdf.para(f"Event {seq}: {', '.join(words)}", 8.5)

    pdf.section(
        f"Findings ({len(review.findings)})",
        "Flagged by the rules engine or added by the assessor; the standing decision is the newest.",
    )
    if not review.findings:
        pdf.para("No findings on this contact.", 9, "I", MUTED)
    for f in review.findings:
        _render_finding(pdf, f)

    pdf.section("Timeline", "Every event recorded on the contact, in order (times in UTC).")
    pdf.grid(
        ["#", "Time", "Actor", "Event", "What happened"],
        [
            [
                str(e.seq),
                e.at.strftime("%H:%M:%S"),
                r.actor_label(e, review.users),
                event_label(e.type),
                r.event_text(e),
            ]
            for e in review.events
        ],
        (7, 18, 24, 28, 103),
        size=7.8,
    )


def _render_finding(pdf: ReportPDF, f: Finding) -> None:
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
    pdf.text_lines(
        pdf.clean(f"{r.finding_title(f)}  \u00b7  events {', '.join(map(str, f.events))}  \u00b7  {source}"), 5
    )
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
    return bytes(pdf.output(output_producer_class=fonts.TrimmedOutput if pdf.unicode else OutputProducer))


def contact_pdf(review: ContactReview, created_at: datetime | None = None, compress: bool = True) -> bytes:
    """The observation record of one contact as PDF bytes."""
    created_at = created_at or utcnow()
    pdf = ReportPDF(
        f"Observation record {r.contact_ref(review.contact)} \u2013 {review.contact.learner.display_name}", created_at
    )
    _render_contact(pdf, review)
    return _finish(pdf, compress)


def learner_pdf(
    learner: User,
    reviews: list[ContactReview],
    created_at: datetime | None = None,
    compress: bool = True,
    left_out: int = 0,
) -> bytes:
    """A learner's record: a summary of every contact and their KPIs, then each contact's observation record.
    ``left_out``: contacts the reader marks blind, not in this record (it says so)."""
    created_at = created_at or utcnow()
    pdf = ReportPDF(f"Learner record \u2013 {learner.display_name}", created_at)
    pdf.running_left = "CRM Sandbox \u00b7 Learner record"
    pdf.running_right = f"{learner.display_name} ({learner.username})"
    pdf.add_page()
    pdf.title_block(
        "Learner record",
        f"{learner.display_name} ({learner.username}) \u00b7 {learner.cohort.name if learner.cohort else 'no cohort'}",
    )
    assessors = sorted({rv.assessment.assessor.display_name for rv in reviews if rv.assessment})
    signed = [rv.assessment for rv in reviews if rv.assessment]
    pdf.details(
        [
            ("Learner", f"{learner.display_name} ({learner.username})"),
            ("Cohort", learner.cohort.name if learner.cohort else "\u2013"),
            ("Contacts", f"{len(reviews)} opened, {len(signed)} signed off"),
            *([("Left out", r.left_out_note(left_out))] if left_out else []),
            ("Assessors", ", ".join(assessors) or "\u2013"),
            *r.summary_rows(reviews),
            ("Assessment method", r.METHOD),
        ]
    )

    pdf.section("Key performance indicators", "Averages over the learner's closed contacts.")
    lk = r.learner_kpi_rows(kpi_service.learner_kpis([rv.kpis for rv in reviews]))
    pdf.grid([label for label, _ in lk], [[value for _, value in lk]], (1,) * len(lk), size=8)

    pdf.section(
        "Contacts", "Only observed assessments are evidence of competence; practice contacts are formative feedback."
    )
    rows, styles = [], {}
    for i, rv in enumerate(reviews):
        label = r.listed_outcome(rv) + (f" (v{rv.assessment.version})" if rv.assessment else "")
        styles[(i, 5)] = FontFace(
            emphasis="BOLD",
            color=OUTCOME_COLOURS.get(rv.assessment.outcome if rv.assessment else None, OUTCOME_COLOURS[None])[1],
        )
        ack = "signed" if rv.assessment and rv.assessment.acknowledged_at else "awaiting"
        rows.append(
            [
                r.contact_ref(rv.contact),
                rv.contact.title,
                mode_label(rv.contact.mode),
                rv.contact.channel.capitalize(),
                r.stamp(rv.contact.closed_at) or rv.contact.status,
                label,
                r.criteria_summary(rv),
                str(len(rv.findings)),
                ack,
            ]
        )
    if rows:
        pdf.grid(
            ["Contact", "Scenario", "Mode", "Channel", "Closed", "Outcome", "Criteria", "Findings", "Learner"],
            rows,
            (15, 26, 21, 15, 20, 21, 19, 16, 15),  # wide enough for each heading in DejaVu Sans Bold
            size=7.8,
            styles=styles,
        )
    else:
        pdf.para("The learner has not opened any contacts yet.", 9, "I", MUTED)

    _render_level3(pdf, learner)
    for rv in reviews:
        _render_contact(pdf, rv)
    return _finish(pdf, compress)


def _render_level3(pdf: ReportPDF, learner: User) -> None:
    """The learner's Level 3 work (issue 21): each task, what they did, and its sign-off."""
    views = [task_view(t) for t in tasks_of(learner.id)]
    if not views:
        return
    pdf.section("Level 3 work", "Quality reviews, performance monitoring, root causes and professional discussions.")
    for v in views:
        outcome = f": {words_of(v.task.outcome)}" if v.task.outcome else ""
        pdf.para(f"{v.task.title} ({v.task.status_label}{outcome})", 9, "B")
        for line in r.level3_lines(v):
            pdf.para(line, 8.5)
