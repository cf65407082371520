"""Fixtures: a fresh app and database per test, factories for users and contacts, and sign-in.

The database is a fresh SQLite file per test; when ``DATABASE_URL`` names a PostgreSQL database (as
``make test-postgres`` sets it), each test gets a fresh schema of its own there instead, selected by the
connection's ``search_path`` in the URL (so child processes given the URL see the same schema). Tests
marked ``requires_sqlite("why")`` skip on PostgreSQL.
"""

import os
import re
import sqlite3
import uuid

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from crm_sandbox import create_app
from crm_sandbox.cli import get_or_create_cohort
from crm_sandbox.crypto import signing
from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Event
from crm_sandbox.operations.cohorts.accounts import create_user
from crm_sandbox.operations.cohorts.queues import build_queue
from crm_sandbox.schema import stamp_head
from crm_sandbox.seeding import seed_customers

PASSWORD = "correct-horse-battery"
TEST_FIELD_KEY = Fernet.generate_key().decode()

DATABASE_URL = os.environ.get("DATABASE_URL") or ""
ON_POSTGRES = bool(DATABASE_URL) and make_url(DATABASE_URL).get_backend_name() == "postgresql"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "requires_sqlite(reason): SQLite-specific; skipped when DATABASE_URL is PostgreSQL"
    )


def pytest_collection_modifyitems(config, items):
    if not ON_POSTGRES:
        return
    for item in items:
        marker = item.get_closest_marker("requires_sqlite")
        if marker is not None:
            reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "SQLite-specific")
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


@pytest.fixture(scope="session")
def _pg_admin():
    engine = create_engine(DATABASE_URL, poolclass=NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def database_uri(request, tmp_path):
    """Factory: ``database_uri("name.sqlite")`` -> the URI of a fresh, empty database for this test."""
    schemas = []

    def make(name: str = "test.sqlite") -> str:
        if not ON_POSTGRES:
            return f"sqlite:///{tmp_path / name}"
        admin = request.getfixturevalue("_pg_admin")
        schema = f"t_{uuid.uuid4().hex[:16]}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        schemas.append(schema)
        url = make_url(DATABASE_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    yield make
    if schemas:
        admin = request.getfixturevalue("_pg_admin")  # already set up by make(): no new fixture here
        with admin.connect() as conn:
            for schema in schemas:
                # A connection a test left open (a killed worker's, say) must not hang the run.
                conn.execute(text("SET lock_timeout = '5s'"))
                try:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                    conn.commit()
                except Exception:  # noqa: BLE001 - the throwaway cluster goes anyway
                    conn.rollback()


def dispose_engines(app) -> None:
    """Close the app's pooled connections (before its PostgreSQL schema is dropped)."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def stored_rows(app, tables) -> dict:
    """Every row of ``tables`` as stored, read on a connection of its own, in insertion order
    (SQLite's rowid, PostgreSQL's id): a failed request must not change one of them."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        con = sqlite3.connect(uri.removeprefix("sqlite:///"))
        try:
            return {
                t: con.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()  # noqa: S608 (constant names)
                for t in tables
            }
        finally:
            con.close()
    engine = create_engine(uri, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return {
                t: [tuple(row) for row in conn.exec_driver_sql(f'SELECT * FROM "{t}" ORDER BY id')]  # noqa: S608
                for t in tables
            }
    finally:
        engine.dispose()


def make_test_app(uri: str, instance_path) -> Flask:
    """An app for the tests on the database at ``uri`` (its tables not made yet)."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "BLIND_INDEX_KEY": "test-index-key",
            "FIELD_KEYS": TEST_FIELD_KEY,
            "SQLALCHEMY_DATABASE_URI": uri,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests; production uses scrypt N=2**17
            "WTF_CSRF_ENABLED": False,
            "RETENTION_PURGE_HOURS": 0,  # the scheduled purge is tested on its own (tests/test_own_gdpr.py)
        },
        instance_path=str(instance_path),
    )


@pytest.fixture
def app(tmp_path, database_uri):
    app = make_test_app(database_uri("test.sqlite"), tmp_path / "instance")
    with app.app_context():
        db.create_all()  # fast; stamped as the migrations would leave it, so commands find nothing to do
        stamp_head()
        signing.ensure_key(app.instance_path)  # as bootstrap leaves an instance
    yield app
    dispose_engines(app)


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
            user = create_user(username, PASSWORD, role, cohort=db.session.get(Cohort, cohort) if in_cohort else None)
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
            return db.session.execute(
                select(Contact.id).where(Contact.learner_id == user_id, Contact.scenario_id == scenario_id)
            ).scalar_one()

    return find


@pytest.fixture
def events_of(app):
    """``events_of(contact_id)`` -> [(type, data, at), …] in order."""

    def fetch(contact_id: int) -> list[tuple]:
        with app.app_context():
            rows = db.session.execute(select(Event).where(Event.contact_id == contact_id).order_by(Event.seq)).scalars()
            return [(e.type, e.data, e.at, e.seq, e.actor) for e in rows]

    return fetch


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">(.*?)</p>', html)
