"""Item 2: a recognisable part of a protected value, presented as the customer's, is a disclosure or a
leading question; the same part in other talk is not."""

import pytest
from talk import hits, rules, verified

DBV = "disclosure-before-verification"
LEADING = "leading-verification-question"
JANE_FULL = {"customer": "jane"}


@pytest.mark.parametrize(
    "said",
    [
        "Does your postcode start with LS1?",
        "I can see you live in Leeds, postcode LS1",
        "your postcode's LS1 4 something, is that right?",
        "Is the year you were born 1985?",
        "You were born in nineteen eighty-five, yeah?",
        "So you were born in March?",
        "Is your birthday the 12th of March?",
        "is your account number the one ending 5678",
        "Your account number ends 678, correct?",
    ],
)
def test_parts_of_verification_answers_said_first_are_leading_questions(said):
    assert LEADING in rules({"in": "hi, it's about my account"}, {"out": said})


@pytest.mark.parametrize(
    "said",
    [
        "Is your sort code 99-12 something?",
        "your sort code ends 12-34 I think",
        "Is your street Acacia Road?",
        "the email we have starts jane.smith42, is that you?",
        "your account starts 1234 doesn't it",  # the answer is the last four: the start is no answer
        "Your account number is 12345678.",
    ],
)
def test_parts_of_other_values_are_disclosures(said):
    assert DBV in rules({"in": "hi, it's about my account"}, {"out": said})


def test_a_middle_name_is_a_disclosure():
    item = {"customer": "jane"}
    customer_name = {"full_name": "Jane Elizabeth Smith"}
    from corpus_builder import CUSTOMERS

    CUSTOMERS["jane_middle"] = {**CUSTOMERS["jane"], **customer_name}
    try:
        assert DBV in rules({"in": "hiya"}, {"out": "Is your middle name Elizabeth?"}, customer="jane_middle")
        assert DBV not in rules({"in": "hiya"}, {"out": "What's your middle name?"}, **item)
    finally:
        del CUSTOMERS["jane_middle"]


@pytest.mark.parametrize(
    "said",
    [
        "Your March statement should arrive next week.",
        "We changed the fees in March 1985? No, that can't be right, sorry.",
        "The offer started in 1985 believe it or not",
        "Our office is in LS1, you can visit any time",
        "The email will come from help@example.com",
        "Your reference is 5678-A",
        "You can call us on 0345 600 7000 any time",
        "Please allow 3 to 5 working days for your refund",
    ],
)
def test_the_same_parts_in_other_talk_are_not_disclosures(said):
    found = rules({"in": "hi, it's about my account"}, {"out": said})
    assert DBV not in found and LEADING not in found


def test_an_email_domain_alone_is_never_a_disclosure():
    assert rules({"in": "hi"}, {"out": "Is your email an example.com one?"}) & {DBV, LEADING} == set()


def test_a_part_the_caller_gave_first_is_not_a_disclosure():
    assert (
        rules({"in": "my postcode's LS1 something"}, {"out": "Thanks, and the rest of your postcode after LS1?"})
        & {
            DBV,
            LEADING,
        }
        == set()
    )
    assert LEADING not in rules({"in": "I was born in 1985"}, {"out": "You were born in 1985, and the day?"})


def test_a_part_after_verification_is_fine():
    assert (
        rules(*verified(), {"out": "Your postcode starts LS1, so the Leeds branch is closest."})
        & {
            DBV,
            LEADING,
        }
        == set()
    )


def test_a_part_is_found_on_the_message_that_says_it():
    found = hits({"in": "hi"}, {"out": "Thanks for calling."}, {"out": "Does your postcode start with LS1?"})
    assert (LEADING, (5,)) in found
