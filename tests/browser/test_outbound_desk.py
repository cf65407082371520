"""The outbound desk flow in a real browser (issue 22): take the callback, find the record, a number not
on the record is refused beside the form, the record's number is dialled, whoever answers speaks first,
and the adviser verifies before discussing the account. No page load; axe stays clean."""

import re
from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, User
from tests.browser.helpers import events_of, shot, take_from_queue
from tests.browser.test_live_desk import MARKER, RUN_AXE, signed_in


def outbound_facts(app) -> dict:
    with app.app_context():
        learner = db.session.execute(select(User).where(User.username == "learner1")).scalar_one()
        contact = db.session.execute(
            select(Contact).where(Contact.learner_id == learner.id, Contact.scenario_id == "outbound-callback")
        ).scalar_one()
        c = contact.customer
        return {
            "id": contact.id,
            "customer_id": c.id,
            "last_name": c.last_name,
            "phone": c.phone,
            "dob": date.fromisoformat(c.date_of_birth),
            "postcode": c.postcode,
        }


def test_an_outbound_call_is_dialled_from_the_record(browser, live_app):
    facts = outbound_facts(live_app)
    page = signed_in(browser, live_app, "learner1")
    expect(page.locator(f'tbody tr:has(form[action="/learner/contacts/{facts["id"]}/open"])')).to_contain_text(
        "Outbound call"
    )
    take_from_queue(page, facts["id"])
    page.evaluate(f"{MARKER} = 'still here'")
    expect(page.locator("#contact-title")).to_have_text("Outbound call")
    expect(page.locator("#callback")).to_contain_text("Find their record")
    expect(page.locator("#conversation .msg-caller")).to_have_count(0)  # nobody has answered yet

    page.get_by_label("Search customers").fill(facts["last_name"])
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("button", name=facts["last_name"]).first.click()
    expect(page.locator("#dial-record")).to_be_visible()
    assert facts["phone"] not in page.content()  # the number is dialled from the record, not shown

    # A number that is not on the record: refused beside the form, nothing dialled.
    page.get_by_label("Or type the number to dial").fill("0113 496 0999")
    page.locator("#dial-typed").click()
    expect(page.locator("#callback .form-error")).to_contain_text("not on the customer's record")
    assert "call.dialled" not in [e.type for e in events_of(live_app, facts["id"])]
    shot(page, "outbound-refused")

    # The record's number: connected; whoever answers speaks first.
    page.get_by_label("Or type the number to dial").fill("")
    page.locator("#dial-record").click()
    expect(page.locator("#conversation .msg-caller").last).to_contain_text("Hello?")
    expect(page.locator("#call-state")).to_contain_text("may not be the customer")

    page.locator("#text").fill("Hello, this is Sam calling from Sandbox Bank. Who am I speaking to, please?")
    page.locator("#composer").get_by_role("button", name="Say it", exact=True).click()
    expect(page.locator("#conversation .msg-caller").last).to_contain_text("speaking")

    page.get_by_label("Date of birth").fill(facts["dob"].strftime("%d/%m/%Y"))
    page.locator("form:has(#answer-date_of_birth)").get_by_role("button", name="Check").click()
    expect(page.locator("#flashes")).to_contain_text("Match")
    page.get_by_label("Postcode").fill(facts["postcode"])
    page.locator("form:has(#answer-postcode)").get_by_role("button", name="Check").click()
    expect(page.locator("#idv")).to_contain_text("Verified")
    shot(page, "outbound-connected")

    types = [e.type for e in events_of(live_app, facts["id"])]
    assert types.count("call.dialled") == 1 and types.index("call.dialled") < types.index("idv.result")
    assert page.evaluate(RUN_AXE) == []
    assert page.evaluate(MARKER) == "still here", "the page was reloaded"
    assert re.search(rf"/learner/contacts/{facts['id']}$", page.url)
