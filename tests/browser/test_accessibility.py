"""Every main page of every role: axe-core finds no serious or critical violation, nothing loads from
outside the sandbox, and the learner can work a whole contact by keyboard.

Set CRM_SCREENSHOTS=docs/screenshots to also save a 1366x768 screenshot of each page.
"""

import os
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, User
from crm_sandbox.operations import review
from crm_sandbox.operations.cohorts.accounts import create_user
from crm_sandbox.operations.desk import contacts, conversation, identity, lifecycle, notes
from tests.browser.conftest import PASSWORD
from tests.reporting import decide_and_sign

AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
    .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


def user(name: str) -> User:
    return db.session.execute(select(User).where(User.username == name)).scalar_one()


@pytest.fixture
def world(live_app):
    """learner1: one live verified contact, one closed and reviewed (released), the rest queued."""
    with live_app.app_context():
        learner, assessor = user("learner1"), user("assessor1")
        queue = (
            db.session.execute(select(Contact).where(Contact.learner_id == learner.id).order_by(Contact.position))
            .scalars()
            .all()
        )
        live, closed, queued = queue[0], queue[1], queue[2]
        for c in (live, closed):
            lifecycle.open_contact(c, learner)
            contacts.search_customers(c, learner, c.customer.last_name)
            contacts.view_customer(c, learner, c.customer_id)
        identity.submit_answer(live, learner, live.customer_id, "date_of_birth", live.customer.date_of_birth)
        identity.submit_answer(live, learner, live.customer_id, "postcode", live.customer.postcode)
        conversation.send_message(live, learner, "Thank you, you're verified. How can I help today?")
        conversation.view_article(live, learner, "idv-policy")
        notes.add_note(live, learner, "Caller verified by DOB and postcode.", "information-given")
        dob = date.fromisoformat(closed.customer.date_of_birth)
        conversation.send_message(closed, learner, f"Is your date of birth {dob:%d/%m/%Y}?")
        lifecycle.close_contact(closed, learner, "resolved", "yes")
        decide_and_sign(closed, assessor, "Ask open questions for every ID&V factor.")  # practice: formative
        review.release(closed, assessor)
        with write_transaction():
            create_user("iqa1", PASSWORD, "iqa", cohort=learner.cohort)
        return {
            "live": live.id,
            "closed": closed.id,
            "queued": queued.id,
            "learner": learner.id,
            "cohort": live.cohort_id,
        }


def pages(live_app, w) -> dict[str, list[tuple[str, str]]]:
    """(screenshot name, path) of the main pages, by who signs in to see them."""
    with live_app.test_request_context():
        from flask import url_for

        trainer = [
            ("trainer-console", url_for("trainer.console")),
            ("trainer-cohort", url_for("trainer.cohort", cohort_id=w["cohort"])),
            ("trainer-scenarios", url_for("trainer.scenarios")),
            ("trainer-archive", url_for("trainer.archive_list")),
            ("quality-accounts", url_for("quality.accounts")),
        ]
        return {
            None: [("sign-in", url_for("auth.login")), ("public-key", url_for("reports.public_key"))],
            "learner1": [
                ("learner-queue", url_for("learner.queue")),
                ("learner-contact-queued", url_for("learner.contact", contact_id=w["queued"])),
                ("learner-contact-live", url_for("learner.contact", contact_id=w["live"])),
                ("learner-contact-closed", url_for("learner.contact", contact_id=w["closed"])),
                ("learner-report", url_for("learner.report", contact_id=w["closed"])),
                ("learner-replay", url_for("learner.replay", contact_id=w["closed"], at=6)),
            ],
            "assessor1": [
                ("assessor-dashboard", url_for("assessor.dashboard")),
                ("assessor-observe", url_for("assessor.observe", contact_id=w["live"])),
                ("assessor-review", url_for("assessor.review", contact_id=w["closed"])),
                ("assessor-replay", url_for("assessor.replay", contact_id=w["closed"])),
                ("assessor-report", url_for("reports.contact", contact_id=w["closed"])),
                ("assessor-learner-report", url_for("reports.learner", learner_id=w["learner"])),
                ("assessor-quality", url_for("quality.mine")),
            ],
            "trainer1": trainer,
            "iqa1": [
                ("quality-home", url_for("quality.home")),
                ("quality-plan", url_for("quality.cohort", cohort_id=w["cohort"])),
                ("quality-sample", url_for("quality.sample", contact_id=w["closed"])),
                ("quality-archive", url_for("quality.archive")),
            ],
        }


def sign_in_as(page: Page, username: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_main_pages_have_no_serious_accessibility_violations_and_load_nothing_external(browser, live_app, world):
    base = live_app.config["BASE_URL"]
    shots = os.environ.get("CRM_SCREENSHOTS")
    problems, outside = [], []
    for who, paths in pages(live_app, world).items():
        context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=base)
        context.add_init_script(path=str(AXE))  # injected by the browser, not by the page (CSP stays strict)
        page = context.new_page()
        page.on(
            "request", lambda r: None if r.url.startswith(base) or r.url.startswith("data:") else outside.append(r.url)
        )
        if who:
            sign_in_as(page, who)
        for name, path in paths:
            response = page.goto(path)
            assert response.status == 200, f"{path}: {response.status}"
            page.wait_for_load_state("networkidle")
            for v in page.evaluate(RUN_AXE):
                problems.append(f"{name} ({path}): {v['impact']} {v['id']}: {v['help']} at {v['nodes']}")
            if shots:
                page.screenshot(path=str(Path(shots) / f"{name}.png"))
        context.close()
    assert outside == [], f"pages loaded assets from outside the sandbox: {outside}"
    assert problems == [], "\n".join(problems)


def tab_to(page: Page, locator, limit: int = 120) -> None:
    """Press Tab until ``locator`` has the keyboard focus (fails if it is not reachable). The locator is
    looked up again each time: the desk swaps in the panels a form changed, so the element may be new."""
    for _ in range(limit):
        if locator.evaluate("el => document.activeElement === el"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"not reachable by keyboard: {locator}")


def test_a_whole_contact_can_be_worked_by_keyboard(page, live_app, world):
    with live_app.app_context():
        c = db.session.get(Contact, world["queued"])
        facts = {
            "title": c.title,
            "last_name": c.customer.last_name,
            "dob": date.fromisoformat(c.customer.date_of_birth),
            "postcode": c.customer.postcode,
        }
    page.goto("/auth/login")
    expect(page.get_by_label("Username")).to_be_focused()  # the sign-in form takes the focus itself
    page.keyboard.type("learner1")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()
    page.goto(f"/learner/contacts/{world['queued']}")
    tab_to(page, page.get_by_role("button", name="Take this contact"))
    page.keyboard.press("Enter")
    expect(page.locator("#contact-status")).to_have_text("Live")
    tab_to(page, page.get_by_label("Search customers"))
    page.keyboard.type(facts["last_name"])
    page.keyboard.press("Enter")
    tab_to(page, page.locator(".results button").first)
    page.keyboard.press("Enter")
    tab_to(page, page.locator("#answer-date_of_birth"))
    page.keyboard.type(facts["dob"].strftime("%d/%m/%Y"))
    page.keyboard.press("Enter")
    # the panel is swapped in with the answer's result: wait for it, as a user does, before the next answer
    expect(page.locator("#idv")).to_contain_text("Date of birth: matched")
    tab_to(page, page.locator("#answer-postcode"))
    page.keyboard.type(facts["postcode"])
    page.keyboard.press("Enter")
    expect(page.locator("#idv")).to_contain_text("Verified")
    tab_to(page, page.locator("#text"))
    page.keyboard.type("Thank you, you're verified. How can I help?")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#conversation")).to_contain_text("How can I help?")
    tab_to(page, page.locator("#note-text"))
    page.keyboard.type("Verified; customer asked about their account.")
    tab_to(page, page.get_by_role("button", name="Save note"))
    page.keyboard.press("Enter")
    expect(page.locator(".notes")).to_contain_text("customer asked about their account")
    tab_to(page, page.locator("#close-outcome"))
    page.keyboard.press("ArrowDown")
    tab_to(page, page.locator("input[name=resolved][value=yes]"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Close contact"))
    page.keyboard.press("Enter")
    expect(page.locator("#contact-status")).to_have_text("Closed")
