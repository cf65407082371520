"""Session parsing, matching and the engine's public API."""

import copy
import json

import pytest
from corpus_builder import CUSTOMERS, build, verified

from crm_sandbox.compliance import RULES, SessionFormatError, evaluate, findings_json, load_session, parse_session
from crm_sandbox.compliance.matching import CustomerMatcher, find_card_numbers

DOC = build({"events": [{"in": "What's my balance?"}, {"out": "It's £1,284.50."}, {"close": True}]})


def broken(path: str, value=KeyError):
    doc = copy.deepcopy(DOC)
    *parents, last = path
    target = doc
    for p in parents:
        target = target[p]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return doc


@pytest.mark.parametrize(
    "path, value, message",
    [
        (["customer"], KeyError, "missing key 'customer'"),
        (["format"], "crm-sandbox/session@2", "format: expected"),
        (["events", 2, "type"], "foo", "events[2].type: unknown event type 'foo'"),
        (["events", 3, "data", "text"], KeyError, "events[3].data: missing key 'text'"),
        (["events", 1, "at"], "yesterday", "events[1].at: not an ISO 8601 timestamp"),
        (["caller", "relationship"], "spouse", "caller.relationship: expected one of"),
        (["scenario", "needed_data"], ["shoe_size"], "scenario.needed_data[0]: unknown data category"),
        (["policy", "lockout_attempts"], "three", "policy.lockout_attempts"),
        (["events", 1, "seq"], 1, "events[1].seq: duplicate seq 1"),
    ],
)
def test_format_errors_name_the_problem(path, value, message):
    with pytest.raises(SessionFormatError) as err:
        parse_session(broken(path, value))
    assert message in str(err.value)


def test_extra_keys_are_ignored():
    doc = copy.deepcopy(DOC)
    doc["exported_by"] = "app"
    doc["events"][0]["data"]["extra"] = 1
    assert findings_json(doc) == findings_json(DOC)


def test_load_session_from_text_and_file(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(DOC))
    assert evaluate(load_session(path)) == evaluate(load_session(json.dumps(DOC))) == evaluate(DOC)


def test_load_session_bad_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(SessionFormatError, match="not valid JSON"):
        load_session(path)
    with pytest.raises(SessionFormatError, match="cannot read file"):
        load_session(tmp_path / "missing.json")


def test_findings_are_sorted_serialisable_and_deterministic():
    doc = build(
        {"events": [{"out": "Dear [Customer name]"}, {"view": "cust-9"}, {"out": "It's £1,284.50"}, {"close": True}]}
    )
    out = findings_json(doc)
    assert out == findings_json(copy.deepcopy(doc))
    assert [f["events"][0] for f in out] == sorted(f["events"][0] for f in out)
    assert json.loads(json.dumps(out)) == out
    assert set(out[0]) >= {"rule", "severity", "events", "evidence", "explanation", "reference"}
    assert {f["rule"] for f in out} <= set(RULES)


def test_live_prefix_evaluation_matches_export():
    events = [*verified(), {"out": "Your balance is £1,284.50"}, {"note": "Balance given."}, {"close": True}]
    doc = build({"events": events, "caller": "third_party", "authorised": False})
    live = None
    for n in range(1, len(doc["events"]) + 1):
        live = evaluate({**doc, "events": doc["events"][:n]})
    assert live == evaluate(doc)


@pytest.mark.parametrize(
    "text, field, span",
    [
        ("born on 12.3.85", "date_of_birth", "12.3.85"),
        ("March 12, 1985", "date_of_birth", "March 12, 1985"),
        ("call me on +44 7700 900 123", "phone", "+44 7700 900 123"),
        ("postcode ls1 4ap", "postcode", "ls1 4ap"),
        ("acc 1234-5678", "account_number", "1234-5678"),
        ("sort code 99 12 34", "sort_code", "99 12 34"),
        ("lives at 14 acacia rd", "address_line1", "14 acacia rd"),
        ("it's 1,284.50 pounds", "balance", "1,284.50 pounds"),
        ("JANE.SMITH42@example.com", "email", "JANE.SMITH42@example.com"),
    ],
)
def test_matching_normalises_both_sides(text, field, span):
    found = {(m.field, m.text) for m in CustomerMatcher(CUSTOMERS["jane"]).find(text)}
    assert (field, span) in found


@pytest.mark.parametrize("text", ["born 13/03/1985", "LS1 4AB", "07700 900124", "£1,284.51", "12 Acacia Close"])
def test_matching_rejects_near_misses(text):
    assert CustomerMatcher(CUSTOMERS["jane"]).find(text) == []


def test_card_numbers_need_luhn_and_card_grouping():
    assert find_card_numbers("4111-1111-1111-1111 and 4111111111111112") == [(0, 19)]
    assert find_card_numbers("99-12-34 12345678") == []


def test_documented_example_runs_with_no_database():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "session-format.md").read_text()
    doc = json.loads(re.search(r"```json\n(.*?)```", text, re.S)[1])
    assert [(f["rule"], f["events"]) for f in findings_json(doc)] == [
        ("leading-verification-question", [3]),
        ("change-before-verification", [4]),
        ("missing-log", [5]),
    ]
