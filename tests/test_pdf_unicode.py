"""PDF records print every name as written: Latin, Polish, Nordic, Greek, Chinese, emoji; never "?".

The text is read back with pypdf, as a reader copying or searching the PDF would get it.
"""

import io
import logging
from datetime import datetime, timezone

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Contact, User
from crm_sandbox.queries.review import contact_review, learner_reviews
from crm_sandbox.reports import fonts, pdf
from tests.reporting import review_contact, reviewed  # noqa: F401  (fixture)

LEARNER, ASSESSOR, COHORT = "Zoë Ødegård-Łukasiewicz", "王秀英", "Spring 2027 \U0001f338"
CALLER, COLLEAGUE, SURNAME = "Åsa", "Źdźbło", "Παπαδόπουλος"
NAMES = ("Zoë", "Łukasiewicz", "Ødegård", LEARNER, ASSESSOR, COHORT, CALLER, COLLEAGUE, SURNAME)
WHEN = datetime(2026, 3, 12, 10, 30, tzinfo=timezone.utc)


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def latin1(name: str) -> str:
    """The name as the Latin-1 Helvetica PDFs printed it ("Łukasiewicz" -> "?ukasiewicz")."""
    return name.encode("latin-1", "replace").decode("latin-1")


@pytest.fixture
def international(app, client, make_user, login, contact_of):
    """learner1 (Zoë Ødegård-Łukasiewicz, cohort "Spring 2027 🌸") talks to Åsa about Mr Παπαδόπουλος and
    Ms Źdźbło; 王秀英 signs the contact off and releases it; Zoë acknowledges it."""
    uid = make_user("learner1", queue=["change-of-address", "balance-enquiry"])
    aid = make_user("assessor1", "assessor")
    with app.app_context(), write_transaction():
        db.session.get(User, uid).display_name = LEARNER
        db.session.get(User, aid).display_name = ASSESSOR
        db.session.execute(select(Cohort)).scalar_one().name = COHORT
    login("learner1")
    cid = contact_of(uid, "change-of-address")
    base = f"/learner/contacts/{cid}"
    client.post(f"{base}/open")
    client.post(f"{base}/messages", data={"text": f"Hello {CALLER}, my name is Zoë. How can I help?"})
    client.post(f"{base}/messages", data={"text": f"I'll note Mr {SURNAME} and Ms {COLLEAGUE} as your contacts."})
    client.post(f"{base}/close", data={"outcome": "resolved", "resolved": "yes"})
    review_contact(app, cid, release=True, acknowledge=f"Dziękuję – {LEARNER}")
    return {"learner_id": uid, "contact_id": cid}


def contact_record(app, cid: int) -> bytes:
    with app.app_context():
        return pdf.contact_pdf(contact_review(db.session.get(Contact, cid)), created_at=WHEN)


def learner_record(app, uid: int) -> bytes:
    with app.app_context():
        learner = db.session.get(User, uid)
        return pdf.learner_pdf(learner, learner_reviews(learner), created_at=WHEN)


@pytest.mark.parametrize("record", ["contact", "learner"])
def test_every_name_prints_as_written_and_never_as_question_marks(app, international, record):
    data = (
        contact_record(app, international["contact_id"])
        if record == "contact"
        else learner_record(app, international["learner_id"])
    )
    text = text_of(data)
    assert b"NotoSansSC" in data and b"NotoEmoji" in data  # real glyphs for 王秀英 and 🌸, not boxes
    for name in NAMES:
        assert name in text, name
        if latin1(name) != name:
            assert latin1(name) not in text, latin1(name)
    assert "??" not in text and "Spring 2027 ?" not in text
    assert f"{ASSESSOR} (assessor1)" in text and f"Dziękuję – {LEARNER}" in text


def test_helvetica_setting_is_latin1_only(app, international):
    """The old built-in font stays available (the benchmark's peer): it is why names printed as "?"."""
    app.config["PDF_FONT"] = "helvetica"
    text = text_of(contact_record(app, international["contact_id"]))
    assert "Zoë" in text and latin1(LEARNER) in text and "??? (assessor1)" in text


def test_a_character_no_font_has_is_a_visible_box_and_stays_in_the_text():
    thai = "สมชาย"  # in none of DejaVu Sans, Noto Sans SC, Noto Emoji
    doc = pdf.ReportPDF("Record", WHEN)
    doc.add_page()
    doc.para(f"Caller: {thai} Rattanakosin")
    data = bytes(doc.output(output_producer_class=fonts.TrimmedOutput))
    box = fonts.parsed(fonts.FAMILY).font.cmap[fonts.PLACEHOLDER]
    drawn = {
        g.unicode[0]: g.glyph_name for g, _ in doc.fonts[fonts.MISSING].subset.items() if g and g.unicode[0] > 0x20
    }
    assert drawn == {ord(ch): box for ch in thai}  # each drawn as the white square
    text = text_of(data)
    assert f"Caller: {thai} Rattanakosin" in text and "?" not in text


def test_fallback_glyphs_are_measured_in_their_own_font_so_lines_wrap_inside_the_column():
    doc = pdf.ReportPDF("Record", WHEN)
    doc.add_page()
    doc.font(10)
    one_em = 10 / doc.k  # Noto Sans SC's ideographs are one em wide; DejaVu would guess its .notdef width
    assert doc.width_of("王") == pytest.approx(one_em)
    assert doc.width_of(f"{ASSESSOR} (assessor1)") == pytest.approx(3 * one_em + doc.width_of(" (assessor1)"))
    assert doc.width_of("🌸") > 0 and doc.width_of(COHORT) == pytest.approx(
        doc.width_of("Spring 2027 ") + doc.width_of("🌸")
    )
    long_name = ASSESSOR * 12 + " " + LEARNER
    lines = doc.wrap(long_name, 20)
    assert "".join(lines).replace(" ", "") == long_name.replace(" ", "") and len(lines) > 2
    assert all(doc.width_of(line) <= 20 for line in lines)


def test_a_latin_only_record_embeds_only_dejavu(app, reviewed):
    data = contact_record(app, reviewed["contact_id"])
    assert b"DejaVuSans" in data and b"NotoSansSC" not in data and b"NotoEmoji" not in data


def test_no_name_reaches_the_logs(app, international, caplog):
    """fpdf2 logs the characters a font lacks; with fallbacks and the box, none is ever missing."""
    with caplog.at_level(logging.DEBUG):
        contact_record(app, international["contact_id"])
        learner_record(app, international["learner_id"])
    for name in NAMES:
        assert name not in caplog.text
    assert "missing" not in caplog.text
