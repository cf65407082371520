"""One-time passwords: their strength, the one download, reissuing (console and CLI), and sign-in with them."""

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from crm_sandbox.admin.gdpr import erase_learner
from crm_sandbox.extensions import db
from crm_sandbox.models import CredentialBatch, User, utcnow
from crm_sandbox.operations.cohorts import accounts
from crm_sandbox.operations.cohorts.accounts import OTP_ALPHABET, OTP_BITS, authenticate, one_time_password
from tests.conftest import PASSWORD, flashes, stored_rows
from tests.helpers import signed_in

GOOD = 'username,display_name,role\nalice,Alice Smith,learner\nbob,=HYPERLINK("x"),learner\ncarol,Carol Wu,assessor\n'
NEW_PASSWORD = "a-brand-new-password"


@pytest.fixture
def trainer(make_user, login):
    make_user("trainer1", "trainer", in_cohort=False)
    login("trainer1")


def import_file(client, cohort, text=GOOD):
    resp = client.post(
        f"/trainer/cohorts/{cohort}/import",
        data={"file": (io.BytesIO(text.encode()), "users.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def shown_passwords(html: str) -> dict[str, str]:
    return dict(re.findall(r"<tr><td>([^<]+)</td>.*?<td class=\"otp\">([^<]+)</td>", html, re.S))


def download_url(html: str) -> str:
    return re.search(r'action="(/trainer/credentials/\d+/download)"', html).group(1)


def test_a_one_time_password_has_at_least_128_bits_and_reads_out_in_groups():
    assert OTP_BITS >= 128
    passwords = {one_time_password() for _ in range(2000)}
    assert len(passwords) == 2000
    for p in passwords:
        groups = p.split("-")
        assert len(groups) == 7 and all(len(g) == 4 for g in groups)
        assert set("".join(groups)) <= set(OTP_ALPHABET)
    assert set("".join(passwords).replace("-", "")) == set(OTP_ALPHABET)  # every symbol is used
    assert not set("01ilo") & set(OTP_ALPHABET)  # nothing to mistake for something else


def test_the_passwords_download_once_then_never_again(app, client, cohort, trainer):
    page = import_file(client, cohort)
    shown = shown_passwords(page)
    assert set(shown) == {"alice", "bob", "carol"} and "Download as CSV (once)" in page
    # Kept encrypted until the download: the database file does not hold them in clear.
    raw = repr(stored_rows(app, ["credential_batch", "user"]))
    assert not any(p in raw for p in shown.values())

    resp = client.post(download_url(page))
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(
        r'attachment; filename="one-time-passwords-Test-cohort-\d{8}-\d{4}\.csv"', resp.headers["Content-Disposition"]
    )
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff")  # so that Excel reads the names as UTF-8
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == ["username", "display_name", "role", "one_time_password"]
    assert {r[0]: r[3] for r in rows[1:]} == shown
    assert ["bob", '\'=HYPERLINK("x")', "learner", shown["bob"]] in rows  # never run as a formula

    again = client.post(download_url(page), follow_redirects=True)
    body = again.get_data(as_text=True)
    message = " ".join(flashes(body))
    assert again.status_code == 200 and "already downloaded" in message and "can be downloaded once only" in message
    assert "Reissue one-time password" in message
    assert not any(p in body for p in shown.values())
    with app.app_context():
        batch = db.session.execute(select(CredentialBatch)).scalar_one()
        assert batch.payload is None and batch.downloaded_at is not None


def test_another_trainer_cannot_take_the_download(app, client, cohort, trainer, make_user):
    page = import_file(client, cohort)
    make_user("trainer2", "trainer", in_cohort=False)
    other = signed_in(app, "trainer2")
    assert other.post(download_url(page)).status_code == 404
    assert client.post(download_url(page)).status_code == 200  # still there for the trainer who imported


def test_the_download_expires_after_an_hour(app, client, cohort, trainer):
    page = import_file(client, cohort)
    with app.app_context():
        db.session.execute(update(CredentialBatch).values(created_at=utcnow() - timedelta(hours=1, minutes=1)))
        db.session.commit()
    resp = client.post(download_url(page), follow_redirects=True)
    assert "no longer kept" in " ".join(flashes(resp.get_data(as_text=True)))
    with app.app_context():
        assert db.session.execute(select(CredentialBatch.payload)).scalar_one() is None


def test_a_one_time_password_signs_in_once_and_forces_a_change(app, client, cohort, trainer, login):
    password = shown_passwords(import_file(client, cohort))["alice"]
    client.post("/auth/logout")
    resp = login("alice", password.upper().replace("-", " "))  # read out: case and separators do not matter
    assert resp.headers["Location"] == "/auth/password"
    resp = client.post("/auth/password", data={"current": password, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert resp.headers["Location"] == "/learner/"
    with app.app_context():
        stored = db.session.execute(select(User.password_hash).where(User.username == "alice")).scalar_one()
    assert stored.startswith("pbkdf2:sha256:1000$")  # the chosen password: the slow configured method
    client.post("/auth/logout")
    assert login("alice", password).status_code == 200  # refused: the form again
    assert login("alice", NEW_PASSWORD).headers["Location"] == "/learner/"


def test_reissue_from_the_console_signs_the_account_out_and_replaces_its_password(
    app, client, cohort, trainer, make_user, login
):
    uid = make_user("learner1", queue=["balance-enquiry"])
    learner = signed_in(app, "learner1")
    assert learner.get("/learner/").status_code == 200
    cohort_page = client.get(f"/trainer/cohorts/{cohort}").get_data(as_text=True)
    assert f'action="/trainer/users/{uid}/reissue"' in cohort_page and "Reissue for learner1" in cohort_page

    page = client.post(f"/trainer/users/{uid}/reissue", data={"confirm": "yes"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "New one-time password for learner1" in html
    new_password = shown_passwords(html)["learner1"]

    resp = learner.get("/learner/")  # the signed-in browser is signed out
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    fresh = app.test_client()
    assert fresh.post("/auth/login", data={"username": "learner1", "password": PASSWORD}).status_code == 200
    resp = fresh.post("/auth/login", data={"username": "learner1", "password": new_password})
    assert resp.headers["Location"] == "/auth/password"
    assert fresh.get("/learner/").headers["Location"] == "/auth/password"
    rows = list(csv.reader(io.StringIO(client.post(download_url(html)).get_data(as_text=True))))
    assert rows[1] == ["learner1", "learner1", "learner", new_password]


def test_reissue_is_refused_without_confirmation_for_trainers_erased_and_unknown_accounts(
    app, client, cohort, trainer, make_user
):
    uid = make_user("learner1")
    trainer_id = make_user("trainer2", "trainer", in_cohort=False)
    erased = make_user("learner2")
    with app.app_context():
        erase_learner(erased, "learner2")
        before = stored_rows(app, ["user", "user_session", "credential_batch"])

    resp = client.post(f"/trainer/users/{uid}/reissue", follow_redirects=True)
    assert "tick the box to confirm" in " ".join(flashes(resp.get_data(as_text=True)))
    resp = client.post(f"/trainer/users/{trainer_id}/reissue", data={"confirm": "yes"}, follow_redirects=True)
    assert "managed from the command line" in " ".join(flashes(resp.get_data(as_text=True)))
    resp = client.post(f"/trainer/users/{erased}/reissue", data={"confirm": "yes"}, follow_redirects=True)
    assert "was erased" in " ".join(flashes(resp.get_data(as_text=True)))
    assert client.post("/trainer/users/9999/reissue", data={"confirm": "yes"}).status_code == 404
    assert stored_rows(app, ["user", "user_session", "credential_batch"]) == before


def test_reissue_from_the_cli_prints_the_password_once_and_ends_sessions(app, runner, make_user, login, client):
    make_user("assessor1", "assessor")
    make_user("trainer1", "trainer", in_cohort=False)
    assessor = signed_in(app, "assessor1")
    assert assessor.get("/assessor/").status_code == 200

    result = runner.invoke(args=["reissue-password", "Assessor1"])
    assert result.exit_code == 0, result.output
    new_password = result.stdout.strip()
    assert re.fullmatch(r"(?:[a-z2-9]{4}-){6}[a-z2-9]{4}", new_password)
    assert "shown once" in result.stderr
    assert "/auth/login" in assessor.get("/assessor/").headers["Location"]  # signed out
    assert login("assessor1", PASSWORD).status_code == 200  # the old password no longer works
    assert login("assessor1", new_password).headers["Location"] == "/auth/password"

    assert runner.invoke(args=["reissue-password", "trainer1"]).exit_code == 0  # trainers are managed here
    result = runner.invoke(args=["reissue-password", "nobody"])
    assert result.exit_code == 1 and "There is no account called 'nobody'" in result.output


def test_cli_refuses_an_erased_account(app, runner, make_user):
    uid = make_user("learner1")
    with app.app_context():
        erase_learner(uid, "learner1")
        username = db.session.get(User, uid).username
    result = runner.invoke(args=["reissue-password", username])
    assert result.exit_code == 1 and "was erased" in result.output


def test_every_sign_in_does_the_same_work_whoever_it_is_for(app, make_user, monkeypatch):
    """One slow check and one one-time check per attempt: the time does not tell an unknown username,
    a pending one-time password or an erased account from an ordinary wrong password."""
    make_user("chosen")
    pending = make_user("pending")
    erased = make_user("erased1")
    calls = []
    real_slow, real_otp = accounts.check_password_hash, accounts._check_one_time
    monkeypatch.setattr(accounts, "check_password_hash", lambda *a: calls.append("slow") or real_slow(*a))
    monkeypatch.setattr(accounts, "_check_one_time", lambda *a: calls.append("otp") or real_otp(*a))
    with app.app_context():
        from crm_sandbox.operations.cohorts.enrolment import reissue_password

        otp = reissue_password(pending).accounts[0].password
        erased_name = erase_learner(erased, "erased1").username
        for username, password in [
            ("nobody", "guess-guess"),
            ("chosen", "guess-guess"),
            ("pending", "guess-guess"),
            (erased_name, "guess-guess"),
            ("chosen", PASSWORD),
            ("pending", otp),
        ]:
            calls.clear()
            authenticate(username, password)
            assert sorted(calls) == ["otp", "slow"], (username, calls)
        assert authenticate("chosen", PASSWORD) and authenticate("pending", otp)
        assert authenticate("pending", PASSWORD) is None


def test_disabling_ends_sessions_so_enabling_again_does_not_revive_an_old_cookie(
    app, client, cohort, trainer, make_user
):
    uid = make_user("learner1", queue=["balance-enquiry"])
    learner = signed_in(app, "learner1")
    client.post(f"/trainer/users/{uid}/active", data={"active": "0"})
    client.post(f"/trainer/users/{uid}/active", data={"active": "1"})
    assert "/auth/login" in learner.get("/learner/").headers["Location"]
