"""Policies that cannot break a cohort: the trainer's form reads and checks every setting strictly
(refused values are shown again as typed, with the problem beside the field), and a bad policy that
got into the database anyway gives learners a clear message, never a 500, and is flagged to trainers."""

import html
import re
import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from crm_sandbox.config import SEED_DIR
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Contact, Event
from crm_sandbox.policy import load_policy, policy_problems, validate_policy
from tests.conftest import flashes
from tests.helpers import customer_of, take_and_find

VALID = {
    "idv_factors": ["date_of_birth", "postcode"],
    "idv_required": "1",
    "lockout_attempts": "5",
    "authority_limit": "25.50",
    "late_log_minutes": "15",
    "panel_mode": "compare",
    "practice_mode": "on",
}
NEEDS_FIXING = "needs fixing by a trainer"


@pytest.fixture
def trainer(app, make_user):
    from tests.helpers import signed_in

    make_user("trainer1", "trainer", in_cohort=False)
    return signed_in(app, "trainer1")


def stored_policy(app, cohort_id: int) -> dict:
    with app.app_context():
        return dict(db.session.get(Cohort, cohort_id).policy)


def field_value(page: str, field: str) -> str:
    match = re.search(rf'<input id="{field}"[^>]*\bvalue="([^"]*)"', page)
    assert match, f"no {field} field"
    return html.unescape(match.group(1))


def field_error(page: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)) if match else ""


@pytest.mark.parametrize(
    "field, typed, names",
    [
        ("authority_limit", "NaN", "“NaN” is not a number"),
        ("authority_limit", "Infinity", "“Infinity” is not a number"),
        ("authority_limit", "-Infinity", "“-Infinity” is not a number"),
        ("authority_limit", "1e308", "written with an exponent"),
        ("authority_limit", "-5", "“-5” is below 0"),
        ("authority_limit", "", "nothing was entered"),
        ("authority_limit", "abc", "“abc” is not a number"),
        ("authority_limit", "5.123", "more than 2 decimal places"),
        ("authority_limit", "100000.01", "it is 100000.01"),
        ("authority_limit", "9" * 5000, "5,000 characters long"),
        ("lockout_attempts", "1000000", "it is 1000000"),
        ("lockout_attempts", "0", "it is 0"),
        ("lockout_attempts", "nan", "“nan” is not a number"),
        ("lockout_attempts", "2.5", "not a whole number"),
        ("idv_required", "", "nothing was entered"),
        ("idv_required", "3", "3 must pass but only 2 are offered"),
        ("late_log_minutes", "-5", "below 0"),
        ("late_log_minutes", "1441", "it is 1441"),
        ("late_log_minutes", "1e3", "exponent"),
    ],
)
def test_a_bad_number_is_refused_named_and_kept_as_typed(app, trainer, cohort, field, typed, names):
    before = stored_policy(app, cohort)
    resp = trainer.post(f"/trainer/cohorts/{cohort}/policy", data={**VALID, field: typed})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400  # shown again, not redirected: nothing typed is lost
    assert "The policy was not changed" in " ".join(flashes(page))
    message = field_error(page, field)
    label = {
        "authority_limit": "The authority limit must be an amount from £0 to £100,000",
        "lockout_attempts": "The lockout must be a whole number of wrong answers from 1 to 10",
        "idv_required": "The number of questions that must pass must be a whole number from 1",
        "late_log_minutes": "The late-log tolerance must be a whole number of minutes from 0 to 1,440",
    }[field]
    assert message.startswith(label) and names in message
    assert field_value(page, field) == typed
    other = "late_log_minutes" if field != "late_log_minutes" else "lockout_attempts"
    assert field_value(page, other) == VALID[other] and not field_error(page, other)  # the rest kept too
    assert f'aria-describedby="{field}-hint {field}-error" aria-invalid="true"' in page
    assert stored_policy(app, cohort) == before


@pytest.mark.parametrize(
    "factors, names",
    [
        ([], "none chosen"),
        (["date_of_birth", "mothers_maiden_name"], "mothers_maiden_name is not a known question"),
        (["postcode", "postcode"], "listed more than once"),
    ],
)
def test_bad_factor_choices_are_refused_and_the_ticks_kept(app, trainer, cohort, factors, names):
    before = stored_policy(app, cohort)
    resp = trainer.post(f"/trainer/cohorts/{cohort}/policy", data={**VALID, "idv_factors": factors})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert names in field_error(page, "idv_factors")
    assert field_error(page, "idv_factors").startswith("The ID&V questions must be")
    ticked = re.findall(r'name="idv_factors" value="(\w+)" checked', page)
    assert ticked == [f for f in ("date_of_birth", "postcode") if f in factors]
    assert field_value(page, "authority_limit") == "25.50"
    assert stored_policy(app, cohort) == before


def test_a_bad_panel_mode_is_refused(app, trainer, cohort):
    before = stored_policy(app, cohort)
    page = trainer.post(f"/trainer/cohorts/{cohort}/policy", data={**VALID, "panel_mode": "peek"}).get_data(
        as_text=True
    )
    assert "The ID&V panel must be blind or compare (it is peek)." == field_error(page, "panel_mode")
    assert stored_policy(app, cohort) == before


def test_every_problem_is_shown_at_once(app, trainer, cohort):
    page = trainer.post(
        f"/trainer/cohorts/{cohort}/policy",
        data={**VALID, "authority_limit": "NaN", "lockout_attempts": "1000000", "late_log_minutes": "soon"},
    ).get_data(as_text=True)
    assert all(field_error(page, f) for f in ("authority_limit", "lockout_attempts", "late_log_minutes"))
    assert not field_error(page, "idv_required")
    assert re.search(r'id="lockout_attempts"[^>]*autofocus', page)  # the first field to fix (in form order)
    assert page.count("autofocus") == 1


def test_values_at_the_edges_of_the_ranges_are_saved(app, trainer, cohort):
    resp = trainer.post(
        f"/trainer/cohorts/{cohort}/policy",
        data={
            **VALID,
            "idv_factors": list(("date_of_birth", "postcode", "memorable_word_characters", "account_number_last4")),
            "idv_required": "4",
            "lockout_attempts": "10",
            "authority_limit": "£100,000.00",
            "late_log_minutes": "1,440",
        },
    )
    assert resp.status_code == 303
    policy = stored_policy(app, cohort)
    assert (
        policy["idv_required"],
        policy["lockout_attempts"],
        policy["authority_limit"],
        policy["late_log_minutes"],
    ) == (4, 10, 100000.0, 1440)
    trainer.post(
        f"/trainer/cohorts/{cohort}/policy",
        data={**VALID, "authority_limit": "0", "late_log_minutes": "0", "lockout_attempts": "1"},
    )
    policy = stored_policy(app, cohort)
    assert (policy["authority_limit"], policy["late_log_minutes"], policy["lockout_attempts"]) == (0.0, 0, 1)
    page = trainer.get(f"/trainer/cohorts/{cohort}").get_data(as_text=True)
    assert field_value(page, "authority_limit") == "0.00" and "Needs fixing" not in page


# A policy that got into the database anyway (edited there, or saved before policies were checked).
BAD_STORED = [
    pytest.param(
        {"authority_limit": float("nan")},
        "the authority limit",
        id="nan",
        marks=pytest.mark.requires_sqlite("PostgreSQL's JSON cannot hold NaN at all"),
    ),
    pytest.param({"authority_limit": 1e308}, "the authority limit", id="1e308"),
    pytest.param({"authority_limit": "abc"}, "the authority limit", id="text"),
    pytest.param({"lockout_attempts": 1_000_000}, "the lockout", id="lockout"),
    pytest.param({"idv_factors": ["date_of_birth", "shoe_size"]}, "the ID&V questions", id="factor"),
    pytest.param({"idv_required": 9}, "the number of questions that must pass", id="required"),
]


def spoil(app, model, row_id: int, change: dict) -> None:
    with app.app_context():
        row = db.session.get(model, row_id)
        row.policy = {**row.policy, **change}
        flag_modified(row, "policy")
        db.session.commit()


@pytest.mark.parametrize("change, named", BAD_STORED)
def test_a_bad_stored_cohort_policy_stops_taking_a_contact_with_a_message(
    app, client, login, make_user, contact_of, cohort, trainer, change, named
):
    learner = make_user("learner1", queue=["balance-enquiry"])
    cid = contact_of(learner, "balance-enquiry")
    spoil(app, Cohort, cohort, change)
    login("learner1")
    assert client.get(f"/learner/contacts/{cid}").status_code == 200  # the queued contact still shows
    resp = client.post(f"/learner/contacts/{cid}/open")
    assert resp.status_code == 303
    said = html.unescape(" ".join(flashes(client.get(resp.location).get_data(as_text=True))))
    assert f"This cohort's policy {NEEDS_FIXING}: {named} must be" in said
    with app.app_context():
        contact = db.session.get(Contact, cid)
        assert contact.status == "queued"
        assert not db.session.execute(select(Event.id).where(Event.contact_id == cid)).first()
    console = trainer.get("/trainer/").get_data(as_text=True)
    assert "Policy needs fixing" in console
    page = trainer.get(f"/trainer/cohorts/{cohort}")
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200 and "This cohort's policy is not valid" in text
    assert named[:1].upper() + named[1:] + " must be" in text


@pytest.mark.parametrize("change, named", BAD_STORED)
def test_a_contact_opened_under_a_bad_policy_gives_messages_not_500s(
    app, client, login, make_user, contact_of, cohort, change, named
):
    learner = make_user("learner1", queue=["balance-enquiry"])
    make_user("assessor1", "assessor")
    cid = contact_of(learner, "balance-enquiry")
    login("learner1")
    customer = customer_of(app, cid)
    take_and_find(client, cid, customer)
    spoil(app, Contact, cid, change)
    with app.app_context():
        events_before = db.session.execute(select(Event.id).where(Event.contact_id == cid)).scalars().all()
    desk = client.get(f"/learner/contacts/{cid}")
    assert desk.status_code == 409
    text = html.unescape(desk.get_data(as_text=True))
    assert f"The policy this contact was opened under {NEEDS_FIXING}: {named}" in text
    assert "Policy needs fixing" in text
    base = f"/learner/contacts/{cid}"
    for action, data in [
        ("search", {"query": customer["last_name"]}),
        (f"customers/{customer['id']}/view", {}),
        ("verify", {"customer_id": customer["id"], "factor": "date_of_birth", "answer": "01/01/1980"}),
        ("refund", {"amount": "10.00", "kind": "goodwill", "reason": "Delay"}),
        ("notes", {"text": "Called about the balance."}),
        ("messages", {"text": "Hello"}),
    ]:
        resp = client.post(f"{base}/{action}", data=data, headers={"X-Requested-With": "fetch"})
        assert resp.status_code == 409, (action, resp.status_code)
        assert NEEDS_FIXING in resp.get_json()["error"]
    assert client.get(f"{base}/updates").status_code == 409
    with app.app_context():
        assert db.session.execute(select(Event.id).where(Event.contact_id == cid)).scalars().all() == events_before
    client.post("/auth/logout")
    login("assessor1")
    for url in (f"/assessor/contacts/{cid}/observe", f"/assessor/contacts/{cid}/review", "/assessor/"):
        assert client.get(url).status_code == 200, url


def test_validate_policy_accepts_the_seed_and_names_each_problem():
    policy = load_policy(str(SEED_DIR))
    assert validate_policy(policy) == []
    assert set(
        policy_problems(
            {
                **policy,
                "authority_limit": float("inf"),
                "lockout_attempts": True,
                "late_log_minutes": 10.5,
                "practice_mode": "yes",
                "on_failure": ["x"],
            }
        )
    ) == {"authority_limit", "lockout_attempts", "late_log_minutes", "practice_mode", "on_failure"}
    assert validate_policy(None) == ["the policy must be a set of named settings"]
    assert policy_problems({**policy, "authority_limit": 1e308})["authority_limit"].endswith("(it is over a billion).")


@pytest.mark.parametrize(
    "change, named",
    [
        ({"authority_limit": float("nan")}, "the authority limit"),
        ({"authority_limit": 1e308}, "the authority limit"),
        ({"lockout_attempts": 1_000_000}, "the lockout"),
        ({"idv_factors": ["date_of_birth", "date_of_birth"]}, "the ID&V questions"),
    ],
)
def test_a_bad_seed_policy_file_stops_seeding_with_a_clear_message(app, tmp_path, runner, change, named):
    seed = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seed)
    Path(seed, "policy.yaml").write_text(yaml.safe_dump({**load_policy(str(SEED_DIR)), **change}))
    with pytest.raises(ValueError, match=f"seed/policy.yaml needs fixing: {named} must be"):
        load_policy(str(seed))
    app.config["SEED_DIR"] = str(seed)
    result = runner.invoke(args=["bootstrap"])
    assert result.exit_code != 0 and f"{named} must be" in result.output and "Traceback" not in result.output


def test_an_unreadable_seed_policy_file_is_named(tmp_path):
    Path(tmp_path, "policy.yaml").write_text("idv_factors: [unclosed\n")
    with pytest.raises(ValueError, match="seed/policy.yaml is not valid YAML"):
        load_policy(str(tmp_path))
    with pytest.raises(ValueError, match="seed/policy.yaml cannot be read"):
        load_policy(str(tmp_path / "missing"))


def test_creating_a_cohort_with_a_bad_seed_policy_is_refused_plainly(app, trainer, tmp_path):
    Path(tmp_path, "policy.yaml").write_text("authority_limit: .inf\n")
    app.config["SEED_DIR"] = str(tmp_path)
    resp = trainer.post("/trainer/cohorts", data={"name": "May group"}, follow_redirects=True)
    assert resp.status_code == 200
    assert "No cohort was created: the default policy, seed/policy.yaml needs fixing" in html.unescape(
        " ".join(flashes(resp.get_data(as_text=True)))
    )
    with app.app_context():
        assert db.session.execute(select(Cohort.id).where(Cohort.name == "May group")).first() is None
