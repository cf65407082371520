"""Shared set-up for the report and pack tests: a played, reviewed contact, and PDF text extraction."""

import re
import zlib

import pytest
from sqlalchemy import select

from crm_sandbox.cli import get_or_create_cohort
from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, User
from crm_sandbox.operations import review as review_service
from crm_sandbox.operations.cohorts.accounts import create_user
from crm_sandbox.queries.review import contact_review
from tests.conftest import PASSWORD


def play_change_of_address(app, client, cid: int) -> None:
    """A leading ID&V question, a change before verification, a note with a formula and £, then close."""
    with app.app_context():
        dob = db.session.get(Contact, cid).customer.date_of_birth
    y, m, d = dob.split("-")
    base = f"/learner/contacts/{cid}"
    client.post(f"{base}/open")
    client.post(f"{base}/messages", data={"text": f"Hello! Is your date of birth {d}/{m}/{y}?"})
    client.post(f"{base}/details", data={"field": "address_line1", "value": "3 Park Grove"})
    client.post(
        f"{base}/messages", data={"text": "I\u2019ve updated your address \u2013 that\u2019s all done, £0 fee."}
    )
    client.post(f"{base}/close", data={"outcome": "resolved", "resolved": "yes"})


COMPETENT_DESPITE = "The leading question was the only slip; everything else was handled well."


def observed_assessment(app, cid: int, assessor: str = "assessor1") -> None:
    """Make ``cid`` an observed assessment by ``assessor`` (as a trainer's assignment would), not practice."""
    with app.app_context(), write_transaction():
        contact = db.session.get(Contact, cid)
        contact.mode = "assessment"
        contact.assessor_id = db.session.execute(select(User.id).where(User.username == assessor)).scalar_one()


def review_contact(
    app,
    cid: int,
    assessor: str = "assessor1",
    *,
    outcome: str | None = None,
    release=False,
    acknowledge: str | None = None,
) -> None:
    """Confirm the first finding, dismiss the second (with a comment) then confirm it, confirm the rest;
    judge verify-identity not yet met, contemporaneous-logging met and every other criterion not covered
    (with a comment); sign off: formative on a practice contact, else ``outcome`` (not yet competent by
    default; competent with a reason, since a criterion is not yet met)."""
    with app.app_context():
        contact = db.session.get(Contact, cid)
        user = db.session.execute(select(User).where(User.username == assessor)).scalar_one()
        rv = contact_review(contact)
        findings = [f for f in rv.findings if f.source == "rules"]
        review_service.decide_finding(findings[0], user, "confirmed", "Leading question: the DOB was read out.", 0)
        if len(findings) > 1:
            review_service.decide_finding(findings[1], user, "dismissed", '=HYPERLINK("http://x") scripted', 0)
            review_service.decide_finding(findings[1], user, "confirmed", "On reflection, it stands.", 1)
        for f in rv.findings:
            if f not in findings[:2]:
                review_service.decide_finding(f, user, "confirmed", "Stands.", len(f.decisions))
        review_service.judge_criterion(
            contact, user, "verify-identity", "not_met", "Asked a leading question and changed the address before ID&V."
        )
        review_service.judge_criterion(contact, user, "contemporaneous-logging", "met", "")
        for row in rv.criteria:
            if row.criterion.id not in ("verify-identity", "contemporaneous-logging") and row.status is None:
                review_service.judge_criterion(
                    contact, user, row.criterion.id, "not_covered", "Not shown on this contact."
                )
        outcome = outcome or ("formative" if contact.mode == "practice" else "not_yet_competent")
        review_service.sign_off(
            contact,
            user,
            outcome,
            "Use open questions for ID&V \u2013 \u201cWhat is your date of birth?\u201d.",
            COMPETENT_DESPITE if outcome == "competent" else "",
        )
        if release:
            review_service.release(contact, user)
        if acknowledge:
            review_service.acknowledge(contact, contact.learner, acknowledge)


def other_cohort_assessor(app, username: str = "assessor9") -> int:
    with app.app_context(), write_transaction():
        other = get_or_create_cohort("Other cohort")
        user = create_user(username, PASSWORD, "assessor", cohort=other)
        db.session.flush()
        return user.id


@pytest.fixture
def reviewed(app, client, make_user, login, contact_of):
    """learner1's change-of-address contact, an observed assessment, played and reviewed by assessor1
    (not yet competent; not released)."""
    uid = make_user("learner1", queue=["change-of-address", "balance-enquiry"])
    make_user("assessor1", "assessor")
    login("learner1")
    cid = contact_of(uid, "change-of-address")
    observed_assessment(app, cid)
    play_change_of_address(app, client, cid)
    client.post("/auth/logout")
    review_contact(app, cid)
    return {"learner_id": uid, "contact_id": cid}


# --- PDF text, without a PDF library: inflate streams, map glyph ids through each font's ToUnicode ---
def _objects(data: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Object number -> (dictionary text, decoded stream or None)."""
    objs = {}
    for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", data, re.S):
        body, stream = m.group(2), None
        sm = re.search(rb"stream\r?\n(.*)endstream", body, re.S)
        if sm:
            head = body[: sm.start()]
            length = re.search(rb"/Length\s+(\d+)(?!\s+\d+\s+R)", head)
            stream = sm.group(1)[: int(length.group(1))] if length else sm.group(1).rstrip(b"\r\n")
            if b"/FlateDecode" in head:
                try:
                    stream = zlib.decompress(stream)
                except zlib.error:
                    stream = b""
            body = head
        objs[int(m.group(1))] = (body, stream)
    return objs


def _cmap(stream: bytes) -> dict[int, str]:
    cmap = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            cmap[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", stream, re.S):
        for a, b, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            first = int.from_bytes(bytes.fromhex(dst.decode()), "big")
            for i, code in enumerate(range(int(a, 16), int(b, 16) + 1)):
                cmap[code] = chr(first + i)
    return cmap


def pdf_text(data: bytes) -> str:
    """The text drawn on the pages (each string in order, pages separated by newlines), for assertions.

    Works on uncompressed and Flate-compressed fpdf2 output, TrueType (two bytes per glyph) or core fonts.
    """
    objs = _objects(data)
    font_maps: dict[bytes, dict[int, str] | None] = {}
    for body, _ in objs.values():
        for fd in re.findall(rb"/Font\s*<<(.*?)>>", body, re.S):
            for name, num in re.findall(rb"/(\w+)\s+(\d+)\s+0\s+R", fd):
                font = objs.get(int(num), (b"", None))[0]
                tu = re.search(rb"/ToUnicode\s+(\d+)\s+0\s+R", font)
                font_maps[name] = _cmap(objs[int(tu.group(1))][1] or b"") if tu else None
    text = []
    for body, stream in objs.values():
        if not stream or b"BT" not in stream or b"Tf" not in stream:
            continue
        cmap = None
        for font, lit in re.findall(rb"/(\w+)\s+[\d.]+\s+Tf|\(((?:\\.|[^\\)])*)\)\s*Tj", stream, re.S):
            if font:
                cmap = font_maps.get(font)
                continue
            raw = _unescape(lit)
            if cmap is not None:  # a TrueType (Type0) font: two bytes per glyph
                text.append(
                    "".join(cmap.get(int.from_bytes(raw[i : i + 2], "big"), "?") for i in range(0, len(raw) - 1, 2))
                )
            else:
                text.append(raw.decode("latin-1"))
        text.append("\n")
    return " ".join(text)


ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(lit: bytes) -> bytes:
    def sub(m):
        code = m.group(1)
        if code[:1].isdigit():
            return bytes([int(code, 8) & 0xFF])
        return ESCAPES.get(code, code)

    return re.sub(rb"\\([0-7]{1,3}|.)", sub, lit, flags=re.S)


def decide_and_sign(contact, assessor, feedback: str = "Clear ID&V and a full answer.", outcome: str | None = None):
    """Decide everything a sign-off needs (every finding confirmed, every undecided criterion not covered,
    with a comment), then sign off: formative on a practice contact, ``outcome`` (competent) otherwise.
    Services only; call it in an app context."""
    rv = contact_review(contact)
    for f in rv.findings:
        if f.decision is None:
            review_service.decide_finding(f, assessor, "confirmed", "Stands.", len(f.decisions))
    for row in rv.criteria:
        if row.status is None:
            review_service.judge_criterion(contact, assessor, row.criterion.id, "not_covered", "Not shown here.")
    outcome = outcome or ("formative" if contact.mode == "practice" else "competent")
    return review_service.sign_off(contact, assessor, outcome, feedback, COMPETENT_DESPITE)
