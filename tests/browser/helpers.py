"""Helpers shared by the browser journeys."""

import os
from pathlib import Path

from playwright.sync_api import Page
from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.models import Event


def events_of(app, contact_id: int) -> list[Event]:
    """The contact's events, in order, detached from the session."""
    with app.app_context():
        events = (
            db.session.execute(select(Event).where(Event.contact_id == contact_id).order_by(Event.seq)).scalars().all()
        )
        db.session.expunge_all()
        return events


def shot(page: Page, name: str) -> None:
    """Save a screenshot when CRM_SCREENSHOTS names a folder (and the full page with CRM_SCREENSHOTS_FULL)."""
    folder = os.environ.get("CRM_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder, f"{name}.png")))
        if os.environ.get("CRM_SCREENSHOTS_FULL"):  # the whole page too, for checking the layout
            page.screenshot(path=str(Path(folder, f"{name}-full.png")), full_page=True)


def take_from_queue(page: Page, contact_id: int) -> None:
    """Take a contact from the queue page: one click (its row's Take button), and the live desk opens."""
    page.locator(f'tbody tr:has(form[action="/learner/contacts/{contact_id}/open"])').get_by_role(
        "button", name="Take"
    ).click()
    page.wait_for_url(f"**/learner/contacts/{contact_id}")
