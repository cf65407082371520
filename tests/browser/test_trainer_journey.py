"""A trainer, in a real browser: creates a cohort, imports learners from CSV, assigns scenarios,
and resets the cohort behind a typed confirmation; a learner's first sign-in forces a new password."""

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from crm_sandbox.extensions import db
from crm_sandbox.models import ArchivedPack, Cohort, Contact, User

CSV = (
    b"\xef\xbb\xbfusername,display_name,role\nriya,Riya Patel,learner\ntom,Tom Evans,learner\nmaya,Maya Obi,assessor\n"
)


def test_trainer_creates_imports_assigns_and_resets(page, live_app, sign_in, tmp_path):
    live_app.config.update(ARCHIVE_DIR=str(tmp_path / "archive"), DEMO_CUSTOMERS=80)
    sign_in("trainer1")
    expect(page.get_by_role("heading", name="Trainer console")).to_be_visible()

    page.get_by_label("Cohort name").fill("Spring group")
    page.get_by_role("button", name="Create cohort").click()
    expect(page.locator(".flash")).to_contain_text("Created Spring group")
    expect(page.get_by_role("heading", name=re.compile("Spring group"))).to_be_visible()

    page.get_by_label("CSV file of learners and assessors").set_input_files(
        files=[{"name": "spring.csv", "mimeType": "text/csv", "buffer": CSV}]
    )
    page.get_by_role("button", name="Import accounts").click()
    expect(page.get_by_role("heading", name="3 account(s) imported into Spring group")).to_be_visible()
    riya_password = page.get_by_role("row", name=re.compile("riya")).locator(".otp").inner_text()
    assert re.fullmatch(r"(?:[a-z2-9]{4}-){6}[a-z2-9]{4}", riya_password)
    with page.expect_download() as download:  # once: the button then says it is done and cannot be pressed
        page.get_by_role("button", name="Download as CSV (once)").click()
    assert download.value.suggested_filename.startswith("one-time-passwords-Spring-group-")
    assert f"riya,Riya Patel,learner,{riya_password}" in open(download.value.path(), encoding="utf-8").read()
    expect(page.get_by_role("button", name=re.compile("Downloaded"))).to_be_disabled()
    page.get_by_role("link", name="Back to Spring group").click()

    # Tom lost his: reissued from the account list, behind a confirmation box.
    tom = page.get_by_role("row", name=re.compile("tom"))
    tom.get_by_text("Reissue one-time password…").click()
    tom.get_by_role("checkbox").check()
    tom.get_by_role("button", name="Reissue for tom").click()
    expect(page.get_by_role("heading", name="New one-time password for tom")).to_be_visible()
    page.get_by_role("link", name="Back to Spring group").click()

    page.get_by_role("checkbox", name="Balance enquiry").check()
    page.get_by_role("checkbox", name="Change of address").check()
    page.get_by_label("Order of Change of address").fill("1")
    page.get_by_role("button", name="Assign").click()
    expect(page.locator(".flash")).to_contain_text("4 contact(s) queued")
    expect(page.get_by_role("row", name=re.compile("riya"))).to_contain_text("1. Change of address")

    # The learner's first sign-in: a new password before anything else.
    page.get_by_role("button", name="Sign out").click()
    sign_in("riya", riya_password)
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    page.get_by_label("Current password").fill(riya_password)
    page.get_by_label("New password", exact=True).fill("riya-chosen-pass")
    page.get_by_label("New password again").fill("riya-chosen-pass")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in("trainer1")
    page.get_by_role("link", name="Spring group").click()
    page.get_by_role("link", name=re.compile("Reset this cohort")).click()
    expect(page.locator("#unfinished")).to_contain_text("Nothing is unfinished")
    page.get_by_label(re.compile("Type the cohort name")).fill("Spring grou")
    page.get_by_role("button", name=re.compile("Reset anyway")).click()
    expect(page.locator(".flash")).to_contain_text("type its name, Spring group, exactly")
    page.get_by_label(re.compile("Type the cohort name")).fill("Spring group")
    page.get_by_role("button", name=re.compile("Reset anyway")).click()
    expect(page.locator(".flash")).to_contain_text("2 evidence pack(s) archived")
    expect(page.locator("#members")).to_contain_text("No accounts yet")

    page.get_by_role("link", name="← All cohorts").click()
    page.get_by_role("link", name="Evidence archive").click()
    expect(page.locator("table")).to_contain_text("riya")
    expect(page.locator(".badge-ok", has_text="Valid")).to_have_count(2)

    with live_app.app_context():
        cohort = db.session.execute(select(Cohort).where(Cohort.name == "Spring group")).scalar_one()
        assert cohort.generation == 1
        assert db.session.execute(select(func.count(Contact.id)).where(Contact.cohort_id == cohort.id)).scalar() == 0
        assert db.session.execute(select(func.count(User.id)).where(User.cohort_id == cohort.id)).scalar() == 0
        assert db.session.execute(select(func.count(ArchivedPack.id))).scalar() == 2
