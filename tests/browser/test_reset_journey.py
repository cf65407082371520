"""A trainer, in a real browser, resets a cohort with work still unfinished: the confirmation lists the
contact not yet reviewed, the review not signed off and the report the learner has not signed; "Go back"
changes nothing; the red "Reset anyway" (behind the typed name) archives everything; and the archive
still gives the learner's report and pack, under the learner's name, after the account is gone.

Set CRM_SCREENSHOTS=docs/screenshots to save the confirmation and the archive as screenshots.
"""

import re
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import func, select

from crm_sandbox.admin.packs import verify_pack
from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import ArchivedPack, Cohort, Contact, User
from crm_sandbox.operations import review
from crm_sandbox.operations.desk import lifecycle
from tests.browser.helpers import shot
from tests.browser.test_accessibility import AXE, RUN_AXE
from tests.reporting import decide_and_sign

RED = "rgb(185, 28, 28)"  # --bad in app.css


def user(name: str) -> User:
    return db.session.execute(select(User).where(User.username == name)).scalar_one()


def unfinished_work(app) -> dict:
    """learner1 ("Riya Patel"): one contact closed and not reviewed, one with a review started but not
    signed off, one signed off and released but not acknowledged; the rest queued."""
    with app.app_context():
        with write_transaction():
            user("learner1").display_name = "Riya Patel"
        learner, assessor = user("learner1"), user("assessor1")
        queue = (
            db.session.execute(select(Contact).where(Contact.learner_id == learner.id).order_by(Contact.position))
            .scalars()
            .all()
        )
        unreviewed, unsigned, unacknowledged = queue[:3]
        for contact in (unreviewed, unsigned, unacknowledged):
            lifecycle.open_contact(contact, learner)
            lifecycle.close_contact(contact, learner, "resolved", "yes")
        review.judge_criterion(unsigned, assessor, "verify-identity", "met", "Open questions for ID&V.")
        decide_and_sign(unacknowledged, assessor, "Open ID&V questions throughout.")  # practice: formative
        review.release(unacknowledged, assessor)
        return {
            "cohort": learner.cohort_id,
            "unreviewed": unreviewed.id,
            "unsigned": unsigned.id,
            "unacknowledged": unacknowledged.id,
        }


def state(app, cohort_id: int) -> tuple:
    with app.app_context():
        return (
            db.session.get(Cohort, cohort_id).generation,
            db.session.execute(select(func.count(Contact.id)).where(Contact.cohort_id == cohort_id)).scalar(),
            db.session.execute(select(func.count(User.id)).where(User.cohort_id == cohort_id)).scalar(),
            db.session.execute(select(func.count(ArchivedPack.id))).scalar(),
        )


def no_serious_violations(page) -> None:
    assert page.evaluate(RUN_AXE) == [], page.url


def test_reset_lists_unfinished_work_then_archives_it_per_learner(page, live_app, sign_in, tmp_path):
    live_app.config["ARCHIVE_DIR"] = str(tmp_path / "archive")
    w = unfinished_work(live_app)
    before = state(live_app, w["cohort"])
    page.add_init_script(path=str(AXE))  # injected by the browser, not the page: the CSP stays strict
    sign_in("trainer1")
    page.get_by_role("link", name="Browser cohort").click()
    page.get_by_role("link", name=re.compile("Reset this cohort")).click()

    # What is unfinished, by kind, with the learner and the contact reference.
    expect(page.get_by_role("heading", name="Reset Browser cohort?")).to_be_visible()
    expect(page.locator("#unfinished")).to_contain_text("Unfinished work (3 contacts)")
    for kind, contact_id in (
        ("Closed contacts not yet reviewed (1)", w["unreviewed"]),
        ("Reviews started but not signed off (1)", w["unsigned"]),
        ("Released reports not yet acknowledged by the learner (1)", w["unacknowledged"]),
    ):
        listed = page.get_by_role("table", name=kind)
        expect(listed).to_contain_text(f"c-{contact_id}")
        expect(listed).to_contain_text("Riya Patel")
    expect(page.locator("#unfinished")).not_to_contain_text("Live contacts")

    # The destructive button is red, unlike "Go back", and reached by keyboard with a visible focus.
    reset = page.get_by_role("button", name=re.compile(r"Reset anyway \(everything is archived first\)"))
    go_back = page.get_by_role("link", name="Go back")
    assert reset.evaluate("b => getComputedStyle(b).backgroundColor") == RED
    assert go_back.evaluate("b => getComputedStyle(b).backgroundColor") != RED
    page.get_by_label(re.compile("Type the cohort name")).focus()
    page.keyboard.press("Tab")
    expect(reset).to_be_focused()
    assert reset.evaluate("b => getComputedStyle(b).outlineStyle") == "solid"
    no_serious_violations(page)
    shot(page, "trainer-reset")

    # "Go back" changes nothing.
    go_back.click()
    expect(page.get_by_role("heading", name=re.compile("Browser cohort"))).to_be_visible()
    assert state(live_app, w["cohort"]) == before
    assert not (tmp_path / "archive").exists()

    # Reset anyway, with the typed name.
    page.get_by_role("link", name=re.compile("Reset this cohort")).click()
    page.get_by_label(re.compile("Type the cohort name")).fill("Browser cohort")
    page.get_by_role("button", name=re.compile("Reset anyway")).click()
    expect(page.locator(".flash")).to_contain_text(
        "1 evidence pack(s) archived (3 unfinished contact(s) as they stood)"
    )
    expect(page.locator("#members")).to_contain_text("No accounts yet")
    assert state(live_app, w["cohort"])[0] == 1

    # The archive: the learner by name, what was unfinished, and their report and pack to download.
    page.get_by_role("link", name="← All cohorts").click()
    page.get_by_role("link", name="Evidence archive").click()
    row = page.get_by_role("row", name=re.compile("Riya Patel"))
    expect(row).to_contain_text(f"c-{w['unreviewed']}")
    for said in ("not reviewed", "review not signed off", "report not acknowledged"):
        expect(row).to_contain_text(said)
    expect(row.locator(".badge-ok")).to_have_text("Valid")
    no_serious_violations(page)
    shot(page, "trainer-archive")
    with page.expect_download() as report:
        row.get_by_role("link", name=re.compile("Learner report")).click()
    assert report.value.suggested_filename.endswith("-report.pdf")
    assert Path(report.value.path()).read_bytes()[:5] == b"%PDF-"
    with page.expect_download() as pack:
        row.get_by_role("link", name=re.compile("Evidence pack")).click()
    assert verify_pack(pack.value.path()) == []
