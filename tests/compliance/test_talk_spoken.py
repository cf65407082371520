"""Item 1: values said in words, read out, spelled or dictated are recognised, on both sides."""

import pytest
from talk import rules

from crm_sandbox.compliance.matching import CustomerMatcher
from crm_sandbox.compliance.spoken import ascii_digits, rewrite

DBV = "disclosure-before-verification"
LEADING = "leading-verification-question"
JANE = {
    "id": "c1",
    "full_name": "Jane Smith",
    "first_name": "Jane",
    "last_name": "Smith",
    "date_of_birth": "1985-03-12",
    "postcode": "LS1 4AP",
    "email": "jane.smith42@example.com",
    "phone": "07700 900123",
    "account_number": "12345678",
    "sort_code": "99-12-34",
    "balance": "1284.50",
}


@pytest.mark.parametrize(
    "said, written",
    [
        ("oh seven seven double oh, nine hundred, one two three", "07700 900 123"),
        ("oh seven seven double oh nine hundred one two three", "07700900123"),
        ("one two three four five six seven eight", "12345678"),
        ("two thousand and six pounds", "2006 pounds"),
        ("nine-twelve forty", "91240"),
        ("the first of March nineteen eighty-five", "the 1st of March 1985"),
        ("March the twelfth, nineteen eighty five", "March 12th 1985"),
        ("S for Sierra, M-I-T-H", "Smith"),
        ("Sierra Mike India Tango Hotel", "Smith"),
        ("l s one, four a p", "LS14AP"),
        ("jane dot smith42 at example dot com", "jane.smith42@example.com"),
        ("jane underscore smith at example dot co dot uk", "jane_smith@example.co.uk"),
    ],
)
def test_spoken_forms_are_written_as_typed(said, written):
    assert rewrite(said).text == written


@pytest.mark.parametrize(
    "text",
    ["Oh right, thanks", "I have a second question", "Let me double-check that", "Nothing to see here", "at the end"],
)
def test_ordinary_words_are_left_alone(text):
    assert rewrite(text) is None


def test_the_span_maps_back_to_what_was_said():
    text = "It's oh seven seven double oh nine hundred one two three, thanks"
    [m] = CustomerMatcher(JANE).find(text)
    assert m.field == "phone" and m.text.startswith("oh seven") and m.text.endswith("three")


def test_unicode_digits_are_read_as_digits():
    assert ascii_digits("٠٧٧٠٠ ٩٠٠١٢٣") == "07700 900123"
    assert [m.field for m in CustomerMatcher(JANE).find("call ０７７００ ９００１２３")] == ["phone"]


@pytest.mark.parametrize(
    "said, field",
    [
        ("Your number is oh seven seven oh oh, nine oh oh, one two three", "phone"),
        ("You're on oh seven seven double oh nine double oh one two three", "phone"),
        ("your account number is one two three four five six seven eight", "account_number"),
        ("Your balance is one thousand two hundred and eighty-four pounds and fifty pence", "balance"),
        ("Your balance is twelve eighty-four fifty", "balance"),
        ("your balance is 1284 pounds 50", "balance"),
        ("you were born on the twelfth of March, nineteen eighty-five", "date_of_birth"),
        ("we have you down as March the twelfth nineteen eighty-five", "date_of_birth"),
        ("the postcode we have is L S one, four A P", "postcode"),
        ("that's Lima Sierra one four Alpha Papa", "postcode"),
        ("the email is jane dot smith42 at example dot com", "email"),
        ("is the surname S-M-I-T-H?", "last_name"),
        ("is that S for Sierra, M for Mike, I, T, H?", "last_name"),
    ],
)
def test_learner_values_in_spoken_forms_are_found(said, field):
    assert field in {m.field for m in CustomerMatcher(JANE).find(said)}


@pytest.mark.parametrize(
    "said",
    [
        "We'll send it within two working days",
        "I'll be one minute",
        "Press one for payments, two for cards",
        "That's 3 for 2 on the offer",
        "It costs twelve pounds fifty a month",
    ],
)
def test_ordinary_numbers_in_words_are_not_values(said):
    assert CustomerMatcher(JANE).find(said) == []


def test_a_balance_in_words_before_verification_is_a_disclosure():
    assert DBV in rules(
        {"in": "how much have I got in there"},
        {"out": "You've got one thousand two hundred and eighty-four pounds fifty"},
    )


def test_a_phone_number_read_out_before_verification_is_a_disclosure():
    assert DBV in rules(
        {"in": "can you call me back"}, {"out": "Sure, on oh seven seven double oh, nine hundred, one two three?"}
    )


def test_a_date_of_birth_in_words_is_a_leading_question():
    assert LEADING in rules({"out": "Is your date of birth the twelfth of March nineteen eighty-five?"})


# --- echoes: what the caller said first, in any form, is not a disclosure when the learner repeats it ---
@pytest.mark.parametrize(
    "caller, learner",
    [
        ("my number's oh seven seven double oh, nine hundred, one two three", "Thanks, that's 07700 900123."),
        ("07700 900123", "So that's oh seven seven double oh nine double oh one two three?"),
        ("it's jane dot smith42 at example dot com", "Thanks, jane.smith42@example.com, got it."),
        ("jane.smith42@example.com", "So jane dot smith42 at example dot com?"),
        ("Smith, S-M-I-T-H", "Thank you Ms Smith."),
        ("S for Sierra, M for Mike, I, T, H", "Thanks Ms Smith."),
        ("my name's jane smith", "Thanks Jane Smith."),
        ("account one two three four five six seven eight", "Thanks, 12345678."),
        ("L S one four A P", "Thanks, LS1 4AP."),
        ("Lima Sierra one, four Alpha Papa", "LS1 4AP, thank you."),
        ("Twelfth of the third, nineteen eighty-five", "12/03/1985, thank you."),
        ("12/03/1985", "The twelfth of March, nineteen eighty-five, thanks."),
        ("is it still twelve eighty-four fifty?", "Yes, £1,284.50."),
        ("It's Smith, S-M-I-T-H", "Thanks, S M I T H."),
    ],
)
def test_an_echo_of_what_the_caller_said_in_any_form_is_not_a_disclosure(caller, learner):
    assert rules({"in": caller}, {"out": learner}) & {DBV, LEADING} == set()
