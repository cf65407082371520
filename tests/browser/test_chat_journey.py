"""A learner plays the balance-enquiry chat end to end in a real browser.

Takes the contact, greets with a canned response whose placeholders they fill, asks for security
answers (the scripted customer's replies appear live, without a page load, in this tab and in a
second tab on the same contact), verifies with what the caller typed, answers with the balance
canned response (the personal placeholder is offered only now), reads a knowledge-base article,
writes a note with an outcome code and closes with a wrap-up. Then the recorded events are checked.

Set CRM_SCREENSHOTS=/some/dir to keep screenshots of the journey (1366x768).
"""

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.formatting import money
from crm_sandbox.models import Contact, User
from tests.browser.helpers import events_of, shot, take_from_queue

SCENARIO = "balance-enquiry"
MARKER = "window.__sameDocument"
# How the scripted caller types a date of birth or a postcode (crm_sandbox/scenarios/caller.py).
DOB = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)? [A-Z][a-z]+ \d{4}\b|\b\d\d/\d\d/\d\d(?:\d\d)?\b")
POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")


def the_contact(app) -> dict:
    with app.app_context():
        learner = db.session.execute(select(User).where(User.username == "learner1")).scalar_one()
        contact = db.session.execute(
            select(Contact).where(Contact.learner_id == learner.id, Contact.scenario_id == SCENARIO)
        ).scalar_one()
        c = contact.customer
        return {
            "id": contact.id,
            "last_name": c.last_name,
            "first_name": c.first_name,
            "balance": money(c.balance),
        }


def mark_document(page: Page) -> None:
    """A value on ``window`` that only survives while no navigation happens."""
    page.evaluate(f"{MARKER} = 'still here'")


def assert_no_navigation(page: Page) -> None:
    assert page.evaluate(MARKER) == "still here", "the page was reloaded or navigated"


def use_canned(page: Page, title: str, fills: dict[str, str]) -> None:
    """Choose a canned response and fill its placeholders (label -> value; None keeps the offered value)."""
    page.get_by_label("Canned response").select_option(label=title)
    for label, value in fills.items():
        field = page.locator("#placeholders").get_by_label(label, exact=True)
        if value is not None:
            field.fill(value)
        page.get_by_role("button", name=f"Fill {label}", exact=True).click()
    expect(page.locator("#placeholders")).to_be_hidden()


def send(page: Page) -> None:
    page.locator("#composer").get_by_role("button", name="Send", exact=True).click()


def test_learner_plays_a_chat_end_to_end(page, live_app, sign_in):
    facts = the_contact(live_app)
    convo = page.locator("#conversation")
    sign_in("learner1")
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()
    # Queue entries are neutral ("Inbound chat"): the row is found by its form, not a scenario title.
    take_from_queue(page, facts["id"])  # one click: the contact is taken and its desk opens

    # The caller's opening message is there; the handling-time clock runs.
    expect(convo).to_contain_text("Hello, could you tell me how much is in my account please")
    expect(page.locator(".clock-value")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_in_viewport()
    mark_document(page)

    # A second tab on the same contact: it follows the conversation by polling alone.
    other = page.context.new_page()
    other.goto(f"/learner/contacts/{facts['id']}")
    expect(other.locator("#conversation")).to_contain_text("how much is in my account")

    # Before verification the balance placeholder is not offered.
    page.get_by_label("Canned response").select_option(label="Balance")
    expect(page.locator("#placeholders").get_by_label("Balance", exact=True)).to_have_value("")
    expect(page.locator("#placeholders").get_by_label("Customer name", exact=True)).to_have_value("")
    # Unfilled placeholders are not sent.
    send(page)
    expect(page.locator("#composer-error")).to_contain_text("Fill in the placeholders first")

    # Greeting with a canned response, placeholders filled.
    use_canned(page, "Greeting (chat)", {"Your name": "Sam", "Company name": "Sandbox Bank"})
    expect(page.get_by_label("Message", exact=True)).to_have_value(
        "Hello, you're chatting with Sam at Sandbox Bank. How can I help you today?"
    )
    shot(page, "01-greeting-filled")
    send(page)
    expect(convo.locator(".msg-learner").last).to_contain_text("you're chatting with Sam at Sandbox Bank")
    expect(convo.locator(".msg-caller").last).to_contain_text("I just need to know my balance")
    expect(page.get_by_label("Message", exact=True)).to_have_value("")
    assert_no_navigation(page)

    # Security questions in the learner's own words; the customer answers live.
    page.get_by_label("Message", exact=True).fill(
        "Before I look at the account, could you tell me your date of birth and your postcode, please?"
    )
    page.get_by_label("Message", exact=True).press("Control+Enter")
    expect(convo.locator(".msg-learner").last).to_contain_text("your date of birth and your postcode")
    answer = convo.locator(".msg-caller").last
    expect(answer).to_contain_text(POSTCODE)
    expect(answer).to_contain_text(DOB)
    said = answer.locator("p").inner_text()
    expect(page.locator("#caller-announcer")).to_have_text("Caller: " + said)
    assert_no_navigation(page)
    expect(other.locator("#conversation")).to_contain_text(said)  # the other tab, by polling
    shot(page, "02-caller-answered")
    other.close()

    # Verify with what the caller typed.
    page.get_by_label("Search customers").fill(facts["last_name"])
    page.get_by_role("button", name="Search", exact=True).first.click()
    page.get_by_role("list", name="Search results").get_by_role("button", name=facts["last_name"]).first.click()
    expect(page.locator("#idv")).to_contain_text("Not verified")
    page.get_by_label("Date of birth", exact=True).fill(DOB.search(said).group(0))
    page.locator("form:has(#answer-date_of_birth)").get_by_role("button", name="Check").click()
    expect(page.locator(".flash")).to_contain_text("Match")
    page.get_by_label("Postcode", exact=True).fill(POSTCODE.search(said).group(0))
    page.locator("form:has(#answer-postcode)").get_by_role("button", name="Check").click()
    expect(page.locator("#idv")).to_contain_text("Verified")
    mark_document(page)

    # The balance, with the personal placeholders now offered: already filled, so Send sends it
    # without a press of each Fill button.
    page.get_by_label("Canned response").select_option(label="Balance")
    expect(page.locator("#placeholders").get_by_label("Balance", exact=True)).to_have_value(facts["balance"])
    expect(page.locator("#placeholders").get_by_label("Customer name", exact=True)).to_have_value(facts["first_name"])
    send(page)
    expect(page.locator("#placeholders")).to_be_hidden()
    expect(page.locator("#composer-error")).to_have_text("")
    expect(convo.locator(".msg-learner").last).to_contain_text(
        f"Thank you for waiting, {facts['first_name']}. The current balance on your account is {facts['balance']}."
    )
    expect(convo.locator(".msg-caller").last).to_contain_text("there's enough for the builder")
    assert_no_navigation(page)
    shot(page, "03-balance-answered")

    # Read a knowledge-base article.
    page.locator("#kb > summary").click()
    page.get_by_label("Search the knowledge base").fill("verification")
    page.locator("#kb").get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Read Identification and verification (ID&V) policy").click()
    expect(page.locator("#kb-article")).to_be_visible()
    expect(page.locator("#kb-title")).to_have_text("Identification and verification (ID&V) policy")
    expect(page.locator("#kb-article")).to_contain_text("must pass ID&V on this contact")
    shot(page, "04-kb-article")

    # A note with an outcome code.
    note = "Customer passed ID&V (DOB, postcode) and asked for the balance before paying a builder. Balance given."
    page.get_by_label("New note").fill(note)
    page.get_by_label("Outcome code").select_option("information-given")
    page.get_by_role("button", name="Save note").click()
    expect(page.locator(".flash")).to_contain_text("Note saved")
    expect(page.locator("#notes .note").last).to_contain_text(note)
    expect(page.locator("#notes .note").last).to_contain_text("Information given")

    # Wrap-up and close.
    wrapup = page.locator("#wrapup")
    wrapup.get_by_label("Outcome", exact=True).select_option("information-given")
    wrapup.get_by_role("radio", name="Yes").check()
    wrapup.get_by_role("button", name="Close contact").click()
    expect(page.locator(".flash")).to_contain_text("Contact closed")
    expect(page.locator("#contact-status")).to_have_text("Closed")
    expect(page.locator("#composer")).to_have_count(0)
    shot(page, "05-closed")

    # The evidence: every step, in order.
    events = events_of(live_app, facts["id"])
    assert [(e.type, e.actor) for e in events] == [
        ("contact.opened", "learner"),
        ("message.received", "caller"),  # the opening
        ("message.sent", "learner"),  # greeting (canned)
        ("message.received", "caller"),
        ("message.sent", "learner"),  # security questions (own words)
        ("message.received", "caller"),
        ("customer.searched", "learner"),
        ("customer.viewed", "learner"),
        ("idv.answer", "learner"),
        ("idv.answer", "learner"),
        ("idv.result", "system"),
        ("customer.viewed", "system"),
        ("message.sent", "learner"),  # balance (canned, personal placeholders)
        ("message.received", "caller"),
        ("kb.viewed", "learner"),
        ("note.added", "learner"),
        ("contact.closed", "learner"),
    ]
    sent = [e for e in events if e.type == "message.sent"]
    assert [e.data.get("template_id") for e in sent] == ["greeting-chat", None, "balance"]
    assert sent[0].data["text"] == "Hello, you're chatting with Sam at Sandbox Bank. How can I help you today?"
    assert facts["balance"] in sent[2].data["text"] and "[" not in sent[2].data["text"]
    assert all(e.data["match"] for e in events if e.type == "idv.answer")
    assert events[10].data["passed"] is True
    kb = next(e for e in events if e.type == "kb.viewed")
    assert kb.data["article"] == "idv-policy"
    added = next(e for e in events if e.type == "note.added")
    assert added.data["text"] == note and added.data["outcome"] == "information-given"
    closed = events[-1]
    assert closed.data["outcome"] == "information-given" and closed.data["resolved"] is True
    # One message per press: nothing was sent twice.
    assert len({e.form_token for e in events if e.form_token}) == len([e for e in events if e.form_token])
