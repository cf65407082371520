"""Real-browser fixtures: the app served on loopback, driven by Playwright in Debian's chromium.

Playwright never downloads a browser here. Without /usr/bin/chromium the browser tests skip
loudly, except under CI=true, where a missing browser fails the run.
"""

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from crm_sandbox import create_app
from crm_sandbox.cli import get_or_create_cohort
from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.operations.cohorts.accounts import create_user
from crm_sandbox.operations.cohorts.queues import build_queue
from crm_sandbox.seeding import seed_customers
from tests.conftest import dispose_engines

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "browser-test-pass"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        message = f"Debian's chromium is not installed at {CHROMIUM}: browser tests cannot run"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_app(tmp_path, database_uri):
    """The app on a free loopback port, with a seeded cohort and one user of each role."""
    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "browser-test",
            "BLIND_INDEX_KEY": "browser-index-key",
            "SQLALCHEMY_DATABASE_URI": database_uri("browser.sqlite"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "CALLER_REPLY_DELAYS": False,  # the caller answers at once (a test that wants the delay sets it)
        },
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        db.create_all()
        with write_transaction():
            cohort = get_or_create_cohort("Browser cohort")
            seed_customers(cohort, 11, 60)
            for username, role in (("learner1", "learner"), ("assessor1", "assessor"), ("trainer1", "trainer")):
                user = create_user(username, PASSWORD, role, cohort=None if role == "trainer" else cohort)
                db.session.flush()
                if role == "learner":
                    build_queue(user)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    dispose_engines(app)


@pytest.fixture
def page(browser, live_app):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=live_app.config["BASE_URL"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def sign_in(page):
    def do(username: str, password: str = PASSWORD):
        page.goto("/auth/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()

    return do
