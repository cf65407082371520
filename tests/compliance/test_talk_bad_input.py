"""Bad input (issue 17): sessions of 10,000 events, 20,000-character messages, 200-digit numbers, number
words that never end, unusual Unicode digits and scripts. No crash, and the same findings every time.
How long each takes is measured by ``bench/bench_rules.py --bad-input``, not here."""

import pytest
from bad_input import MESSAGES, huge_session, message_sessions

from crm_sandbox.compliance import evaluate, findings_json
from crm_sandbox.compliance.matching import CustomerMatcher
from crm_sandbox.compliance.spoken import ascii_digits, rewrite

SESSIONS = message_sessions()


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_bad_messages_evaluate_without_error_and_stably(name):
    first = findings_json(SESSIONS[name])
    assert findings_json(SESSIONS[name]) == first


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_bad_messages_rewrite_to_bounded_text(name):
    text = MESSAGES[name]
    spoken = rewrite(ascii_digits(text))
    if spoken is not None:
        assert len(spoken.text) <= 2 * len(text)
        assert spoken.span(0, len(spoken.text)) == (0, len(text)) or spoken.span(0, 1)[0] >= 0


def test_unicode_digits_are_read_and_other_scripts_ignored():
    jane = {"id": "c", "phone": "07700 900123", "date_of_birth": "1985-03-12"}
    found = {m.field for m in CustomerMatcher(jane).find(MESSAGES["unusual Unicode digits and scripts"])}
    assert found == {"phone", "date_of_birth"}


def test_a_session_of_ten_thousand_events_is_evaluated_stably():
    session = huge_session(10_000)
    first = evaluate(session)
    assert len(session["events"]) >= 10_000
    assert {f.rule for f in first} >= {"leading-verification-question"}
    assert evaluate(session) == first
