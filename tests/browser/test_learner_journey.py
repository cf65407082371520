"""A learner verifies a caller in a real browser: details stay masked until ID&V passes."""

from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, User
from tests.browser.helpers import take_from_queue


def first_contact(app):
    with app.app_context():
        learner = db.session.execute(select(User).where(User.username == "learner1")).scalar_one()
        contact = (
            db.session.execute(select(Contact).where(Contact.learner_id == learner.id).order_by(Contact.position))
            .scalars()
            .first()
        )
        c = contact.customer
        return {
            "id": contact.id,
            "last_name": c.last_name,
            "postcode": c.postcode,
            "dob": date.fromisoformat(c.date_of_birth),
            "account": c.account_number,
            "email": c.email,
        }


def test_learner_fails_then_passes_verification(page, live_app, sign_in):
    facts = first_contact(live_app)
    sign_in("learner1")
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()
    # Queue entries are neutral ("Inbound chat"): the row is found by its form, not a scenario title.
    take_from_queue(page, facts["id"])  # one click: the contact is taken and its desk opens

    page.get_by_label("Search customers").fill(facts["last_name"])
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name=facts["last_name"]).first.click()
    expect(page.locator("#idv")).to_contain_text("Not verified")

    # A wrong date of birth: no match, and the details stay masked.
    page.get_by_label("Date of birth").fill("01/01/1900")
    page.locator("form:has(#answer-date_of_birth)").get_by_role("button", name="Check").click()
    expect(page.locator(".flash")).to_contain_text("No match")
    expect(page.locator("#idv")).to_contain_text("Not verified")
    body = page.content()
    assert facts["account"] not in body and facts["email"] not in body

    # The right answers, typed as a caller would say them.
    page.get_by_label("Date of birth").fill(facts["dob"].strftime("%d %B %Y"))
    page.locator("form:has(#answer-date_of_birth)").get_by_role("button", name="Check").click()
    expect(page.locator(".flash")).to_contain_text("Match")
    page.get_by_label("Postcode").fill(facts["postcode"].lower())
    page.locator("form:has(#answer-postcode)").get_by_role("button", name="Check").click()
    expect(page.locator("#idv")).to_contain_text("Verified")
    expect(page.locator(".fields")).to_contain_text(facts["account"])
    expect(page.locator(".fields")).to_contain_text(facts["email"])

    # A wrong postcode in a details update: the page comes back with it still typed, the field
    # focused and described by the message, and the Update form open.
    page.locator("#action-details > summary").click()
    page.locator("#detail-field").select_option("postcode")
    page.get_by_label("New value").fill("LS1 4A")
    page.get_by_role("button", name="Update record").click()
    expect(page.locator(".flash-error")).to_contain_text("not a UK postcode")
    value = page.get_by_label("New value")
    expect(value).to_have_value("LS1 4A")
    expect(value).to_be_focused()
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(value).to_have_accessible_description("That is not a UK postcode (for example LS1 4AP).")
    expect(page.locator("#detail-field")).to_have_value("postcode")
