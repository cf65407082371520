"""Bulk account import from CSV (UI and CLI): the good case and each bad one, all or nothing."""

import io

import pytest
from sqlalchemy import func, select

from crm_sandbox.extensions import db
from crm_sandbox.models import User
from crm_sandbox.operations.cohorts.accounts import verify_password
from crm_sandbox.operations.cohorts.enrolment import MAX_ROWS, ImportProblems, import_users, parse_users_csv
from tests.conftest import flashes

GOOD = "username,display_name,role\nalice,Alice Smith,learner\nbob,Bob Jones,Learner\ncarol,Carol Wu,assessor\n"


def user_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(User.id))).scalar()


def problems_of(data) -> list[str]:
    with pytest.raises(ImportProblems) as err:
        parse_users_csv(data)
    return err.value.problems


def test_good_file_creates_accounts_with_one_time_passwords(app, cohort):
    with app.app_context():
        accounts = import_users(cohort, GOOD.encode()).accounts
        assert [(a.username, a.role) for a in accounts] == [
            ("alice", "learner"),
            ("bob", "learner"),
            ("carol", "assessor"),
        ]
        assert len({a.password for a in accounts}) == 3
        for a in accounts:
            user = db.session.execute(select(User).where(User.username == a.username)).scalar_one()
            assert user.cohort_id == cohort and user.must_change_password and user.active
            assert verify_password(user.password_hash, a.password)
            other = "y" if a.password[-1] != "y" else "z"  # a different last character
            assert not verify_password(user.password_hash, a.password[:-1] + other)
            assert a.password not in user.password_hash
            assert user.password_hash.startswith("otp-hmac-sha256$")  # fast and keyed: the slow kind is for chosen ones


def test_bom_is_accepted(app, cohort):
    with app.app_context():
        accounts = import_users(cohort, b"\xef\xbb\xbf" + GOOD.encode()).accounts
    assert [a.username for a in accounts] == ["alice", "bob", "carol"]


@pytest.mark.parametrize(
    "data, expected",
    [
        ("username,role\nalice,learner\n", "no display_name column"),
        ("", "The file is empty"),
        ("username,display_name,role\n", "no accounts"),
        (
            "username,display_name,role\nalice,A,learner\nbob,B,learner\nALICE,A2,learner\n",
            "'alice' is already on line 2",
        ),
        ("username,display_name,role\nalice,A,trainer\n", "unknown role 'trainer'"),
        ("username,display_name,role\nal ice,A,learner\n", "is not 1–80 letters"),
        (b"username,display_name,role\n\xff\xfe,x,learner\n", "not UTF-8"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(data, expected):
    assert any(expected in p for p in problems_of(data)), problems_of(data)


def test_every_problem_is_reported_and_nothing_is_created(app, cohort):
    data = "username,display_name,role\nok1,Ok,learner\nbad,Bad,admin\nok1,Dup,learner\n"
    before = user_count(app)
    with app.app_context(), pytest.raises(ImportProblems) as err:
        import_users(cohort, data)
    assert len(err.value.problems) == 2 and str(err.value).startswith("Nothing was imported.")
    assert user_count(app) == before


def test_a_username_already_taken_refuses_the_whole_file_and_points_to_reissue(app, cohort, make_user):
    make_user("bob", "learner")
    make_user("carol", "assessor")
    before = user_count(app)
    with app.app_context(), pytest.raises(ImportProblems) as err:
        import_users(cohort, GOOD)
    message = str(err.value)
    assert "2 username(s) in the file already have an account: 'bob', 'carol'" in message
    assert "Reissue one-time password" in message and "reissue-password USERNAME" in message
    assert user_count(app) == before  # alice was not created either


def test_a_full_file_imports_in_one_transaction_and_one_more_row_or_twenty_thousand_are_refused(app, cohort):
    rows = "".join(f"learner{n:05d},Learner {n},learner\n" for n in range(MAX_ROWS))
    seen = []
    with app.app_context():
        accounts = import_users(cohort, "username,display_name,role\n" + rows, progress=seen.append).accounts
    assert len(accounts) == MAX_ROWS and sum(seen) == MAX_ROWS
    assert user_count(app) == MAX_ROWS
    with app.app_context(), pytest.raises(ImportProblems, match=f"more than {MAX_ROWS:,} accounts"):
        import_users(cohort, "username,display_name,role\n" + rows + "one-more,One more,learner\n")
    huge = "".join(f"other{n:05d},Other {n},learner\n" for n in range(20_000))
    with app.app_context(), pytest.raises(ImportProblems, match=f"more than {MAX_ROWS:,} accounts"):
        import_users(cohort, "username,display_name,role\n" + huge)
    assert user_count(app) == MAX_ROWS


@pytest.mark.parametrize(
    "data, expected",
    [
        # Mixed encodings: UTF-8 with one line saved as Windows-1252 (é as a lone 0xE9 byte).
        (
            "username,display_name,role\nann,Ann,learner\n".encode() + "zoe,Zoé,learner\n".encode("cp1252"),
            "line 3 is in another encoding",
        ),
        (
            b"username,display_name,role\nann,Ann,learner\nbig," + b"x" * (128 * 1024 + 1) + b",learner\n",
            "Line 3 cannot be read as CSV (a field is longer than 128 KB)",
        ),
        (b"username,display_name,role\nann," + b"y" * 5000 + b",learner\n", "longer than 120 characters"),
    ],
)
def test_unreadable_files_get_a_clear_message_and_nothing_is_created(
    app, client, cohort, make_user, login, data, expected
):
    make_user("trainer1", "trainer", in_cohort=False)
    login("trainer1")
    before = user_count(app)
    resp = client.post(
        f"/trainer/cohorts/{cohort}/import",
        data={"file": (io.BytesIO(data), "users.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert resp.status_code == 200
    assert any(expected in m for m in flashes(resp.get_data(as_text=True))), flashes(resp.get_data(as_text=True))
    assert user_count(app) == before


def test_re_importing_the_same_file_lists_the_accounts_and_points_to_reissue(app, client, cohort, make_user, login):
    make_user("trainer1", "trainer", in_cohort=False)
    login("trainer1")
    upload = {"file": (io.BytesIO(GOOD.encode()), "users.csv")}
    assert (
        client.post(f"/trainer/cohorts/{cohort}/import", data=upload, content_type="multipart/form-data").status_code
        == 200
    )
    before = user_count(app)
    resp = client.post(
        f"/trainer/cohorts/{cohort}/import",
        data={"file": (io.BytesIO(GOOD.encode()), "users.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    message = " ".join(flashes(resp.get_data(as_text=True)))
    assert (
        "3 username(s) in the file already have an account: &#39;alice&#39;, &#39;bob&#39;, &#39;carol&#39;" in message
    )
    assert "Reissue one-time password" in message
    assert user_count(app) == before


def test_upload_shows_passwords_once_and_first_sign_in_forces_a_change(app, client, cohort, make_user, login):
    make_user("trainer1", "trainer", in_cohort=False)
    login("trainer1")
    resp = client.post(
        f"/trainer/cohorts/{cohort}/import",
        data={"file": (io.BytesIO(b"\xef\xbb\xbf" + GOOD.encode()), "users.csv")},
        content_type="multipart/form-data",
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "shown <strong>once</strong>" in body
    assert resp.headers["Cache-Control"] == "no-store"
    import re

    password = re.search(r"<td>alice</td>.*?<td class=\"otp\">([^<]+)</td>", body, re.S).group(1)
    assert password not in client.get(f"/trainer/cohorts/{cohort}").get_data(as_text=True)
    client.post("/auth/logout")

    resp = login("alice", password)
    assert resp.headers["Location"] == "/auth/password"
    assert client.get("/learner/").headers["Location"] == "/auth/password"  # nothing else before the change
    resp = client.post("/auth/password", data={"current": password, "new": "short", "confirm": "short"})
    assert "at least 10 characters" in " ".join(flashes(resp.get_data(as_text=True)))
    resp = client.post(
        "/auth/password", data={"current": password, "new": "a-new-long-pass", "confirm": "a-new-long-pass"}
    )
    assert resp.status_code == 303 and resp.headers["Location"] == "/learner/"
    assert client.get("/learner/").status_code == 200
    client.post("/auth/logout")
    assert login("alice", password).status_code == 200  # the one-time password no longer works
    assert login("alice", "a-new-long-pass").headers["Location"] == "/learner/"


def test_bad_upload_shows_the_problems(client, cohort, make_user, login):
    make_user("trainer1", "trainer", in_cohort=False)
    login("trainer1")
    resp = client.post(
        f"/trainer/cohorts/{cohort}/import",
        data={"file": (io.BytesIO(b"username,role\nx,learner\n"), "users.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "no display_name column" in " ".join(flashes(resp.get_data(as_text=True)))


def test_cli_import_prints_passwords_and_refuses_bad_files(app, runner, cohort, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    bad.write_text("username,display_name,role\nzed,Zed,boss\n")
    result = runner.invoke(args=["import-users", "Test cohort", str(good)])
    assert result.exit_code == 0, result.output
    assert "alice,Alice Smith,learner," in result.output and "Imported 3 account(s)" in result.output
    result = runner.invoke(args=["import-users", "Test cohort", str(bad)])
    assert result.exit_code == 1 and "unknown role 'boss'" in result.output
    assert "Nothing was imported" in result.output
    result = runner.invoke(args=["import-users", "No such cohort", str(good)])
    assert result.exit_code == 1 and "There is no cohort called" in result.output
