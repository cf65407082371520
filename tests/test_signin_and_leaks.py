"""Issue 16, items 1 and 2: sign-in that holds under concurrency and proxies, and no leaks.

- N parallel wrong passwords get at most the limit checked, and never a 500 (each attempt is counted in
  one upsert before its password is checked); the same for the change-password form's current password.
- A password change ends the account's other sessions.
- X-Forwarded-For is believed only from a configured number of trusted proxies.
- A refusal names no one from another cohort; a journey's access log holds no customer value.
- Oversized and deeply nested inputs are refused cleanly (CLI and upload).

These run on PostgreSQL too: ``scripts/with-postgres.sh .venv/bin/python -m pytest tests/test_signin_and_leaks.py``.
"""

import io
import logging
import threading
from datetime import timedelta
from http.cookiejar import CookieJar
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, build_opener

import pytest
from sqlalchemy import select, update
from werkzeug.serving import make_server

from crm_sandbox import create_app
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, LoginThrottle, User, utcnow
from crm_sandbox.operations.cohorts import accounts, enrolment
from tests.conftest import PASSWORD, TEST_FIELD_KEY, dispose_engines
from tests.helpers import customer_of
from tests.reporting import other_cohort_assessor

PARALLEL = 20


class Counter:
    """Wraps a password-checking function and counts its calls (from any thread)."""

    def __init__(self, real):
        self.real, self.calls, self.lock = real, 0, threading.Lock()

    def __call__(self, *args):
        with self.lock:
            self.calls += 1
        return self.real(*args)


def in_parallel(n: int, task) -> list:
    """Run ``task(i)`` in ``n`` threads released together; the results in order (an exception re-raised)."""
    barrier, results, errors = threading.Barrier(n), [None] * n, []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = task(i)
        except Exception as err:  # noqa: BLE001 (re-raised in the main thread)
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    if errors:
        raise errors[0]
    return results


def other_app(app, **extra):
    """A second app on the same database and instance folder, with settings of its own (as a second
    server, or one configured differently, would be)."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "BLIND_INDEX_KEY": "test-index-key",
            "FIELD_KEYS": TEST_FIELD_KEY,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "WTF_CSRF_ENABLED": False,
            **extra,
        },
        instance_path=app.instance_path,
    )


def throttle_rows(app) -> dict[str, int]:
    with app.app_context():
        return {row.key: row.failures for row in db.session.execute(select(LoginThrottle)).scalars()}


# --- 1. the throttle holds under concurrency ---------------------------------------------------------


@pytest.mark.parametrize("parallel", [PARALLEL, 200])
def test_parallel_wrong_passwords_get_at_most_the_limit_checked_and_no_500(app, make_user, monkeypatch, parallel):
    """20 (and 200) wrong passwords at once, half through each of two app servers: at most the limit checked."""
    make_user("learner1")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    counter = Counter(accounts.check_password_hash)
    monkeypatch.setattr(accounts, "check_password_hash", counter)
    second = other_app(app)
    try:
        servers = [app, second]

        def guess(i: int) -> int:
            client = servers[i % 2].test_client()
            resp = client.post(
                "/auth/login",
                data={"username": "learner1", "password": f"wrong-guess-{i}"},
                environ_base={
                    "REMOTE_ADDR": f"198.51.{i // 250}.{i % 250}"
                },  # many addresses: the account limit applies
            )
            return resp.status_code

        statuses = in_parallel(parallel, guess)
    finally:
        dispose_engines(second)
    assert 500 not in statuses and set(statuses) <= {200, 429}, statuses
    assert counter.calls <= limit, f"{counter.calls} passwords checked, limit {limit}"
    assert statuses.count(200) == counter.calls == limit  # each checked guess answered "do not match"
    assert throttle_rows(app)["user:learner1"] == parallel  # no increment lost
    # and the right password is now refused too, unchecked, until the window ends
    client = app.test_client()
    resp = client.post("/auth/login", data={"username": "learner1", "password": PASSWORD})
    assert resp.status_code == 429 and "Too many failed sign-ins" in resp.get_data(as_text=True)
    assert counter.calls == limit


def test_the_first_attempts_for_a_new_key_in_parallel_never_fail(app, make_user):
    """The first throttle row for a key inserted by many at once: an upsert, never a unique violation."""
    statuses = in_parallel(
        PARALLEL,
        lambda i: (
            app.test_client()
            .post("/auth/login", data={"username": "nobody-yet", "password": "wrong-password"})
            .status_code
        ),
    )
    assert 500 not in statuses
    assert throttle_rows(app)["user:nobody-yet"] == PARALLEL
    assert throttle_rows(app)["ip:127.0.0.1"] == PARALLEL


def test_a_window_that_has_run_out_starts_again(app, make_user):
    make_user("learner1")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    client = app.test_client()
    for _ in range(limit + 1):
        client.post("/auth/login", data={"username": "learner1", "password": "wrong-password"})
    assert client.post("/auth/login", data={"username": "learner1", "password": PASSWORD}).status_code == 429
    with app.app_context():
        minutes = app.config["LOGIN_THROTTLE_MINUTES"]
        db.session.execute(update(LoginThrottle).values(window_start=utcnow() - timedelta(minutes=minutes, seconds=1)))
        db.session.commit()
    assert client.post("/auth/login", data={"username": "learner1", "password": PASSWORD}).status_code == 302
    # a success clears the account's counter and gives the address its attempt back
    assert "user:learner1" not in throttle_rows(app)
    assert throttle_rows(app)["ip:127.0.0.1"] == 0


def test_successful_sign_ins_do_not_use_up_an_address(app, make_user):
    """30 people signing in through one address (a centre's proxy) do not pause it for the 31st."""
    make_user("learner1")
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    for _ in range(6):
        resp = app.test_client().post("/auth/login", data={"username": "learner1", "password": PASSWORD})
        assert resp.status_code == 302


def signed_in_clients(app, username: str, n: int) -> list:
    """``n`` clients sharing one signed-in session (the same cookie), for parallel requests."""
    first = app.test_client()
    assert first.post("/auth/login", data={"username": username, "password": PASSWORD}).status_code == 302
    cookie = first.get_cookie("session").value
    clients = []
    for _ in range(n):
        c = app.test_client()
        c.set_cookie("session", cookie)
        clients.append(c)
    return clients


def test_parallel_wrong_current_passwords_get_at_most_the_limit_checked(app, make_user, monkeypatch):
    uid = make_user("learner1")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    clients = signed_in_clients(app, "learner1", PARALLEL)
    counter = Counter(enrolment.verify_password)
    monkeypatch.setattr(enrolment, "verify_password", counter)

    def guess(i: int) -> int:
        data = {"current": f"wrong-current-{i}", "new": "a-brand-new-password", "confirm": "a-brand-new-password"}
        return clients[i].post("/auth/password", data=data).status_code

    statuses = in_parallel(PARALLEL, guess)
    assert 500 not in statuses and set(statuses) <= {200, 429}, statuses
    assert counter.calls <= limit and statuses.count(200) == limit
    resp = clients[0].post(
        "/auth/password", data={"current": PASSWORD, "new": "a-brand-new-password", "confirm": "a-brand-new-password"}
    )
    assert resp.status_code == 429 and "Too many wrong current passwords" in resp.get_data(as_text=True)
    with app.app_context():
        assert accounts.verify_password(db.session.get(User, uid).password_hash, PASSWORD)  # unchanged


def test_a_wrong_current_password_is_refused_with_its_reason(app, make_user, client, login):
    make_user("learner1")
    login("learner1")
    resp = client.post("/auth/password", data={"current": "not-it-at-all", "new": "x" * 12, "confirm": "x" * 12})
    assert resp.status_code == 200 and "Your current password is not right." in resp.get_data(as_text=True)
    assert throttle_rows(app)["user:learner1"] == 1


# --- 1. a password change ends the other sessions -----------------------------------------------------


def test_a_password_change_ends_every_other_session_of_the_account(app, make_user):
    make_user("learner1", queue=["balance-enquiry"])
    make_user("learner2", queue=["balance-enquiry"])
    here, elsewhere, phone = (app.test_client() for _ in range(3))
    someone_else = app.test_client()
    for c in (here, elsewhere, phone):
        assert c.post("/auth/login", data={"username": "learner1", "password": PASSWORD}).status_code == 302
    someone_else.post("/auth/login", data={"username": "learner2", "password": PASSWORD})
    for c in (here, elsewhere, phone, someone_else):
        assert c.get("/learner/").status_code == 200
    new = "a-brand-new-password"
    resp = here.post("/auth/password", data={"current": PASSWORD, "new": new, "confirm": new})
    assert resp.status_code == 303
    assert here.get("/learner/").status_code == 200  # the browser that changed it stays signed in
    for c in (elsewhere, phone):
        resp = c.get("/learner/")
        assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    assert someone_else.get("/learner/").status_code == 200  # another account is untouched
    fresh = app.test_client()
    assert fresh.post("/auth/login", data={"username": "learner1", "password": PASSWORD}).status_code == 200
    assert fresh.post("/auth/login", data={"username": "learner1", "password": new}).status_code == 302


# --- 1. forwarded addresses only from trusted proxies -------------------------------------------------


def attempt_from(target_app, forwarded: str, remote: str = "10.0.0.1") -> None:
    target_app.test_client().post(
        "/auth/login",
        data={"username": "someone", "password": "wrong-password"},
        headers={"X-Forwarded-For": forwarded},
        environ_base={"REMOTE_ADDR": remote},
    )


def test_a_configured_proxys_forwarded_address_is_used(app):
    proxied = other_app(app, TRUSTED_PROXIES=1)
    try:
        # nginx appends the address it saw to what the client sent: the last one is the client's
        attempt_from(proxied, "6.6.6.6, 203.0.113.7")
    finally:
        dispose_engines(proxied)
    rows = throttle_rows(app)
    assert rows.get("ip:203.0.113.7") == 1
    assert "ip:10.0.0.1" not in rows and "ip:6.6.6.6" not in rows  # neither the proxy nor a forged hop


def test_an_unconfigured_forwarded_header_is_ignored(app):
    assert app.config["TRUSTED_PROXIES"] == 0  # the default
    attempt_from(app, "203.0.113.7")
    rows = throttle_rows(app)
    assert rows.get("ip:10.0.0.1") == 1 and "ip:203.0.113.7" not in rows


def test_forged_addresses_do_not_escape_the_address_limit(app):
    """A client that sends a new X-Forwarded-For each time (no proxy trusted) is still one address."""
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    for i in range(3):
        attempt_from(app, f"192.0.2.{i}")
    resp = app.test_client().post(
        "/auth/login",
        data={"username": "another", "password": "wrong-password"},
        headers={"X-Forwarded-For": "192.0.2.99"},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    assert resp.status_code == 429


@pytest.mark.parametrize("bad", ["two", -1])
def test_a_bad_trusted_proxies_setting_is_refused_at_start(app, bad):
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        other_app(app, TRUSTED_PROXIES=bad)


# --- 2. refusals name no one --------------------------------------------------------------------------


def test_cross_cohort_refusals_name_no_one(app, make_user, contact_of):
    """An assessor of another cohort looping over every id learns no learner's or customer's name."""
    names = {"learner1": "Zebediah Quarrington", "learner2": "Philippa Vandersloot"}
    learner_ids, contact_ids = [], []
    for username, display in names.items():
        uid = make_user(username, queue=["balance-enquiry", "change-of-address"])
        with app.app_context():
            db.session.get(User, uid).display_name = display
            db.session.commit()
        learner_ids.append(uid)
        contact_ids.append(contact_of(uid, "balance-enquiry"))
    secret = set(names) | set(names.values())
    for cid in contact_ids:
        c = customer_of(app, cid)
        secret |= {c["first_name"], c["last_name"], c["email"], c["postcode"]}
    with app.app_context():
        cohort_id = db.session.get(Contact, contact_ids[0]).cohort_id
    other_cohort_assessor(app)
    client = app.test_client()
    assert client.post("/auth/login", data={"username": "assessor9", "password": PASSWORD}).status_code == 302
    top = max(learner_ids + contact_ids) + 3
    urls = []
    for i in range(1, top):
        urls += [
            f"/reports/learners/{i}",
            f"/reports/learners/{i}.pdf",
            f"/reports/learners/{i}/evidence-pack.zip",
            f"/reports/contacts/{i}",
            f"/reports/contacts/{i}.pdf",
            f"/assessor/contacts/{i}/observe",
            f"/assessor/contacts/{i}/review",
            f"/assessor/contacts/{i}/timeline",
        ]
    urls.append(f"/reports/cohorts/{cohort_id}/findings.csv")
    refused = 0
    for url in urls:
        resp = client.get(url)
        assert resp.status_code in (403, 404), url
        body = resp.get_data(as_text=True)
        for value in secret:
            assert value not in body, f"{url} names {value!r}"
        refused += resp.status_code == 403
    assert refused >= len(learner_ids) * 3  # the other cohort's learners were refused, not merely missing
    resp = client.get(f"/reports/learners/{learner_ids[0]}")
    assert "another cohort" in resp.get_data(as_text=True)  # still says why, without the name


def test_another_learners_contact_is_refused_without_a_name(app, make_user, contact_of):
    first = make_user("learner1", queue=["balance-enquiry"])
    make_user("learner2", queue=["balance-enquiry"])
    cid = contact_of(first, "balance-enquiry")
    customer = customer_of(app, cid)
    client = app.test_client()
    client.post("/auth/login", data={"username": "learner2", "password": PASSWORD})
    for url in (f"/learner/contacts/{cid}", f"/learner/contacts/{cid}/updates", f"/reports/contacts/{cid}"):
        body = client.get(url).get_data(as_text=True)
        assert "learner1" not in body and customer["last_name"] not in body, url


# --- 2. no personal data in URLs: a journey's access log ----------------------------------------------


class LiveServer:
    """The app served by Werkzeug's own server on a free loopback port, in a thread, its access log on."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=10)


def test_a_learner_journeys_access_log_holds_no_customer_value(app, make_user, contact_of, caplog):
    uid = make_user("learner1", queue=["balance-enquiry"])
    cid = contact_of(uid, "balance-enquiry")
    customer = customer_of(app, cid)
    values = [customer[k] for k in ("first_name", "last_name", "email", "postcode", "phone", "account_number")]
    values += [customer["postcode"].replace(" ", "+"), customer["email"].replace("@", "%40")]
    live = other_app(app, SESSION_COOKIE_SECURE=False)  # plain http on loopback, for urllib's cookie jar
    caplog.set_level(logging.INFO, logger="werkzeug")
    opener = build_opener(HTTPCookieProcessor(CookieJar()))

    def send(path: str, data: dict | None = None) -> str:
        body = urlencode(data).encode() if data is not None else None
        with opener.open(server.url + path, data=body, timeout=30) as resp:
            assert resp.status == 200, path
            return resp.read().decode()

    try:
        with LiveServer(live) as server:
            send("/auth/login", {"username": "learner1", "password": PASSWORD})
            base = f"/learner/contacts/{cid}"
            send(f"{base}/open", {})
            send(f"{base}/search", {"query": customer["last_name"]})
            send(f"{base}/search", {"query": customer["postcode"]})
            send(f"{base}/customers/{customer['id']}/view", {})
            send(
                f"{base}/verify", {"customer_id": customer["id"], "factor": "postcode", "answer": customer["postcode"]}
            )
            send(f"{base}/messages", {"text": f"Thanks {customer['first_name']}, is that {customer['email']}?"})
            results = send(f"{base}/kb-search", {"kb_q": f"{customer['email']} {customer['postcode']}"})
            assert "Knowledge base" in results
            send(f"{base}/kb-search", {"kb_q": "refund"})
            send(f"{base}/notes", {"text": f"Caller {customer['last_name']} asked for the balance."})
            send(base)
    finally:
        dispose_engines(live)
    log = "\n".join(r.getMessage() for r in caplog.records if r.name == "werkzeug")
    assert "/kb-search" in log and "/search" in log and f"{base}" in log  # the journey was logged
    for value in values:
        assert value not in log, f"the access log holds {value!r}"


def test_the_knowledge_base_form_posts(app, make_user, contact_of, client, login):
    uid = make_user("learner1", queue=["balance-enquiry"])
    cid = contact_of(uid, "balance-enquiry")
    login("learner1")
    client.post(f"/learner/contacts/{cid}/open")
    html = client.get(f"/learner/contacts/{cid}").get_data(as_text=True)
    assert f'<form method="post" action="/learner/contacts/{cid}/kb-search#kb"' in html
    resp = client.post(f"/learner/contacts/{cid}/kb-search", data={"kb_q": "refund"})
    assert resp.status_code == 200 and "/kb/refunds-and-authority-limits" in resp.get_data(as_text=True)


# --- 2. bounded input: CLI and upload -----------------------------------------------------------------


def test_findings_refuses_an_endless_file_without_reading_it_all(runner):
    result = runner.invoke(args=["findings", "/dev/zero"])
    assert result.exit_code == 1 and "too large" in result.output and "Traceback" not in result.output
    assert not isinstance(result.exception, MemoryError)


def test_findings_refuses_json_nested_100000_deep(runner, tmp_path):
    for name, text in (
        ("arrays.json", "[" * 100_000 + "]" * 100_000),
        ("objects.json", '{"a":' * 100_000 + "1" + "}" * 100_000),
        ("shallow-but-too-deep.json", '{"events": ' + "[" * 80 + "]" * 80 + "}"),
    ):
        path = tmp_path / name
        path.write_text(text)
        result = runner.invoke(args=["findings", str(path)])
        assert result.exit_code == 1, name
        assert "nest more than 64 deep" in result.output and "Traceback" not in result.output, name
        assert not isinstance(result.exception, RecursionError), name


def test_findings_refuses_deep_json_on_stdin(runner):
    result = runner.invoke(args=["findings", "-"], input='{"a":' * 100_000 + "1" + "}" * 100_000)
    assert result.exit_code == 1 and "nest more than 64 deep" in result.output


def test_findings_refuses_a_huge_file(runner, tmp_path):
    path = tmp_path / "huge.json"
    with path.open("wb") as fh:  # sparse: 3 GB long, next to nothing on disk
        fh.truncate(3 * 1024**3)
    result = runner.invoke(args=["findings", str(path)])
    assert result.exit_code == 1 and "too large" in result.output


MEGABYTE_FIELD = b"username,display_name,role\nann,Ann,learner\nbig," + b"x" * 1024 * 1024 + b",learner\n"


def test_import_users_cli_refuses_a_1mb_field_and_an_endless_file(runner, cohort, tmp_path):
    path = tmp_path / "big-field.csv"
    path.write_bytes(MEGABYTE_FIELD)
    result = runner.invoke(args=["import-users", "Test cohort", str(path)])
    assert result.exit_code == 1 and "a field is longer than 128 KB" in result.output
    assert "Nothing was imported" in result.output and "Traceback" not in result.output
    result = runner.invoke(args=["import-users", "Test cohort", "/dev/zero"])
    assert result.exit_code == 1 and "larger than 4 MB" in result.output


def test_import_users_cli_quotes_long_values_cut_short(runner, cohort, tmp_path):
    path = tmp_path / "long-values.csv"
    path.write_text("username,display_name,role\n" + "u" * 100_000 + ",Ann," + "r" * 100_000 + "\n")
    result = runner.invoke(args=["import-users", "Test cohort", str(path)])
    assert result.exit_code == 1 and "Nothing was imported" in result.output
    assert len(result.output) < 2_000


def test_the_trainers_import_page_refuses_a_1mb_field_and_a_huge_upload(app, cohort, make_user):
    make_user("trainer1", "trainer", in_cohort=False)
    client = app.test_client()
    client.post("/auth/login", data={"username": "trainer1", "password": PASSWORD})

    def upload(data: bytes):
        return client.post(
            f"/trainer/cohorts/{cohort}/import",
            data={"file": (io.BytesIO(data), "users.csv")},
            content_type="multipart/form-data",
            follow_redirects=True,
        )

    resp = upload(MEGABYTE_FIELD)
    assert resp.status_code == 200 and "a field is longer than 128 KB" in resp.get_data(as_text=True)
    resp = upload(b"username,display_name,role\n" + b"a,A,learner\n" * (5 * 1024 * 1024 // 12))  # 5 MB
    assert resp.status_code == 200 and "larger than 4 MB" in resp.get_data(as_text=True)
    resp = upload(b"x" * (9 * 1024 * 1024))
    assert resp.status_code == 413 and "too large" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(User.username).where(User.username == "ann")).first() is None
