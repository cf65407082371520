"""The social-media desk in a real browser (issue 22): the customer's public post (its HTML shown as text, never
run), a public reply and a private message from the same composer, each labelled for who can see it; a public
reply with markup is refused with a clear message and nothing is published."""

from playwright.sync_api import Page, expect
from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, User
from tests.browser.helpers import events_of, shot, take_from_queue

SCENARIO = "social-media-post"


def the_contact(app) -> dict:
    with app.app_context():
        learner = db.session.execute(select(User).where(User.username == "learner1")).scalar_one()
        contact = db.session.execute(
            select(Contact).where(Contact.learner_id == learner.id, Contact.scenario_id == SCENARIO)
        ).scalar_one()
        return {"id": contact.id, "first_name": contact.customer.first_name}


def write(page: Page, text: str, button: str) -> None:
    page.locator("#text").fill(text)
    page.locator("#composer").get_by_role("button", name=button, exact=True).click()


def test_public_and_private_replies_on_the_social_desk(page, live_app, sign_in):
    facts = the_contact(live_app)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    convo = page.locator("#conversation")
    sign_in("learner1")
    take_from_queue(page, facts["id"])

    # The public post: labelled public, its markup shown as typed.
    post = convo.locator(".msg-public").first
    expect(post).to_contain_text("Public post: everyone can see this")
    expect(post).to_contain_text("<b>Sort it out</b>")
    expect(post.locator("b")).to_have_count(0)
    expect(page.get_by_role("button", name="Reply publicly")).to_be_visible()
    expect(page.get_by_role("button", name="Send private message")).to_be_visible()
    shot(page, "social-1-post")

    # A public reply with script in it is refused: a clear message, nothing published.
    write(page, "We're on it <script>alert('x')</script>", "Reply publicly")
    expect(page.locator("#composer-error")).to_contain_text("plain text")
    expect(convo.locator(".msg-learner")).to_have_count(0)

    # A clean public reply, then the customer answers in private.
    write(page, f"Hi {facts['first_name']}, sorry about your card. We've sent you a direct message.", "Reply publicly")
    expect(convo.locator(".msg-learner.msg-public")).to_contain_text("Public reply: everyone can see this")
    expect(convo).to_contain_text("I'm in your messages now")

    # A private message: labelled private, answered privately.
    write(page, "Hello, you're chatting with Sam at Sandbox Bank. How can I help?", "Send private message")
    expect(convo.locator(".msg-learner:not(.msg-public)")).to_contain_text("Private message")
    expect(convo).to_contain_text("declined twice")
    shot(page, "social-2-replies")

    sent = [e for e in events_of(live_app, facts["id"]) if e.type == "message.sent"]
    assert [bool(e.data.get("public")) for e in sent] == [True, False]
    assert "<script>" not in " ".join(str(e.data["text"]) for e in sent)
    assert dialogs == []  # nothing in the post or the replies ran as script
