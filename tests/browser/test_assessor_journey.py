"""A real browser, two people: a learner works a live chat while an assessor observes it and plays the
caller; then the assessor reviews the closed contact, decides on its findings, signs off, downloads the
PDF and releases the report, which the learner reads and downloads too.

Two browser contexts (two separate sign-ins) at 1366x768. Every wait is an explicit ``expect``.
Set CRM_SCREENSHOTS=docs/screenshots to refresh the assessor screenshots.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Finding, FindingDecision, User
from tests.browser.conftest import PASSWORD
from tests.browser.helpers import events_of, shot, take_from_queue
from tests.reporting import observed_assessment

SCENARIO = "balance-enquiry"
MARKER = "window.__sameDocument"
CALLER_LINE = "Sorry, I'm on the bus: can you tell me what my balance is? It's for the builder."
OBSERVATION = "Learner kept a friendly tone; went straight to a date of birth without asking for it."
DISMISSAL = "Trainer told the group to skip notes on this practice contact."


def the_contact(app) -> dict:
    with app.app_context():
        learner = db.session.execute(select(User).where(User.username == "learner1")).scalar_one()
        contact = db.session.execute(
            select(Contact).where(Contact.learner_id == learner.id, Contact.scenario_id == SCENARIO)
        ).scalar_one()
        y, m, d = contact.customer.date_of_birth.split("-")
        return {"id": contact.id, "title": contact.title, "dob": f"{d}/{m}/{y}"}


def person(browser: Browser, live_app, username: str) -> tuple[BrowserContext, Page]:
    """A separate browser context (its own cookies) signed in as ``username``."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=live_app.config["BASE_URL"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/auth/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return context, page


def finding_card(page: Page, rule: str):
    return page.locator("article.finding").filter(has=page.locator("code", has_text=re.compile(f"^{rule}$")))


@pytest.fixture
def people(browser, live_app):
    made = []

    def make(username: str) -> Page:
        context, page = person(browser, live_app, username)
        made.append(context)
        return page

    yield make
    for context in made:
        context.close()


def test_assessor_observes_plays_the_caller_then_reviews_and_signs_off(live_app, people):
    facts = the_contact(live_app)
    observed_assessment(live_app, facts["id"])  # assigned as an observed assessment (practice is formative only)
    learner = people("learner1")
    assessor = people("assessor1")

    # The learner takes a chat contact; the scripted caller opens.
    expect(learner.get_by_role("heading", name="My queue")).to_be_visible()
    # The queue names no scenario before close (a fair test): the row is the contact's.
    take_from_queue(learner, facts["id"])  # one click: the contact is taken and its desk opens
    convo = learner.locator("#conversation")
    expect(convo.locator(".msg-caller")).to_have_count(1)
    learner.evaluate(f"{MARKER} = 'still here'")

    # The assessor finds the live contact on the dashboard and observes it.
    assessor.goto("/assessor/")
    expect(assessor.get_by_role("heading", name="Assessment dashboard")).to_be_visible()
    live_row = assessor.locator("#contacts-title + table tbody tr").filter(has_text=facts["title"])
    expect(live_row.locator(".status")).to_have_text("Live")
    live_row.get_by_role("link", name=re.compile("^Observe")).click()
    expect(assessor.get_by_role("heading", name=f"Observing: {facts['title']}")).to_be_visible()
    timeline = assessor.locator("#timeline")
    expect(timeline).to_contain_text("Took the contact")
    expect(assessor.locator("#console")).to_contain_text("What you know")

    # ...takes over the caller and types the caller's side.
    assessor.get_by_role("button", name="Play the caller").click()
    expect(assessor.locator(".flash")).to_contain_text("You are now playing the caller")
    assessor.evaluate(f"{MARKER} = 'still here'")
    assessor.get_by_label("Say, as the caller").fill(CALLER_LINE)
    assessor.get_by_role("button", name="Send as caller").click()
    expect(assessor.get_by_label("Say, as the caller")).to_have_value("")
    expect(timeline.locator(".tl-caller").last).to_contain_text(CALLER_LINE)
    expect(timeline.locator(".tl-caller").last).to_contain_text("typed by assessor1")

    # The learner sees it arrive in their conversation, without a reload.
    expect(convo.locator(".msg-caller").last).to_contain_text(CALLER_LINE)
    assert learner.evaluate(MARKER) == "still here", "the learner's page was reloaded"

    # An observation goes onto the timeline (in the background: the page stays put).
    assessor.get_by_label("What you observed").fill(OBSERVATION)
    assessor.get_by_role("button", name="Add to timeline").click()
    expect(assessor.get_by_role("status").filter(has_text="Observation added")).to_be_visible()
    expect(timeline.locator(".tl-assessor").last).to_contain_text(OBSERVATION)
    expect(assessor.get_by_label("What you observed")).to_have_value("")
    assert assessor.evaluate(MARKER) == "still here", "the observe page was reloaded"

    # The learner asks a leading verification question (stating the real date of birth)...
    message = learner.get_by_label("Message", exact=True)
    message.fill(f"Thanks for waiting. Is your date of birth {facts['dob']}?")
    learner.locator("#composer").get_by_role("button", name="Send", exact=True).click()
    expect(convo.locator(".msg-learner").last).to_contain_text(facts["dob"])
    # ...which the assessor sees flagged on the live timeline; the caller answers.
    leading = timeline.locator(".tl-learner").filter(has_text=facts["dob"])
    expect(leading).to_contain_text("leading-verification-question")
    assessor.get_by_label("Say, as the caller").fill("Yes, that's me.")
    assessor.get_by_label("Say, as the caller").press("Control+Enter")
    expect(convo.locator(".msg-caller").last).to_contain_text("Yes, that's me.")
    assessor.locator(".obs-side").evaluate("side => side.scrollTo(0, 0)")
    shot(assessor, "assessor-observe")

    # The learner closes without writing a note (wrap-up is in the Actions panel).
    learner.locator("#actions > summary").click()
    wrapup = learner.locator("#wrapup")
    expect(wrapup).to_be_visible()
    wrapup.get_by_label("Outcome", exact=True).select_option("information-given")
    wrapup.get_by_role("radio", name="Yes").check()
    wrapup.get_by_role("button", name="Close contact").click()
    expect(learner.locator("#contact-status")).to_have_text("Closed")

    # The observer's page follows: closed, and the missing note is flagged at close.
    expect(assessor.locator("#obs-status")).to_have_text("Closed")
    expect(timeline).to_contain_text("missing-log")
    expect(assessor.get_by_role("button", name="Send as caller")).to_be_disabled()

    # The review: the timeline with the flags, and the findings beside it.
    assessor.get_by_role("link", name="Open the review").click()
    expect(assessor.get_by_role("heading", name=f"Review: {facts['title']}")).to_be_visible()
    expect(assessor.locator(f"#event-{leading_seq(live_app, facts['id'])} mark.flagged")).to_contain_text(facts["dob"])
    expect(assessor.locator(".tl-assessor")).to_contain_text(OBSERVATION)
    lead_card = finding_card(assessor, "leading-verification-question")
    log_card = finding_card(assessor, "missing-log")
    expect(lead_card).to_be_visible()
    expect(log_card).to_be_visible()

    # Confirm one, by keyboard: the comment box, then Tab to Confirm (focus visible), then Enter.
    lead_card.get_by_label(re.compile("^Comment")).fill("Stated the DOB instead of asking for it.")
    assessor.keyboard.press("Tab")
    confirm = lead_card.get_by_role("button", name=re.compile("^Confirm"))
    expect(confirm).to_be_focused()
    assert confirm.evaluate("b => getComputedStyle(b).outlineStyle") != "none", "focus is not visible"
    assessor.keyboard.press("Enter")
    expect(assessor.locator(".flash")).to_contain_text("Decision recorded")
    expect(lead_card.get_by_role("list", name="Decision history")).to_contain_text("Confirmed by")

    # Dismissing without a comment is refused; with one it stands.
    log_card.get_by_role("button", name=re.compile("^Dismiss")).click()
    expect(assessor.locator(".flash-error")).to_contain_text("Add a comment explaining the dismissal")
    expect(log_card.get_by_role("list", name="Decision history")).to_have_count(0)
    log_card.get_by_label(re.compile("^Comment")).fill(DISMISSAL)
    log_card.get_by_role("button", name=re.compile("^Dismiss")).click()
    expect(assessor.locator(".flash")).to_contain_text("Decision recorded")
    expect(log_card.get_by_role("list", name="Decision history")).to_contain_text("Dismissed by")
    expect(log_card.get_by_role("list", name="Decision history")).to_contain_text(DISMISSAL)

    # Judge a criterion: not yet met, with the reason.
    dp1 = assessor.locator("article.criterion").filter(has_text="DP1")
    dp1.get_by_label("Comment on DP1").fill("Read the date of birth out instead of asking for it.")
    dp1.get_by_role("button", name="Not yet met DP1").click()
    expect(assessor.locator(".flash")).to_contain_text("Criterion judged")
    expect(dp1.locator(".judgement")).to_contain_text("Not yet met")

    # Sign off too early: refused, with what is still to decide listed next to the button.
    signoff = assessor.locator("#sign-off")
    feedback = "Friendly and quick. Next time ask the caller for their date of birth; never read it out to them."
    signoff.get_by_role("radio", name="Not yet competent").check()
    signoff.get_by_label("Feedback for the learner").fill(feedback)
    signoff.get_by_role("button", name="Sign off").click()
    expect(assessor.locator(".flash-error")).to_contain_text("Not signed off")
    expect(assessor.locator("#sign-off-missing")).to_contain_text("Before you can sign off")

    # Decide the rest: confirm each undecided finding, mark each undecided criterion not covered (with why).
    undecided = assessor.locator("article.finding").filter(has=assessor.locator("p.undecided"))
    while undecided.count():
        undecided.first.get_by_role("button", name=re.compile("^Confirm")).click()
        expect(assessor.locator(".flash")).to_contain_text("Decision recorded")
    unjudged = assessor.locator("article.criterion.undecided")
    while unjudged.count():
        row = unjudged.first
        row.get_by_label(re.compile("^Comment on")).fill("Not shown on this contact.")
        row.get_by_role("button", name=re.compile("^Not covered")).click()
        expect(assessor.locator(".flash")).to_contain_text("Criterion judged")
    expect(assessor.locator("#sign-off-ready")).to_be_visible()

    # Sign off with an outcome and feedback: the review is locked.
    signoff.get_by_role("radio", name="Not yet competent").check()
    signoff.get_by_label("Feedback for the learner").fill(feedback)
    signoff.get_by_role("button", name="Sign off").click()
    expect(assessor.locator(".flash")).to_contain_text("Signed off: version 1")
    expect(signoff).to_contain_text("Not yet competent")
    expect(signoff).to_contain_text("signed by")
    expect(assessor.locator("#locked-state")).to_be_visible()
    expect(lead_card.get_by_role("button", name=re.compile("^Confirm"))).to_have_count(0)
    assessor.evaluate("window.scrollTo(0, 0)")
    shot(assessor, "assessor-review")

    # Download the contact's PDF from the review page.
    with assessor.expect_download() as download_info:
        assessor.get_by_role("navigation", name="Reports and exports").get_by_role(
            "link", name="PDF", exact=True
        ).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    assert Path(download.path()).read_bytes().startswith(b"%PDF")

    # Release the report; the learner finds it in their queue and downloads it too.
    signoff.get_by_role("button", name="Release to the learner").click()
    expect(assessor.locator(".flash")).to_contain_text("Released")
    learner.goto("/learner/")
    learner.get_by_role("row", name=facts["title"]).get_by_role("link", name=re.compile("^Report")).click()
    expect(learner.get_by_role("heading", name=f"Assessment report: {facts['title']}")).to_be_visible()
    expect(learner.locator("main")).to_contain_text("leading-verification-question")
    expect(learner.locator("main")).not_to_contain_text(DISMISSAL)  # only confirmed findings are shown
    with learner.expect_download() as download_info:
        learner.get_by_role("link", name="Download PDF").click()
    assert Path(download_info.value.path()).read_bytes().startswith(b"%PDF")

    # The dashboard now counts the contact as reviewed.
    assessor.goto("/assessor/")
    reviewed = assessor.locator("#contacts-title + table tbody tr").filter(has_text=facts["title"])
    expect(reviewed.locator(".status")).to_have_text("Reviewed")
    shot(assessor, "assessor-dashboard")

    # The evidence: the caller's lines typed by the assessor, the observation, two decisions.
    events = events_of(live_app, facts["id"])
    played = [e for e in events if e.type == "message.received" and e.data.get("played_by") == "assessor1"]
    assert [e.data["text"] for e in played] == [CALLER_LINE, "Yes, that's me."]
    assert [e.data["text"] for e in events if e.type == "observation.added"] == [OBSERVATION]
    assert not [e for e in events if e.type == "note.added"]
    with live_app.app_context():
        decisions = db.session.execute(
            select(Finding.rule, FindingDecision.decision, FindingDecision.comment)
            .join(Finding, Finding.id == FindingDecision.finding_id)
            .order_by(FindingDecision.id)
        ).all()
        assert [tuple(d) for d in decisions][:2] == [
            ("leading-verification-question", "confirmed", "Stated the DOB instead of asking for it."),
            ("missing-log", "dismissed", DISMISSAL),
        ]
        assert all(d.decision == "confirmed" for d in decisions[2:])  # the rest, confirmed before sign-off


def leading_seq(app, contact_id: int) -> int:
    """The learner's message that stated the date of birth."""
    return next(e.seq for e in events_of(app, contact_id) if e.type == "message.sent")
