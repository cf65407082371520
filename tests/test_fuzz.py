"""Fuzzing with Hypothesis: every form of the app, the findings engine's input, and CSV neutralisation.

For every form, with arbitrary text (control characters, NUL bytes, very long strings, HTML and script,
any Unicode): never a 500; anything echoed back is escaped, in text and in attributes; no event is lost
(each contact's chain verifies, seq contiguous); and a refused request records nothing.

Each test builds its app once and sends many requests to it (the examples share one database), so
events accumulate the way they do on a real desk.
"""

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm_sandbox.compliance import SessionFormatError, evaluate, load_session, parse_session
from crm_sandbox.events.append import contact_events
from crm_sandbox.events.chain import verify_contact
from crm_sandbox.extensions import db
from crm_sandbox.formatting import FORMULA_START, neutralise
from crm_sandbox.models import Contact, Finding
from crm_sandbox.reports.csv_export import cohort_findings_csv
from tests.conftest import PASSWORD, stored_rows
from tests.helpers import FETCH, customer_of, signed_in, take_and_find
from tests.reporting import play_change_of_address

FUZZ = settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

# Script in text and in attributes: if any of these comes back verbatim, something was not escaped.
PAYLOADS = (
    '"><script>fz(1)</script>',
    "'><img src=x onerror=fz(2)>",
    "<svg/onload=fz(3)>",
    "</textarea><script>fz(4)</script>",
    '" autofocus onfocus="fz(5)',
    "' onmouseover='fz(6)",
)
ODD = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n\r\n",
    "\u202eevil",
    "\ufeff",
    "\u0000<script>",
    "²",
    "١٢",
    "-1",
    "0",
    "9" * 30,
    "1e400",
    "NaN",
    '=HYPERLINK("http://x")',
    "{{7*7}}",
    "{% raw %}",
    "%s%n%x",
    "../../etc/passwd",
    "' OR 1=1 --",
    "😀" * 50,
    "\t\v\f",
    "<b>",
    "&amp;",
    "&#60;script&#62;",
)

plain = st.text(max_size=30)  # any Unicode but surrogates: control characters and NUL included
with_payload = st.builds(
    lambda a, p, b: a + p + b, st.text(max_size=15), st.sampled_from(PAYLOADS), st.text(max_size=15)
)
very_long = st.builds(lambda s, n: (s * n)[:n], st.text(min_size=1, max_size=5), st.integers(990, 6000))
nasty = st.one_of(plain, with_payload, with_payload, very_long, st.sampled_from(ODD))


def maybe(*valid) -> st.SearchStrategy:
    """A valid value half the time (so the success path is fuzzed too), anything otherwise."""
    return st.one_of(st.sampled_from(valid), with_payload, nasty)


def fields(**strategies) -> st.SearchStrategy:
    """A form: each field drawn from its strategy, or left out (None)."""
    return st.fixed_dictionaries(
        {k: st.one_of(st.none(), v) if k != "_required" else v for k, v in strategies.items()}
    ).map(lambda d: {k: v for k, v in d.items() if v is not None})


def segment(strategy) -> st.SearchStrategy:
    """A URL path segment from arbitrary text, quoted."""
    return strategy.map(lambda s: quote(s, safe="") or "x")


# --- the database as it is: what a refused request must not change, and the chains ---------------------------
EVIDENCE_TABLES = (
    "event",
    "finding",
    "finding_decision",
    "criterion_judgement",
    "assessment",
    "customer",
    "account_transaction",
    "contact",
    "chain_seal",
    "cohort",
)


def snapshot(app) -> dict:
    return stored_rows(app, EVIDENCE_TABLES)  # SQLite or PostgreSQL (tests/conftest.py)


def assert_chains_whole(app) -> None:
    with app.app_context():
        for cid in db.session.execute(select(Contact.id)).scalars():
            status = verify_contact(cid)
            assert status.ok, status.problem
            assert [e.seq for e in contact_events(cid)] == list(range(1, status.events + 1))


def assert_escaped(html: str, where: str) -> None:
    for payload in PAYLOADS:
        assert payload not in html, f"unescaped {payload!r} in {where}"


def assert_not_500(resp, where: str) -> None:
    assert resp.status_code < 500, f"{resp.status_code} from {where}"
    body = resp.get_data(as_text=True)
    assert "Traceback" not in body


def accepted(resp) -> bool:
    """Whether the action was done (the page's script gets JSON ``ok``); anything else is a refusal."""
    return resp.is_json and resp.get_json().get("ok") is True


def submit(app, client, path: str, data: dict, pages) -> None:
    """POST a form as the page's script does and check every invariant."""
    before = snapshot(app)
    resp = client.post(path, data=data, headers=FETCH)
    assert_not_500(resp, path)
    if not accepted(resp):
        assert snapshot(app) == before, f"refused {path} ({resp.status_code}) changed the database"
    assert_chains_whole(app)
    for c, url in pages:
        page = c.get(url)
        assert_not_500(page, url)
        assert_escaped(page.get_data(as_text=True), url)


# --- the desk: a learner with a live contact and a closed, findings-laden one; an assessor watching -------------
@pytest.fixture
def desk(app, client, make_user, login, contact_of):
    uid = make_user("learner1", queue=["balance-enquiry", "change-of-address"])
    make_user("assessor1", "assessor")
    login("learner1")
    live = contact_of(uid, "balance-enquiry")
    closed = contact_of(uid, "change-of-address")
    customer = customer_of(app, live)
    take_and_find(client, live, customer)
    client.post(f"/learner/contacts/{live}/notes", data={"text": "First note."})
    play_change_of_address(app, client, closed)  # a leading question, a change before ID&V: findings
    assessor = signed_in(app, "assessor1")
    with app.app_context():
        findings = db.session.execute(select(Finding.id).where(Finding.contact_id == closed)).scalars().all()
        note_seq = next(e.seq for e in contact_events(live) if e.type == "note.added")
    assert findings
    # Where what was typed is shown again: the learner's desk, the assessor's live view, review and report.
    pages = [(client, f"/learner/contacts/{live}"), (assessor, f"/assessor/contacts/{live}/observe")]
    review_pages = [(assessor, f"/assessor/contacts/{closed}/review"), (assessor, f"/reports/contacts/{closed}")]
    return {
        "live": live,
        "closed": closed,
        "customer": customer,
        "note_seq": note_seq,
        "findings": findings,
        "learner": client,
        "assessor": assessor,
        "pages": pages,
        "review_pages": review_pages,
    }


def learner_forms(d) -> dict[str, st.SearchStrategy]:
    c = d["customer"]
    token = nasty
    return {
        "search": fields(query=maybe(c["last_name"], c["postcode"], c["email"]), form_token=token),
        "view": st.tuples(st.one_of(st.just(c["id"]), st.integers(-5, 10**20)), fields(form_token=token)).map(
            lambda t: (f"customers/{t[0]}/view", t[1])
        ),
        "verify": fields(
            customer_id=maybe(str(c["id"])),
            answer=maybe(c["postcode"], "01/01/1980", "1234", "a b"),
            factor=maybe("date_of_birth", "postcode", "memorable_word_characters", "account_number_last4"),
            form_token=token,
        ),
        "messages": fields(
            text=maybe("Hello, how can I help?"), template_id=maybe("greeting-chat"), subject=nasty, form_token=token
        ),
        "notes": fields(
            text=maybe("Caller asked for a balance."), outcome=maybe("resolved", "no-action"), form_token=token
        ),
        "amend": st.tuples(
            st.one_of(st.just(d["note_seq"]), st.integers(0, 10**20)),
            fields(text=maybe("Amended note."), reason=maybe("Typo."), form_token=token),
        ).map(lambda t: (f"notes/{t[0]}/amend", t[1])),
        "details": fields(
            field=maybe(
                "address_line1", "address_line2", "town", "postcode", "email", "phone", "balance", "first_name"
            ),
            value=maybe("LS1 4AP", "a@example.com", "0113 496 0123", "1 High St"),
            form_token=token,
        ),
        "refund": fields(
            amount=maybe("5", "25.00", "£1,000", "0.001", "1e30", "-3"),
            kind=maybe("refund", "goodwill"),
            reason=maybe("Delay."),
            over_limit=maybe("yes"),
            form_token=token,
        ),
        "complaint": fields(
            summary=maybe("Unhappy with the wait."),
            investigation=nasty,
            remedy=nasty,
            outcome_communicated=maybe("yes"),
            form_token=token,
        ),
        "escalate": fields(reason=maybe("Asked for a manager."), form_token=token),
        "kb": st.tuples(segment(maybe("escalation", "idv-policy")), fields(form_token=token)).map(
            lambda t: (f"kb/{t[0]}", t[1])
        ),
        "close": fields(outcome=maybe("resolved", "no-action"), resolved=maybe("yes", "no"), form_token=token),
    }


def as_request(base: str, name: str, drawn):
    if isinstance(drawn, tuple):
        return f"{base}/{drawn[0]}", drawn[1]
    return f"{base}/{name}", drawn


LEARNER_FORMS = [
    "search",
    "view",
    "verify",
    "messages",
    "notes",
    "amend",
    "details",
    "refund",
    "complaint",
    "escalate",
    "kb",
    "close",
]


@pytest.mark.parametrize("name", LEARNER_FORMS)
@FUZZ
@given(data=st.data())
def test_learner_forms(app, desk, name, data):
    path, form = as_request(f"/learner/contacts/{desk['live']}", name, data.draw(learner_forms(desk)[name]))
    submit(app, desk["learner"], path, form, desk["pages"])


def assessor_forms(d) -> dict[str, st.SearchStrategy]:
    closed, live = d["closed"], d["live"]
    ids = st.sampled_from(d["findings"])
    return {
        "decision": st.tuples(
            ids, fields(decision=maybe("confirmed", "dismissed"), comment=nasty, seen=maybe("0", "1", "²"))
        ).map(lambda t: (f"/assessor/contacts/{closed}/findings/{t[0]}/decision", t[1])),
        "own finding": st.tuples(
            st.lists(maybe("1", "2", "3", "99"), max_size=4),
            fields(
                rule=nasty,
                explanation=maybe("Did not check the address."),
                evidence=nasty,
                severity=maybe("high", "medium", "low"),
            ),
        ).map(lambda t: (f"/assessor/contacts/{closed}/findings", {**t[1], "events": t[0]})),
        "criteria": st.tuples(
            segment(maybe("verify-identity", "contemporaneous-logging")),
            fields(met=maybe("met", "not_yet"), comment=nasty),
        ).map(lambda t: (f"/assessor/contacts/{closed}/criteria/{t[0]}", t[1])),
        "sign-off": fields(outcome=maybe("competent", "not_yet_competent"), feedback=maybe("Well done.")).map(
            lambda f: (f"/assessor/contacts/{closed}/sign-off", f)
        ),
        "observations": st.tuples(
            st.sampled_from([live, closed]),
            fields(text=maybe("Good rapport."), as_finding=maybe("yes"), back=maybe("review")),
        ).map(lambda t: (f"/assessor/contacts/{t[0]}/observations", t[1])),
        "caller messages": fields(text=maybe("It's about my balance."), form_token=nasty).map(
            lambda f: (f"/assessor/contacts/{live}/caller/message", f)
        ),
    }


@pytest.mark.parametrize("name", ["decision", "own finding", "criteria", "sign-off", "observations", "caller messages"])
@FUZZ
@given(data=st.data())
def test_assessor_forms(app, desk, name, data):
    assessor = desk["assessor"]
    if name == "caller messages":
        assert accepted(assessor.post(f"/assessor/contacts/{desk['live']}/caller/take", headers=FETCH))
    path, form = data.draw(assessor_forms(desk)[name])
    submit(app, assessor, path, form, desk["pages"] if name == "caller messages" else desk["review_pages"])


@pytest.fixture
def released(app, desk):
    """The closed contact signed off and its report released to the learner."""
    from tests.reporting import review_contact

    review_contact(app, desk["closed"], release=True)
    return desk


@FUZZ
@given(form=fields(comment=maybe("I agree with the feedback.")))
def test_learner_acknowledgement_form(app, released, form):
    client, closed = released["learner"], released["closed"]
    before = snapshot(app)
    resp = client.post(f"/learner/contacts/{closed}/report/acknowledge", data=form)
    assert_not_500(resp, "acknowledge")
    page = client.get(resp.location) if resp.location else resp  # a 400 (a NUL byte, say) is its own page
    assert_not_500(page, "report")
    if "Thank you: your comment and signature are recorded." not in page.get_data(as_text=True):
        assert snapshot(app) == before  # refused: nothing recorded
    assert_escaped(page.get_data(as_text=True), "the learner's report")
    assert_chains_whole(app)


@FUZZ
@given(kb_q=nasty, after=nasty, learner=nasty, status=nasty)
def test_query_strings_are_escaped_and_never_fail(app, desk, kb_q, after, learner, status):
    live = desk["live"]
    for c, url, query in (
        (desk["learner"], f"/learner/contacts/{live}", {"kb_q": kb_q}),
        (desk["learner"], f"/learner/contacts/{live}/updates", {"after": after}),
        (desk["assessor"], f"/assessor/contacts/{live}/timeline", {"after": after}),
        (desk["assessor"], "/assessor/", {"learner": learner, "status": status, "cohort": after}),
    ):
        resp = c.get(url, query_string=query)
        assert_not_500(resp, url)
        assert_escaped(resp.get_data(as_text=True), url)


@pytest.fixture
def an_account(make_user):
    return make_user("learner1")


@FUZZ
@given(username=maybe("learner1"), password=maybe(PASSWORD, "wrong"))
def test_the_sign_in_form(app, an_account, username, password):
    client = app.test_client()
    resp = client.post("/auth/login", data={"username": username, "password": password})
    assert_not_500(resp, "/auth/login")
    assert_escaped(resp.get_data(as_text=True), "the sign-in page")


# --- trainer forms (crm_sandbox/views/trainer.py) ------------------------------------------------------------
@pytest.fixture
def trainer(app, make_user, login, cohort, client):
    make_user("trainer1", "trainer", in_cohort=False)
    learner = make_user("learner7", queue=["balance-enquiry"])
    login("trainer1")
    return {"client": client, "cohort": cohort, "learner": learner}


@FUZZ
@given(data=st.data())
def test_trainer_forms(app, trainer, data):
    cid, uid = trainer["cohort"], trainer["learner"]
    path, form = data.draw(
        st.one_of(
            fields(name=maybe("Spring cohort")).map(lambda f: ("/trainer/cohorts", f)),
            fields(status=maybe("active", "archived")).map(lambda f: (f"/trainer/cohorts/{cid}/status", f)),
            st.tuples(st.lists(maybe("balance-enquiry", "change-of-address"), max_size=3), nasty, nasty, nasty).map(
                lambda t: (
                    f"/trainer/cohorts/{cid}/assign",
                    {
                        "scenarios": t[0],
                        "learner": t[1],
                        "assessor_id": t[2],
                        "mode": t[3],
                        "order-balance-enquiry": t[3],
                    },
                )
            ),
            fields(
                idv_required=maybe("2"),
                lockout_attempts=maybe("3"),
                authority_limit=maybe("50"),
                late_log_minutes=maybe("10"),
                panel_mode=maybe("blind", "compare"),
                idv_factors=maybe("postcode"),
            ).map(lambda f: (f"/trainer/cohorts/{cid}/policy", f)),
            fields(active=maybe("0", "1")).map(lambda f: (f"/trainer/users/{uid}/active", f)),
            fields(confirm=nasty).map(lambda f: (f"/trainer/users/{uid}/erase", f)),
            fields(confirm=maybe("Test cohort"), generation=maybe("0"), unfinished=nasty).map(
                lambda f: (f"/trainer/cohorts/{cid}/reset", f)
            ),
            fields(confirm=maybe("yes")).map(lambda f: (f"/trainer/users/{uid}/reissue", f)),
        )
    )
    client = trainer["client"]
    resp = client.post(path, data=form)
    assert_not_500(resp, path)
    for url in ("/trainer/", f"/trainer/cohorts/{cid}"):
        page = client.get(url)
        assert_not_500(page, url)
        assert_escaped(page.get_data(as_text=True), url)
    assert_chains_whole(app)


@FUZZ
@given(
    csv_text=st.one_of(
        nasty,
        st.lists(st.lists(nasty, max_size=5), max_size=5).map(lambda rows: "\n".join(",".join(r) for r in rows)),
        st.builds(lambda r: "username,display_name,role\n" + r, nasty),
    )
)
def test_trainer_csv_import(app, trainer, csv_text):
    from io import BytesIO

    cid, client = trainer["cohort"], trainer["client"]
    resp = client.post(
        f"/trainer/cohorts/{cid}/import",
        content_type="multipart/form-data",
        data={"file": (BytesIO(csv_text.encode("utf-8", "surrogatepass")), "users.csv")},
    )
    assert_not_500(resp, "import")
    assert_escaped(resp.get_data(as_text=True), "the import result")
    page = client.get(f"/trainer/cohorts/{cid}")
    assert_not_500(page, "cohort page")
    assert_escaped(page.get_data(as_text=True), "the cohort page")


# --- the findings engine's input ---------------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


def session_like(draw_events) -> st.SearchStrategy:
    """Documents shaped like a session export, with any part of them replaced by anything."""
    event = st.fixed_dictionaries(
        {
            "seq": st.one_of(st.integers(-2, 50), json_values),
            "type": st.one_of(
                st.sampled_from(
                    [
                        "contact.opened",
                        "customer.searched",
                        "customer.viewed",
                        "idv.answer",
                        "idv.result",
                        "message.sent",
                        "message.received",
                        "note.added",
                        "note.amended",
                        "record.updated",
                        "refund.issued",
                        "complaint.raised",
                        "escalated",
                        "kb.viewed",
                        "observation.added",
                        "contact.closed",
                    ]
                ),
                json_values,
            ),
            "at": st.one_of(st.just("2026-03-12T10:30:00Z"), st.datetimes().map(lambda d: d.isoformat()), json_values),
            "actor": st.one_of(st.sampled_from(["learner", "caller", "system", "assessor"]), json_values),
            "data": st.one_of(
                st.fixed_dictionaries(
                    {},
                    optional={
                        k: st.one_of(st.text(max_size=40), with_payload, json_values)
                        for k in (
                            "text",
                            "query",
                            "factor",
                            "given",
                            "match",
                            "passed",
                            "note_seq",
                            "reason",
                            "field",
                            "value",
                            "amount",
                            "summary",
                            "article",
                            "outcome",
                            "resolved",
                            "customer_id",
                            "template_id",
                            "fields",
                            "verified",
                        )
                    },
                ),
                json_values,
            ),
        }
    )
    return st.fixed_dictionaries(
        {
            "format": st.one_of(st.just("crm-sandbox/session@1"), json_values),
            "contact": st.one_of(
                st.fixed_dictionaries(
                    {
                        "id": st.just("c-1"),
                        "channel": st.sampled_from(["chat", "email", "phone"]),
                        "learner": st.just("learner1"),
                    }
                ),
                json_values,
            ),
            "scenario": st.one_of(
                st.fixed_dictionaries(
                    {
                        "id": st.just("s"),
                        "needed_data": st.lists(st.sampled_from(["name", "postcode", "health"]), max_size=2),
                        "requires_escalation": st.booleans(),
                    }
                ),
                json_values,
            ),
            "policy": st.one_of(
                st.fixed_dictionaries(
                    {
                        "idv_factors": st.just(["date_of_birth", "postcode"]),
                        "idv_required": st.integers(-1, 3),
                        "lockout_attempts": st.integers(-1, 4),
                        "late_log_minutes": st.one_of(st.integers(-1, 20), json_values),
                        "authority_limit": st.one_of(st.just("50"), json_values),
                    }
                ),
                json_values,
            ),
            "caller": st.one_of(
                st.fixed_dictionaries(
                    {
                        "relationship": st.sampled_from(["account_holder", "third_party", "impostor", "x"]),
                        "authorised": st.booleans(),
                    }
                ),
                json_values,
            ),
            "customer": st.one_of(
                st.fixed_dictionaries(
                    {"id": st.just("42")},
                    optional={
                        k: st.one_of(st.text(max_size=20), json_values)
                        for k in ("first_name", "last_name", "postcode", "date_of_birth", "balance")
                    },
                ),
                json_values,
            ),
            "events": st.one_of(st.lists(event, max_size=8 if draw_events else 0), json_values),
        }
    )


@settings(max_examples=200, deadline=None, database=None)
@given(doc=st.one_of(json_values, session_like(True)))
def test_the_findings_engine_gives_findings_or_a_format_error(doc):
    try:
        findings = evaluate(doc)
    except SessionFormatError as err:
        assert str(err)
        return
    assert isinstance(findings, list)
    assert parse_session(doc) is not None
    json.dumps([f.to_dict() for f in findings])  # what `flask findings --json` prints


@settings(max_examples=60, deadline=None, database=None)
@given(
    text=st.one_of(
        st.text(max_size=200), session_like(True).map(lambda d: json.dumps(d)[:-1]), session_like(True).map(json.dumps)
    )
)
def test_load_session_reads_any_text_or_says_why_not(text, tmp_path_factory):
    path = tmp_path_factory.mktemp("s") / "session.json"
    path.write_text(text, encoding="utf-8")
    for source in (str(path), "{" + text):
        try:
            evaluate(load_session(source))
        except SessionFormatError as err:
            assert str(err)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b"not json",
        b"[]",
        b'{"format": "crm-sandbox/session@1"}',
        b"\xff\xfe\x00",
        json.dumps({"format": "crm-sandbox/session@1", "contact": 1, "events": [{"seq": "x"}]}).encode(),
    ],
)
def test_flask_findings_on_a_malformed_file_exits_non_zero_with_a_message(runner, tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    result = runner.invoke(args=["findings", str(path)])
    assert result.exit_code != 0
    assert "Error:" in result.output and len(result.output.strip()) > len("Error:")
    assert "Traceback" not in result.output


# --- CSV exports -------------------------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None, database=None)
@given(
    value=st.one_of(
        st.text(max_size=30),
        st.builds(lambda s, t: s + t, st.sampled_from(FORMULA_START + ("=",)), st.text(max_size=30)),
        st.integers(),
        st.none(),
    )
)
def test_csv_cells_are_neutralised(value):
    cell = neutralise(value)
    text = "" if value is None else str(value)
    if text.startswith(("=", "+", "-", "@", "\t", "\r")):
        assert cell == "'" + text  # read as text by a spreadsheet, never as a formula
    else:
        assert cell == text


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_the_findings_csv_neutralises_formulae_typed_by_an_assessor(app, desk, start):
    closed, assessor = desk["closed"], desk["assessor"]
    formula = f'{start}HYPERLINK("http://evil.example","click")'
    resp = assessor.post(
        f"/assessor/contacts/{closed}/findings",
        headers=FETCH,
        data={"rule": formula, "explanation": formula, "evidence": formula, "events": ["1"]},
    )
    assert accepted(resp), resp.get_data(as_text=True)
    with app.app_context():
        cohort = db.session.get(Contact, closed).cohort
        export = cohort_findings_csv(cohort)
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(export)))
    mine = [r for r in rows if r["source"] == "assessor"]
    assert mine
    assert mine[0]["evidence"].startswith("'" + start)  # kept as typed (rule and explanation are trimmed)
    if start.strip():
        assert mine[0]["rule"].startswith("'" + start) and mine[0]["explanation"].startswith("'" + start)
    for row in rows:
        for cell in row.values():
            assert not (cell or "").startswith(("=", "+", "-", "@", "\t", "\r")), cell
