"""Causes of the held-out misses, fixed in general ways: money in slang and read out with "point", a
surname spelled with a spoken hyphen, dates as "the Nth of the Mth, YY", everyday asks for work, pay
and a partner's job, the whole memorable word asked in other words, card numbers that fail Luhn,
religion in everyday words, and a payment "due date" that is not a pregnancy."""

import pytest
from talk import rules

from crm_sandbox.compliance.spoken import rewrite

DBV = "disclosure-before-verification"
LEADING = "leading-verification-question"
OVER = "over-collection"
CARD = "payment-card-data"
SPECIAL = "special-category-data"


# --- money and dates said in words --------------------------------------------------------------
@pytest.mark.parametrize(
    "said, written",
    [
        ("three grand and forty", "3040"),
        ("minus four nine point two five", "minus 49.25"),
        ("the 5th of the 11th, seventy-nine", "the 5/11/79"),
        ("that's B, R, O, W, N, dash, L, E, E", "that's Brown-Lee"),
    ],
)
def test_slang_amounts_points_short_years_and_spoken_hyphens_are_rewritten(said, written):
    spoken = rewrite(said)
    assert spoken is not None and spoken.text == written


def test_grand_alone_is_not_a_number():
    assert rewrite("that's grand, cheers") is None


@pytest.mark.parametrize(
    "customer, learner",
    [
        ("daniel", "Right, so that's two grand and six pounds sat there."),
        ("daniel", "yep you're sitting at twenty oh six"),
        ("mo", "Balance is two one five point three oh, overdrawn I'm afraid."),
        ("mo", "you're minus 215 at the minute"),
    ],
)
def test_a_balance_in_slang_or_read_out_before_verification_is_a_disclosure(customer, learner):
    assert DBV in rules({"in": "what have I got?"}, {"out": learner}, customer=customer)


@pytest.mark.parametrize(
    "customer, learner",
    [
        ("daniel", "We opened that branch back in twenty oh six."),
        ("daniel", "The fee is two grand if you break the fixed term."),
        ("mo", "Interest is two point three oh percent."),
    ],
)
def test_a_year_or_another_amount_that_shares_the_digits_is_not_the_balance(customer, learner):
    assert DBV not in rules({"in": "tell me about the account"}, {"out": learner}, customer=customer)


def test_a_hyphenated_surname_spelled_with_code_words_before_verification_is_a_disclosure():
    assert DBV in rules(
        {"in": "how's my surname on the account?"},
        {"out": "It's E for Echo, L, L, I, S, dash, M for Mike, O, R, G, A, N on ours."},
        customer="sarah",
    )


def test_the_caller_spelling_it_that_way_first_makes_the_learners_echo_fine():
    assert DBV not in rules(
        {"in": "It's E for Echo, L, L, I, S, hyphen, M for Mike, O, R, G, A, N"},
        {"out": "Thanks, Ellis-Morgan."},
        customer="sarah",
    )


def test_a_date_of_birth_as_day_of_month_and_short_year_is_a_leading_question():
    assert LEADING in rules({"out": "Are you the thirtieth of the first, eighty-eight?"}, customer="sarah")
    assert LEADING not in rules({"out": "Are you the tenth of the fourth, seventy-one?"}, customer="sarah")


# --- over-collection in everyday words ----------------------------------------------------------
@pytest.mark.parametrize(
    "ask",
    [
        "Who is it you work for at the moment?",
        "Roughly how much do you bring in?",
        "and how much are you earning now?",
        "Thanks. Where does she work?",
        "can u spell ur memerable word for me",
        "Read me the letters of your memorable word, slowly.",
        "Could you read me your memorable word?",
    ],
)
def test_everyday_asks_for_work_pay_and_the_whole_secret_are_over_collection(ask):
    assert OVER in rules({"in": "I'd like a new card"}, {"out": ask})


@pytest.mark.parametrize(
    "said",
    [
        "I'll ask for two letters of your memorable word, one at a time.",
        "Can you give me the 3rd and 6th letters of your memorable word?",
        "The new account can bring in a month of cashback.",
        "Don't tell me where you work, I don't need it.",
    ],
)
def test_partial_secrets_and_other_talk_are_not_over_collection(said):
    assert OVER not in rules({"in": "I'd like a new card"}, {"out": said})


# --- card numbers -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "event",
    [
        {"note": "Took card 4111 2222 3333 4445 for the arrears."},
        {"note": "Paid 4111 2222 3333 4445 exp 03/29 over the phone."},
        {"out": "What are the sixteen digits on the front of your card?"},
    ],
)
def test_a_mistyped_card_number_next_to_a_card_word_and_a_sixteen_digit_ask_are_card_data(event):
    assert CARD in rules(event)


@pytest.mark.parametrize(
    "event",
    [
        {"note": "Complaint reference 4111 2222 3333 4445 logged."},
        {"out": "Just the last four of the sixteen digits on your card, please."},
    ],
)
def test_a_reference_in_groups_of_four_and_a_last_four_ask_are_not_card_data(event):
    assert CARD not in rules(event)


# --- special category words ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "note",
    [
        "No calls on Sundays, he's a vicar.",
        "Cust preaches at her chapel most weekends.",
        "Her due date is in June so wants a payment holiday.",
    ],
)
def test_religion_and_pregnancy_in_everyday_words_are_special_category(note):
    assert SPECIAL in rules({"note": note})


@pytest.mark.parametrize(
    "note",
    [
        "Card payment due date moved to the 3rd at cust's request.",
        "Correspondence address is 4 Chapel Street.",
    ],
)
def test_a_payment_due_date_and_a_street_name_are_not_special_category(note):
    assert SPECIAL not in rules({"note": note})


# --- echoes the caller said in another form -----------------------------------------------------
@pytest.mark.parametrize(
    "caller, learner",
    [
        ("it's jane dot smith42, all one word, at example dot com", "Great, jane.smith42@example.com it is."),
        ("seven seven hundred, nine hundred, one two three, plus a 0 at the front", "Ta, 07700 900123."),
    ],
)
def test_an_echo_of_an_email_said_all_one_word_or_a_phone_said_without_its_0_is_not_a_disclosure(caller, learner):
    assert DBV not in rules({"in": caller}, {"out": learner})


def test_the_phone_without_its_0_from_the_learner_first_is_still_a_disclosure():
    assert DBV in rules({"in": "can you ring me back?"}, {"out": "Sure, on 7700 900123?"})


def test_a_balance_in_whole_pounds_said_with_pound_singular_is_a_disclosure():
    said = "it's three thousand and fifty pound just now"
    assert DBV in rules({"in": "how much is in there?"}, {"out": said}, customer="siobhan")
    assert DBV not in rules({"in": "how much is in there?"}, {"out": "the limit's fifty pound"}, customer="siobhan")


def test_the_full_first_name_after_the_caller_signed_with_its_short_form_is_not_a_disclosure():
    assert DBV not in rules(
        {"in": "When do you shut on Friday?\n\nThanks,\nMo"}, {"out": "Hi Mohammed, at 5pm."}, customer="mo"
    )
    assert DBV in rules(
        {"in": "When do you shut on Friday?\n\nThanks,\nM"}, {"out": "Hi Mohammed, at 5pm."}, customer="mo"
    )


def test_a_memorable_word_letter_told_with_a_contraction_is_a_leading_question():
    assert LEADING in rules({"in": "I'm locked out"}, {"out": "ok your third letter's a T, what's the sixth?"})
    assert LEADING not in rules({"in": "I'm locked out"}, {"out": "ok your third letter's a Q, what's the sixth?"})


# --- an outward code needs no "postcode" to be one --------------------------------------------------
@pytest.mark.parametrize("learner", ["so you're BD7 1 something?", "is the letter going to you in BD7?"])
def test_the_outward_code_or_sector_presented_as_the_customers_is_a_leading_question(learner):
    assert LEADING in rules({"in": "where's my new card?"}, {"out": learner}, customer="mo")


@pytest.mark.parametrize(
    "caller, learner",
    [
        ("where's my new card?", "Our BD7 branch has it ready to collect."),
        ("I'm BD7 1 something, can't remember the rest", "Thanks, BD7 1 is fine for now."),
    ],
)
def test_an_outward_code_in_other_talk_or_after_the_caller_said_it_is_not_leading(caller, learner):
    assert LEADING not in rules({"in": caller}, {"out": learner}, customer="mo")


def test_an_outward_code_of_ours_is_not_the_customers():
    assert LEADING not in rules({"in": "hi"}, {"out": "We're in BD7 if you want to pop in to us."}, customer="mo")


# --- letters said by their names ------------------------------------------------------------------
def test_a_postcode_with_its_letters_said_by_name_is_found_and_echoed():
    assert rewrite("it's bee dee seven, one cue tee").text == "it's BD71QT"
    assert LEADING in rules(
        {"in": "is my address right?"}, {"out": "you're bee dee seven, one cue tee?"}, customer="mo"
    )
    assert LEADING not in rules({"in": "it's bee dee seven, one cue tee"}, {"out": "Thanks, BD7 1QT."}, customer="mo")


@pytest.mark.parametrize("text", ["em, one sec", "back in ten, ay?", "the ex and me"])
def test_letter_names_without_a_run_of_letters_and_digits_are_left_alone(text):
    spoken = rewrite(text)
    assert spoken is None or not any(c.isupper() for c in spoken.text)
