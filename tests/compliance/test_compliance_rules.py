"""Positive and negative tests for every rule."""

import pytest
from corpus_builder import build, verified

from crm_sandbox.compliance import evaluate


def rules_for(events, **item) -> set[str]:
    return {f.rule for f in evaluate(build({"events": events, **item}))}


def findings(rule, events, **item):
    return [f for f in evaluate(build({"events": events, **item})) if f.rule == rule]


# --- disclosure-before-verification -------------------------------------------------------------
def test_disclosure_before_verification_flags_balance():
    [f] = findings(
        "disclosure-before-verification",
        [{"in": "Hi, how much is in my account?"}, {"out": "You've got £1,284.50 available."}],
    )
    assert f.evidence == "£1,284.50" and f.events == (4,) and f.severity == "high"


def test_disclosure_after_failed_verification():
    events = [
        {"in": "my postcode is LS2 9XX"},
        {"idv": ["postcode", "LS2 9XX", False]},
        {"result": False},
        {"out": "Sorry, the postcode we hold is LS1 4AP."},
    ]
    assert "disclosure-before-verification" in rules_for(events)


def test_echo_of_what_caller_said_is_not_disclosure():
    events = [
        {"in": "I've moved from 14 Acacia Rd, can you update it?"},
        {
            "out": "Thanks, so that's moving from 14 Acacia Road. Before I can change anything I'll need to "
            "take you through security."
        },
    ]
    assert "disclosure-before-verification" not in rules_for(events)


def test_refusal_is_not_disclosure():
    events = [
        {"in": "What's my balance?"},
        {"out": "For security, I can't tell you the balance until you've passed security."},
    ]
    assert rules_for(events) == set()


def test_data_after_verification_to_account_holder_is_fine():
    events = [*verified(), {"in": "What's my balance?"}, {"out": "Your balance is £1,284.50."}]
    assert rules_for(events) == set()


# --- leading-verification-question ---------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    ["Is your date of birth 12/03/1985?", "Is it the 12th of March 1985?", "Can I just check your postcode is ls14ap?"],
)
def test_leading_question_flagged(text):
    assert rules_for([{"out": text}]) == {"leading-verification-question"}


def test_leading_memorable_word_character():
    assert "leading-verification-question" in rules_for([{"out": "Is the third letter a T?"}])


@pytest.mark.parametrize(
    "text",
    [
        "Can you confirm your date of birth?",
        "What is your postcode, please?",
        "Could you give me the 3rd and 5th letters of your memorable word?",
    ],
)
def test_open_question_not_leading(text):
    assert rules_for([{"out": text}]) == set()


# --- disclosure-to-third-party -------------------------------------------------------------------
def test_third_party_unauthorised_even_after_verification():
    events = [*verified(), {"out": "The balance is currently £1,284.50."}]
    assert "disclosure-to-third-party" in rules_for(events, caller="third_party", authorised=False)


def test_authorised_third_party_after_verification_is_fine():
    events = [*verified(), {"out": "The balance is currently £1,284.50."}]
    assert rules_for(events, caller="third_party", authorised=True) == set()


def test_verified_impostor_is_not_the_learners_breach():
    events = [*verified(), {"out": "The balance is currently £1,284.50."}]
    assert rules_for(events, caller="impostor", authorised=False) == set()


# --- change-before-verification -------------------------------------------------------------------
def test_change_before_verification():
    [f] = findings("change-before-verification", [{"update": ["email", "new@example.com"]}], needed=["email"])
    assert f.evidence == "email = new@example.com"


def test_change_after_verification_is_fine():
    assert rules_for([*verified(), {"update": ["email", "new@example.com"]}], needed=["email"]) == set()


# --- over-collection ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "What's your national insurance number?",
        "Can I take your email address?",
        "Could you tell me your memorable word please?",
        "What is your PIN?",
        "And who do you work for?",
    ],
)
def test_over_collection_asks(text):
    assert "over-collection" in rules_for([*verified(), {"out": text}], needed=["address", "postcode"])


def test_over_collection_recorded_field():
    assert "over-collection" in rules_for([*verified(), {"update": ["email", "a@example.com"]}], needed=["address"])


def test_over_collection_recorded_in_note():
    assert "over-collection" in rules_for([*verified(), {"note": "Caller's NI number AB 12 34 56 C noted."}])


@pytest.mark.parametrize(
    "text",
    [
        "Can you confirm your date of birth?",
        "Can I take your new email address?",
        "We will never ask for your full PIN.",
        "Have you checked your email?",
    ],
)
def test_over_collection_negatives(text):
    assert "over-collection" not in rules_for([{"out": text}], needed=["email"])


# --- payment-card-data ----------------------------------------------------------------------------
def test_card_number_in_note():
    [f] = findings("payment-card-data", [{"note": "Paid with 4111 1111 1111 1111"}])
    assert f.evidence == "4111 1111 1111 1111"


def test_security_code_asked():
    assert "payment-card-data" in rules_for([{"out": "And the three digits on the back of the card?"}])


def test_last_four_is_fine():
    assert (
        rules_for(
            [
                *verified(),
                {"out": "Can you give me the last four digits of the card?"},
                {"note": "Card ending 1111 reported lost."},
            ]
        )
        == set()
    )


# --- special-category-data ------------------------------------------------------------------------
def test_special_category_in_note():
    assert "special-category-data" in rules_for([{"note": "Customer was recently diagnosed with cancer."}])


def test_support_need_is_not_special_category():
    assert rules_for([{"note": "Customer is vulnerable; prefers written contact. Sent letter."}]) == set()


# --- verification-lockout-ignored -----------------------------------------------------------------
def test_lockout_ignored():
    events = [
        {"idv": ["date_of_birth", "1/1/1980", False]},
        {"idv": ["postcode", "LS2 1AA", False]},
        {"idv": ["date_of_birth", "2/1/1980", False]},
        {"idv": ["postcode", "LS1 4AP", True]},
    ]
    [f] = findings("verification-lockout-ignored", events)
    assert f.events == (6,)


def test_lockout_respected():
    events = [
        {"idv": ["date_of_birth", "1/1/1980", False]},
        {"idv": ["postcode", "LS2 1AA", False]},
        {"idv": ["date_of_birth", "2/1/1980", False]},
        {"result": False},
    ]
    assert rules_for(events) == set()


# --- record-access-without-contact ----------------------------------------------------------------
def test_other_customer_viewed():
    [f] = findings("record-access-without-contact", [{"view": "cust-0099"}, {"view": "cust-0099"}])
    assert f.events == (3, 4) and f.evidence == "cust-0099"


def test_own_customer_viewed_is_fine():
    assert rules_for([{"view": "cust-0001"}]) == set()


# --- late-log / missing-log -----------------------------------------------------------------------
def test_late_log():
    assert rules_for([{"close": True}, {"note": "Caller asked about fees.", "after_close": 25}]) == {"late-log"}


def test_note_within_tolerance():
    assert rules_for([{"close": True}, {"note": "Caller asked about fees.", "after_close": 9}]) == set()


def test_missing_log():
    assert rules_for([{"out": "Thanks for calling."}, {"close": True}]) == {"missing-log"}


def test_open_contact_has_no_missing_log():
    assert rules_for([{"out": "One moment please."}]) == set()


# --- beyond-authority ---------------------------------------------------------------------------
def test_beyond_authority():
    [f] = findings("beyond-authority", [*verified(), {"refund": "75.00"}])
    assert f.evidence == "£75.00"


def test_within_authority():
    assert rules_for([*verified(), {"refund": 50}]) == set()


# --- missed-escalation -------------------------------------------------------------------------
def test_missed_escalation():
    assert "missed-escalation" in rules_for([{"note": "Complaint noted."}, {"close": True}], escalation=True)


def test_escalated():
    assert (
        rules_for(
            [{"escalate": "formal complaint"}, {"note": "Passed to complaints."}, {"close": True}], escalation=True
        )
        == set()
    )


# --- unpersonalised-template ---------------------------------------------------------------------
@pytest.mark.parametrize("text", ["Dear [Customer name], thanks for waiting.", "We have refunded {amount}."])
def test_placeholder(text):
    assert rules_for([{"out": text}]) == {"unpersonalised-template"}


def test_personalised_template():
    assert rules_for([{"out": "Thanks for waiting, I'll be with you shortly."}]) == set()
