"""The scripted caller: deterministic, offline answers that follow the scenario's ``knows``."""

from datetime import date
from pathlib import Path

import pytest

from crm_sandbox.compliance.normalise import normalise_postcode, parse_date
from crm_sandbox.scenarios.caller import (
    CallerReply,
    caller_name,
    opening_message,
    ordinal,
    parse_positions,
    reply,
    spoken_date,
    wrong_date,
    wrong_postcode,
)
from crm_sandbox.scenarios.library import load_library

SEED = Path(__file__).resolve().parents[2] / "seed"
CUSTOMER = {
    "ref": "cust-00007",
    "title": "Mrs",
    "first_name": "Priya",
    "middle_name": "Anne",
    "last_name": "Shah",
    "date_of_birth": "1985-03-12",
    "address_line1": "27 Mill Road",
    "address_line2": "",
    "town": "Exampleton",
    "postcode": "LS1 4AP",
    "email": "priya.shah12@example.com",
    "phone": "07700 900123",
    "account_number": "12345678",
    "sort_code": "99-12-34",
    "memorable_word": "butterfly",
    "balance": "1284.50",
    "product": "Everyday Current Account",
}


@pytest.fixture(scope="module")
def scenarios():
    return {f.id: f.scenario for f in load_library(str(SEED)) if f.valid}


def play(scenario, customer, messages):
    """Play ``messages`` as the learner; return the replies, keeping a history as the app would."""
    history, replies = [], []
    for text in messages:
        history.append({"seq": len(history) + 1, "type": "message.sent", "actor": "learner", "data": {"text": text}})
        r = reply(scenario, customer, history, text)
        replies.append(r)
        history.append(
            {"seq": len(history) + 1, "type": "message.received", "actor": "caller", "data": {"text": r.text}}
        )
        if r.ends:
            break
    return replies


def the_date_in(text):
    import re

    for pattern in (r"\d{1,2}/\d{1,2}/\d{2,4}", r"\d{1,2}(?:st|nd|rd|th)? [A-Z][a-z]+ \d{4}"):
        if m := re.search(pattern, text):
            return parse_date(m.group(0))
    return None


# --- identity and opening ---------------------------------------------------------------------------


def test_caller_name_and_opening(scenarios):
    assert caller_name(scenarios["balance-enquiry"], CUSTOMER) == "Priya Shah"
    assert caller_name(scenarios["third-party-spouse"], CUSTOMER) == "Robin Shah"
    assert caller_name(scenarios["power-of-attorney"], CUSTOMER) == "Daniel Shah"
    assert caller_name(scenarios["impostor-takeover"], CUSTOMER) == "Priya Shah"  # claims to be the holder
    opening = opening_message(scenarios["third-party-spouse"], CUSTOMER)
    assert "Priya Shah" in opening and "wife" in opening and "{" not in opening
    sar = opening_message(scenarios["subject-access-request"], CUSTOMER)
    assert sar.startswith("Dear") and sar.rstrip().endswith("Priya Shah")


def test_every_scenario_opening_is_filled(scenarios):
    for sid, s in scenarios.items():
        text = opening_message(s, CUSTOMER)
        assert text and "{" not in text, sid


# --- verification answers follow `knows` ------------------------------------------------------------


def test_correct_answers_are_the_real_values(scenarios):
    s = scenarios["missing-refund"]  # knows everything
    dob = reply(s, CUSTOMER, [], "Can you confirm your date of birth please?").text
    assert the_date_in(dob) == date(1985, 3, 12)
    assert "LS1 4AP" in reply(s, CUSTOMER, [], "And your postcode?").text
    assert "5678" in reply(s, CUSTOMER, [], "What are the last four digits of your account number?").text
    chars = reply(s, CUSTOMER, [], "What are the 2nd and 5th characters of your memorable word?").text
    assert "U" in chars and "E" in chars
    assert "27 Mill Road" in reply(s, CUSTOMER, [], "What's the first line of your address?").text
    assert "Priya Anne Shah" in reply(s, CUSTOMER, [], "Can I take your full name?").text


def test_wrong_answers_are_plausible_but_do_not_match(scenarios):
    s = scenarios["impostor-takeover"]  # dob correct, postcode wrong, characters wrong
    postcode = reply(s, CUSTOMER, [], "What's your postcode?").text
    assert "LS1" in postcode and normalise_postcode("LS1 4AP") not in normalise_postcode(postcode)
    chars = reply(s, CUSTOMER, [], "Characters 2 and 5 of your memorable word please").text
    assert not ("U" in chars and "E" in chars)
    assert the_date_in(reply(s, CUSTOMER, [], "What's your date of birth?").text) == date(1985, 3, 12)
    locked = scenarios["locked-out-online-banking"]  # the forgetful holder
    digits = reply(locked, CUSTOMER, [], "What are the last four digits of your account number?").text
    assert "5678" not in digits and any(ch.isdigit() for ch in digits)


def test_change_of_address_caller_gives_the_new_postcode_first(scenarios):
    s = scenarios["change-of-address"]
    assert "BK7 3QN" in reply(s, CUSTOMER, [], "What's your postcode?").text
    assert "LS1 4AP" in reply(s, CUSTOMER, [], "What's the postcode we hold on the account?").text


def test_unknown_answers(scenarios):
    s = scenarios["third-party-spouse"]  # does not know the memorable word or account number
    text = reply(s, CUSTOMER, [], "What's the 3rd character of the memorable word?").text
    assert "don't" in text.lower() or "not sure" in text.lower()
    assert "5678" not in reply(s, CUSTOMER, [], "Last four digits of the account number?").text


def test_wrong_values_always_differ():
    for iso in ("1985-03-12", "2000-01-01", "1990-12-31", "1970-02-28", "1964-07-07"):
        for key in ("a", "b", "c", "d", "e"):
            assert wrong_date(iso, key) != iso
    for pc in ("LS1 4AP", "SW1A 1AA", "M1 1AE", "B33 8TH", "cr2 6xh"):
        for key in ("a", "b", "c"):
            assert normalise_postcode(wrong_postcode(pc, key)) != normalise_postcode(pc)


def test_spoken_dates_parse_back():
    for variant in range(5):
        assert parse_date(spoken_date("1985-03-12", variant)) == date(1985, 3, 12)


def test_several_questions_in_one_message(scenarios):
    text = reply(
        scenarios["balance-enquiry"],
        CUSTOMER,
        [],
        "Thanks. Can I take your full name, date of birth and postcode please?",
    ).text
    assert "Priya" in text and "LS1 4AP" in text and the_date_in(text) == date(1985, 3, 12)


def test_leading_question_gets_agreement(scenarios):
    impostor = reply(scenarios["impostor-takeover"], CUSTOMER, [], "Is your postcode LS1 4AP?").text
    assert impostor.lower().startswith("yes")
    holder = reply(scenarios["balance-enquiry"], CUSTOMER, [], "Is your date of birth 12 March 1985?").text
    assert holder.lower().startswith("yes")


def test_full_memorable_word_only_from_a_naive_caller(scenarios):
    ask = "Can you tell me your full memorable word please?"
    assert "butterfly" in reply(scenarios["vulnerable-health-disclosure"], CUSTOMER, [], ask).text
    assert "butterfly" in reply(scenarios["locked-out-online-banking"], CUSTOMER, [], ask).text
    careful = reply(scenarios["balance-enquiry"], CUSTOMER, [], ask).text
    assert "butterfly" not in careful and ("characters" in careful or "letters" in careful)


# --- ordinals -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message, positions",
    [
        ("What are the 2nd and 5th characters of your memorable word?", [2, 5]),
        ("Could I have the second and fifth letters of your memorable word?", [2, 5]),
        ("characters 3 and 7 please", [3, 7]),
        ("the 1st, 4th and last characters of your memorable word", [1, 4, -1]),
        ("Characters three and seven of the memorable word", [3, 7]),
        ("Your date of birth 12/03/1985, the last four digits of your account and the 6th and 8th letters", [6, 8]),
        ("Two characters of your memorable word please: the 1st and the 3rd", [1, 3]),
    ],
)
def test_ordinal_parsing(message, positions):
    assert parse_positions(message) == positions


def test_ordinal_suffixes():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "23rd",
    ]


def test_last_character_and_out_of_range(scenarios):
    s = scenarios["missing-refund"]
    assert "Y" in reply(s, CUSTOMER, [], "the first and last characters of your memorable word").text
    assert "hasn't got 12" in reply(s, CUSTOMER, [], "the 12th character of your memorable word").text


# --- the conversation -------------------------------------------------------------------------------


def test_replies_are_deterministic(scenarios):
    messages = [
        "Hello, how can I help?",
        "Can I take your date of birth?",
        "OK",
        "Bear with me",
        "Thanks for confirming",
        "Is there anything else I can help with?",
    ]
    for sid, s in scenarios.items():
        first = play(s, CUSTOMER, messages)
        second = play(s, CUSTOMER, messages)
        assert first == second, sid
        assert all(isinstance(r, CallerReply) and r.text for r in first), sid


def test_ends_on_goodbye_and_anything_else(scenarios):
    for sid, s in scenarios.items():
        assert reply(s, CUSTOMER, [], "Thanks for contacting us, goodbye!").ends, sid
        assert reply(s, CUSTOMER, [], "Is there anything else I can help you with today?").ends, sid
        assert not reply(s, CUSTOMER, [], "What is your date of birth?").ends, sid


def test_need_and_scenario_facts(scenarios):
    s = scenarios["change-of-address"]
    assert "14 Quillfeather Lane" in reply(s, CUSTOMER, [], "What's the new address?").text
    assert "moved" in reply(s, CUSTOMER, [], "Hi, how can I help you today?").text
    refund = reply(scenarios["refund-above-authority"], CUSTOMER, [], "How much was the fee?").text
    assert "180.00" in refund


def test_confirmations_get_acknowledged(scenarios):
    s = scenarios["refund-above-authority"]
    text = reply(s, CUSTOMER, [], "I've passed this to my supervisor, who can approve a refund of that size.").text
    assert "when" in text.lower()
    updated = reply(scenarios["locked-out-online-banking"], CUSTOMER, [], "I've unlocked your online banking now.")
    assert "log in" in updated.text


def test_volunteered_lines_come_once(scenarios):
    s = scenarios["vulnerable-health-disclosure"]
    replies = play(
        s,
        CUSTOMER,
        ["Hello, you're through to Example Bank.", "I'm sorry to hear that, how can I help?", "Okay", "Okay"],
    )
    told = [r.text for r in replies if "diagnosed" in r.text]
    assert len(told) == 1
    card = play(scenarios["volunteered-card-number"], CUSTOMER, ["Hi, how can I help?", "Okay, let me check"])
    assert "737" in card[1].text
    assert "4111 1111 1111 1111" in opening_message(scenarios["volunteered-card-number"], CUSTOMER)


def test_third_party_is_honest_about_who_they_are(scenarios):
    s = scenarios["third-party-spouse"]
    assert "Robin" in reply(s, CUSTOMER, [], "Who am I speaking to please?").text
    assert "Priya's account" in reply(s, CUSTOMER, [], "Am I speaking to the account holder?").text
    refused = reply(s, CUSTOMER, [], "I'm sorry, I can't discuss the account with anyone but the account holder.")
    assert "share everything" in refused.text


def test_state_from_history(scenarios):
    s = scenarios["impostor-takeover"]
    history = [
        {"seq": 1, "type": "message.sent", "actor": "learner", "data": {"text": "Hi"}},
        {"seq": 2, "type": "message.sent", "actor": "learner", "data": {"text": "Hello?"}},
    ]
    pushy = reply(s, CUSTOMER, history, "Okay").text
    assert "secure.inbox.4471@example.net" in pushy
    verified = history + [{"seq": 3, "type": "idv.result", "actor": "system", "data": {"passed": True}}]
    assert "secure.inbox" not in reply(s, CUSTOMER, verified, "Okay").text


def test_email_replies_are_letters(scenarios):
    text = reply(scenarios["erasure-request"], CUSTOMER, [], "What is your postcode?").text
    assert text.startswith("Hello,") and text.rstrip().endswith("Priya Shah") and "LS1 4AP" in text


def test_filler_and_empty_messages(scenarios):
    s = scenarios["balance-enquiry"]
    assert reply(s, CUSTOMER, [], "").text
    assert reply(s, CUSTOMER, [], "x" * 20000).text
    assert reply(s, CUSTOMER, [], "<script>alert(1)</script>").text


def test_every_scenario_plays_from_opening_to_close(scenarios):
    script = [
        "Hello, thanks for getting in touch. How can I help?",
        "Before I go any further, can I take your full name and date of birth?",
        "Thank you. And the 2nd and 4th characters of your memorable word?",
        "And your postcode please?",
        "Thank you for confirming.",
        "Is there anything else I can help with today?",
    ]
    for sid, s in scenarios.items():
        replies = play(s, CUSTOMER, script)
        assert replies[-1].ends, sid
        assert all(r.text for r in replies), sid
        assert not any("{" in r.text for r in replies), sid
