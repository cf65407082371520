"""Fixtures: a fresh app and database per test, factories for users and contacts, and sign-in."""
import re

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from crm_sandbox import create_app
from crm_sandbox.cli import get_or_create_cohort
from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Event
from crm_sandbox.seeding import seed_customers
from crm_sandbox.services.accounts import create_user
from crm_sandbox.services.queues import build_queue

PASSWORD = "correct-horse-battery"
TEST_FIELD_KEY = Fernet.generate_key().decode()


@pytest.fixture
def app(tmp_path):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test",
        "BLIND_INDEX_KEY": "test-index-key",
        "FIELD_KEYS": TEST_FIELD_KEY,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite'}",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests; production uses scrypt N=2**17
        "WTF_CSRF_ENABLED": False,
    }, instance_path=str(tmp_path / "instance"))
    with app.app_context():
        db.create_all()
    yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def cohort(app):
    """A cohort named "Test cohort" with 50 customers from seed 7; returns its id."""
    with app.app_context(), write_transaction():
        c = get_or_create_cohort("Test cohort")
        seed_customers(c, 7, 50)
        db.session.flush()
        return c.id


@pytest.fixture
def make_user(app, cohort):
    """Factory: ``make_user("learner1", "learner", queue=["balance-enquiry"])`` returns the user id."""

    def make(username: str, role: str = "learner", queue: list[str] | None = None, in_cohort: bool = True) -> int:
        from crm_sandbox.models import Cohort

        with app.app_context(), write_transaction():
            user = create_user(username, PASSWORD, role,
                               cohort=db.session.get(Cohort, cohort) if in_cohort else None)
            db.session.flush()
            if role == "learner" and queue is not None:
                build_queue(user, queue)
            return user.id

    return make


@pytest.fixture
def login(client):
    """Sign ``client`` in: ``login("learner1")``."""

    def do(username: str, password: str = PASSWORD):
        return client.post("/auth/login", data={"username": username, "password": password})

    return do


@pytest.fixture
def contact_of(app):
    """``contact_of(user_id, scenario_id)`` -> the id of that learner's contact for the scenario."""

    def find(user_id: int, scenario_id: str) -> int:
        with app.app_context():
            return db.session.execute(select(Contact.id).where(
                Contact.learner_id == user_id, Contact.scenario_id == scenario_id)).scalar_one()

    return find


@pytest.fixture
def events_of(app):
    """``events_of(contact_id)`` -> [(type, data, at), …] in order."""

    def fetch(contact_id: int) -> list[tuple]:
        with app.app_context():
            rows = db.session.execute(
                select(Event).where(Event.contact_id == contact_id).order_by(Event.seq)).scalars()
            return [(e.type, e.data, e.at, e.seq, e.actor) for e in rows]

    return fetch


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">(.*?)</p>', html)
