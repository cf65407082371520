"""The desk feels live: a learner works a whole chat without one page load, sees the caller typing, and the
assessor's dashboard follows without a reload. Messages never move the workspace; axe stays clean."""

import re
from datetime import date
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, User
from crm_sandbox.queries import caller_state
from tests.browser.conftest import PASSWORD
from tests.browser.helpers import take_from_queue

AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id + ': ' + v.help);
}"""
MARKER = "window.__sameDocument"


def facts_of(app) -> dict:
    with app.app_context():
        learner = db.session.execute(select(User).where(User.username == "learner1")).scalar_one()
        contacts = db.session.execute(
            select(Contact).where(Contact.learner_id == learner.id).order_by(Contact.position)
        ).scalars()
        chat = next(c for c in contacts if c.scenario_id == "balance-enquiry")
        c = chat.customer
        return {
            "id": chat.id,
            "customer_id": c.id,
            "last_name": c.last_name,
            "dob": date.fromisoformat(c.date_of_birth),
            "postcode": c.postcode,
            "account": c.account_number,
        }


def signed_in(browser, app, username: str) -> Page:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=app.config["BASE_URL"])
    context.add_init_script(path=str(AXE))  # injected by the browser, not the page: the CSP stays strict
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/auth/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


def top(page: Page, selector: str) -> float:
    """Where ``selector`` starts in the window: a layout shift moves it."""
    return page.evaluate(f"document.querySelector('{selector}').getBoundingClientRect().y")


def test_a_whole_chat_without_a_page_load(browser, live_app, monkeypatch):
    typing = {"on": False}
    monkeypatch.setattr(caller_state, "caller_typing", lambda contact, events=None: typing["on"])  # the caller19 hook
    facts = facts_of(live_app)

    assessor = signed_in(browser, live_app, "assessor1")
    assessor.goto("/assessor/")
    expect(assessor.locator("#awaiting-title")).to_have_text("Awaiting review (0)")
    assessor.evaluate(f"{MARKER} = 'still here'")

    page = signed_in(browser, live_app, "learner1")
    take_from_queue(page, facts["id"])  # one click from the queue: the desk opens on the live contact
    expect(page.locator("#contact-status")).to_have_text("Live")
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))
    page.evaluate(f"{MARKER} = 'still here'")
    convo_top = top(page, "#conversation")

    # The caller types: the indicator shows (in its own line: the conversation does not move), then goes.
    typing["on"] = True
    expect(page.locator("#typing")).to_have_text("The caller is typing…")
    assert top(page, "#conversation") == convo_top
    typing["on"] = False
    expect(page.locator("#typing")).to_have_text("")

    # Find the caller and open the record: the customer panel changes, the page stays.
    page.get_by_label("Search customers").fill(facts["last_name"])
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("button", name=facts["last_name"]).first.click()
    expect(page.locator("#idv")).to_contain_text("Not verified")

    # ID&V: each answer's result is a message on its own row, which never pushes the workspace down.
    page.get_by_label("Date of birth").fill(facts["dob"].strftime("%d/%m/%Y"))
    page.locator("form:has(#answer-date_of_birth)").get_by_role("button", name="Check").click()
    expect(page.locator("#flashes")).to_contain_text("Match")
    assert top(page, "#conversation") == convo_top
    page.get_by_label("Postcode").fill(facts["postcode"])
    page.locator("form:has(#answer-postcode)").get_by_role("button", name="Check").click()
    expect(page.locator("#idv")).to_contain_text("Verified")
    expect(page.locator(".fields")).to_contain_text(facts["account"])

    # Canned responses are searchable: typing narrows the list, Enter takes the first match.
    page.get_by_label("Search canned replies").fill("balance")
    expect(page.locator("#template-count")).to_contain_text("match")
    page.get_by_label("Search canned replies").press("Enter")
    expect(page.locator("#text")).to_have_value(re.compile("balance", re.I))
    page.locator("#composer").get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#conversation .msg-learner").last).to_contain_text(re.compile("balance", re.I))

    # A note, then an address change in one form.
    page.get_by_label("New note").fill("Caller asked for the balance; verified by DOB and postcode.")
    page.get_by_role("button", name="Save note").click()
    expect(page.locator("#notes .note-text").first).to_contain_text("asked for the balance")
    page.locator("#action-address > summary").click()
    page.get_by_label("New address, line 1").fill("7 Weaver Street")
    page.get_by_label("Town or city").fill("Leeds")
    page.get_by_label("Post code").fill("LS1 4AP")
    page.locator("#action-address").get_by_role("button", name="Change address").click()
    expect(page.locator("#flashes")).to_contain_text("Address updated")
    expect(page.locator(".fields")).to_contain_text("7 Weaver Street")

    # Wrap-up is always there (never in a collapsed panel); closing offers the next contact.
    wrapup = page.locator("#wrapup-panel")
    expect(wrapup).to_be_visible()
    wrapup.get_by_label("Outcome").select_option("resolved")
    wrapup.get_by_label("Yes").check()
    wrapup.get_by_role("button", name="Close contact").click()
    expect(page.locator("#contact-status")).to_have_text("Closed")
    assert page.evaluate(RUN_AXE) == []

    # The assessor's dashboard has followed, without a reload.
    expect(assessor.locator("#awaiting-title")).to_have_text("Awaiting review (1)", timeout=15_000)
    assert assessor.evaluate(MARKER) == "still here"

    page.get_by_role("button", name=re.compile("^Take the next contact")).click()
    expect(page.locator("#contact-status")).to_have_text("Live")
    assert page.url.rstrip("/") != f"{live_app.config['BASE_URL']}/learner/contacts/{facts['id']}"
    expect(page.locator("#contact-title")).to_be_focused()
    assert page.evaluate(RUN_AXE) == []

    assert page.evaluate(MARKER) == "still here", "the page was reloaded"
    assert loads == [], f"page loads: {loads}"
