"""Level 3 work in a real browser: the trainer assigns a quality review of an example contact; the learner
reads the transcript (names removed), scores it on the scorecard with coaching feedback, submits, and sees
what they found and missed against the rules and the trainer's reference scoring; the team dashboard marks
the figures off target."""

import re

from playwright.sync_api import expect

from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import User
from tests.browser.helpers import shot


def test_a_quality_review_in_the_browser(page, live_app, sign_in):
    with live_app.app_context(), write_transaction():
        learner = db.session.query(User).filter_by(username="learner1").one()
        learner.qualification = "icq-l3-nvq-cco"
        cohort_id = learner.cohort_id
    sign_in("trainer1")
    page.get_by_role("link", name="Level 3").click()
    expect(page.get_by_role("heading", name=re.compile("Level 3 work"))).to_be_visible()
    page.get_by_text(re.compile(r"learner1")).first.click()  # the learner's assignment panel opens
    page.get_by_role("checkbox", name=re.compile("Change of address \\(Agent A\\)")).check()
    page.get_by_role("button", name="Assign a quality review").click()
    expect(page.locator(".flash")).to_contain_text("Task assigned to learner1")
    shot(page, "trainer-level3")
    page.get_by_role("button", name="Sign out").click()

    sign_in("learner1")
    page.get_by_role("link", name="Level 3 work").click()
    shot(page, "learner-level3")
    page.get_by_role("link", name="Open").click()
    transcript = page.locator(".l3-transcript")
    expect(transcript).to_contain_text("[date of birth]")
    expect(transcript).not_to_contain_text("Okafor")
    for item in ("Greets the customer courteously", "Establishes the exact need", "Records accurate"):
        page.get_by_role("checkbox", name=re.compile(item)).check()
    page.get_by_role("checkbox", name=re.compile("disclosed or changed before identity")).check()
    page.get_by_label("Coaching feedback for Agent A").fill("Ask open ID&V questions and verify before any change.")
    page.get_by_role("button", name="Save score").click()
    expect(page.locator(".flash")).to_contain_text("Scored: 0%")
    page.get_by_role("button", name="Submit for assessment").click()
    compare = page.locator(".l3-compare")
    expect(compare).to_contain_text("The trainer's reference scoring")
    expect(compare.locator(".l3-missed").last).to_contain_text("Records accurate, contemporaneous notes")
    shot(page, "learner-level3-review")

    page.goto(f"/level3/dashboard?cohort={cohort_id}")
    expect(page.locator("td.off-target").first).to_be_visible()
    shot(page, "learner-level3-dashboard")
