"""Sign-in and sessions: server-side sessions, timeouts, throttling, cookies, headers, and clean logs."""

import logging
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, User, UserSession, utcnow
from tests.conftest import PASSWORD

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_cookie_captured_before_sign_out_is_refused_when_replayed(app, client, make_user, login):
    make_user("learner1", queue=["balance-enquiry"])
    login("learner1")
    stolen = session_cookie(client)
    client.post("/auth/logout")
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    resp = replay.get("/learner/")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def test_disabling_an_account_ends_its_sessions(app, client, make_user, login):
    uid = make_user("learner1", queue=["balance-enquiry"])
    login("learner1")
    assert client.get("/learner/").status_code == 200
    with app.app_context():
        db.session.get(User, uid).active = False
        db.session.commit()
    assert client.get("/learner/").status_code == 302


def test_removing_an_account_ends_its_sessions(app, client, make_user, login):
    uid = make_user("learner1")
    login("learner1")
    with app.app_context():
        db.session.execute(update(UserSession).where(UserSession.user_id == uid).values(ended_at=utcnow()))
        db.session.commit()
    assert client.get("/learner/").status_code == 302


def age_sessions(app, **delta):
    with app.app_context():
        db.session.execute(
            update(UserSession).values(
                last_seen=utcnow() - timedelta(**delta), created_at=utcnow() - timedelta(**delta)
            )
        )
        db.session.commit()


def test_idle_sessions_expire(app, client, make_user, login):
    make_user("learner1")
    login("learner1")
    age_sessions(app, minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
    assert client.get("/learner/").status_code == 302


def test_activity_keeps_a_session_alive_and_is_recorded(app, client, make_user, login):
    """A request after more than a minute (inside the idle limit) is served and moves last_seen on."""
    make_user("learner1", queue=["balance-enquiry"])
    login("learner1")
    age_sessions(app, minutes=app.config["SESSION_IDLE_MINUTES"] - 1)
    before = utcnow()
    resp = client.get("/learner/")
    assert resp.status_code == 200 and "learner1" in resp.get_data(as_text=True)  # the user loaded after the write
    with app.app_context():
        assert db.session.execute(select(UserSession.last_seen)).scalar_one() >= before
    age_sessions(app, minutes=app.config["SESSION_IDLE_MINUTES"] - 1)
    assert client.get("/learner/").status_code == 200  # still alive: the idle clock restarted


def test_sessions_expire_after_the_absolute_limit_even_when_active(app, client, make_user, login):
    make_user("learner1")
    login("learner1")
    with app.app_context():
        db.session.execute(
            update(UserSession).values(
                created_at=utcnow() - timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"], minutes=1)
            )
        )
        db.session.commit()
    assert client.get("/learner/").status_code == 302


def test_each_sign_in_starts_a_new_session(app, make_user):
    make_user("learner1")
    client = app.test_client()
    with client.session_transaction() as s:
        s["planted"] = "by an attacker"
    client.post("/auth/login", data={"username": "learner1", "password": PASSWORD})
    with client.session_transaction() as s:
        assert "planted" not in s
        first = s["_user_id"]
    client.post("/auth/logout")
    client.post("/auth/login", data={"username": "learner1", "password": PASSWORD})
    with client.session_transaction() as s:
        assert s["_user_id"] != first
        assert not s["_user_id"].isdigit()  # the cookie never carries the user id


def test_failed_sign_ins_are_throttled_per_account_the_same_for_unknown_users(app, make_user):
    make_user("learner1")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for username in ("learner1", "nobody"):
        client = app.test_client()
        for _ in range(limit):
            assert (
                client.post("/auth/login", data={"username": username, "password": "wrong-password"}).status_code == 200
            )
        resp = client.post("/auth/login", data={"username": username, "password": PASSWORD})
        assert resp.status_code == 429 and "Too many failed sign-ins" in resp.get_data(as_text=True)


def test_failed_sign_ins_are_throttled_per_address(app, make_user):
    make_user("learner1")
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    client = app.test_client()
    for n in range(3):
        client.post("/auth/login", data={"username": f"guess{n}", "password": "x" * 10})
    resp = client.post("/auth/login", data={"username": "learner1", "password": PASSWORD})
    assert resp.status_code == 429
    other = app.test_client()
    resp = other.post(
        "/auth/login", data={"username": "learner1", "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert resp.status_code == 302


def test_throttle_counters_live_in_the_database(app, make_user):
    from crm_sandbox.models import LoginThrottle

    app.test_client().post("/auth/login", data={"username": "someone", "password": "wrong-one"})
    with app.app_context():
        assert db.session.get(LoginThrottle, "user:someone").failures == 1


def test_session_cookie_flags(client, make_user, login):
    make_user("learner1")
    cookie = login("learner1").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers_and_no_store(client, make_user, login):
    make_user("learner1", queue=["balance-enquiry"])
    login("learner1")
    resp = client.get("/learner/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_templates_have_no_inline_script_or_style():
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), f"inline script in {path}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"inline event handler in {path}"
        assert not re.search(r"\sstyle\s*=", text), f"inline style attribute in {path}"
        assert "<style" not in text, f"inline <style> in {path}"


def test_posted_role_and_owner_fields_are_ignored(app, client, make_user, login, contact_of):
    uid = make_user("learner1", queue=["balance-enquiry"])
    other = make_user("learner2", queue=["balance-enquiry"])
    login("learner1")
    cid = contact_of(uid, "balance-enquiry")
    client.post(f"/learner/contacts/{cid}/open", data={"learner_id": other, "role": "trainer"})
    client.post(
        f"/learner/contacts/{cid}/notes",
        data={"text": "Note.", "learner_id": other, "actor": "assessor", "user_id": other, "role": "trainer"},
    )
    with app.app_context():
        contact = db.session.get(Contact, cid)
        assert contact.learner_id == uid
        note = [e for e in contact.events if e.type == "note.added"][0]
        assert note.actor == "learner" and note.actor_user_id == uid
        assert db.session.get(User, uid).role == "learner"
    assert client.get("/trainer/").status_code == 403


def test_no_personal_data_passwords_or_session_ids_in_the_logs(app, client, make_user, login, contact_of, caplog):
    caplog.set_level(logging.DEBUG)
    uid = make_user("learner1", queue=["change-of-address"])
    cid = contact_of(uid, "change-of-address")
    with app.app_context():
        c = db.session.get(Contact, cid).customer
        secrets = [c.first_name, c.last_name, c.date_of_birth, c.email, c.phone, c.postcode, c.account_number, PASSWORD]
        customer_id = c.id
    login("learner1")
    token = session_cookie(client)
    base = f"/learner/contacts/{cid}"
    client.post(f"{base}/open")
    client.post(f"{base}/search", data={"query": secrets[1]})
    client.post(f"{base}/customers/{customer_id}/view")
    client.post(f"{base}/verify", data={"customer_id": customer_id, "factor": "date_of_birth", "answer": secrets[2]})
    client.post(f"{base}/verify", data={"customer_id": customer_id, "factor": "postcode", "answer": "nonsense"})
    client.post(f"{base}/messages", data={"text": f"Thanks {secrets[0]}, your email is {secrets[3]}"})
    client.post(f"{base}/details", data={"field": "email", "value": "bad email"})
    client.post(f"{base}/notes", data={"text": f"Moved; phone {secrets[4]}"})
    client.post(f"{base}/close", data={"outcome": "resolved", "resolved": "yes"})
    client.post("/auth/login", data={"username": "learner1", "password": "wrong " + PASSWORD})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for value in secrets + [token]:
        assert value not in logged
