"""The causes of the misses on the second held-out set (corpus_holdout2), each fixed in general: how
advisers and callers really type and talk, in words of our own (not the set's excerpts)."""

import pytest
from talk import hits, rules

from crm_sandbox.compliance.language import asked_categories, placeholders, special_categories
from crm_sandbox.compliance.spoken import rewrite

DBV = "disclosure-before-verification"
LEADING = "leading-verification-question"
OC = "over-collection"
PCD = "payment-card-data"
SCD = "special-category-data"
ASK = {"in": "hiya, quick question about my account"}


# --- money the way people say and type it ---------------------------------------------------------------


@pytest.mark.parametrize(
    "said, written",
    [
        ("a grand two fifty", "a 1250"),
        ("a grand two eighty-four", "a 1284"),
        ("three grand one twenty", "3120"),
        ("two grand and six", "2006"),  # not the short way: as before
        ("two grand five hundred", "2500"),
    ],
)
def test_thousands_said_the_short_way(said, written):
    assert rewrite(said).text == written


def test_a_balance_said_with_a_grand_is_disclosed():
    assert DBV in rules(ASK, {"out": "you've a grand two eighty-four and fifty pence in there"})


@pytest.mark.parametrize("said", ["ur on 3.05k", "you're on £3.05k", "balance is 3.05k"])
def test_a_balance_in_thousands_typed_with_a_k(said):
    assert DBV in rules(ASK, {"out": said}, customer="siobhan")


def test_a_k_amount_not_presented_as_theirs_is_not_a_balance():
    assert DBV not in rules(ASK, {"out": "transfers over 3.05k need a call back"}, customer="siobhan")


@pytest.mark.parametrize(
    "said", ["you've got 3050 in there", "you have 3050 at the moment", "yes, you've got three thousand and fifty"]
)
def test_a_bare_balance_after_you_have(said):
    assert DBV in rules(ASK, {"out": said}, customer="siobhan")


def test_an_amount_read_out_over_two_messages():
    found = hits(ASK, {"out": "sorry, you're minus two fifteen"}, {"out": "point three oh"}, customer="mo")
    assert (DBV, (4, 5)) in found


def test_point_in_other_talk_joins_nothing():
    assert DBV not in rules(ASK, {"out": "it's two fifteen"}, {"out": "point taken, I'll check"}, customer="mo")


# --- addresses, names and account digits typed loosely -----------------------------------------------


def test_an_email_typed_with_a_space_at_the_at():
    assert DBV in rules(ASK, {"out": "is it still jane.smith42 @ example.com?"})
    assert DBV in rules(ASK, {"out": "we have jane.smith42@ example.com"})


def test_the_callers_email_over_two_messages_is_theirs_to_hear_back():
    said = [{"in": "email is jane.smith42@"}, {"in": "example.com"}]
    assert DBV not in rules(*said, {"out": "thanks, jane.smith42@example.com, got it"})


def test_a_double_barrelled_surname_typed_without_its_hyphen():
    assert DBV in rules({"in": "hi its sarah"}, {"out": "hiya sarah ellis morgan? one sec"}, customer="sarah")
    assert DBV in rules({"in": "hi its sarah"}, {"out": "thanks Mrs Ellis Morgan, one sec"}, customer="sarah")


def test_ending_typed_without_its_i():
    assert LEADING in rules(ASK, {"out": "the one endng 5678, is that yours?"})
    assert LEADING in rules(ASK, {"out": "ur acount endin 5678?"})


def test_a_request_after_a_refusal_clause_is_read_on_its_own():
    out = "Before I can discuss the account, please confirm you were born in 1985."
    assert LEADING in rules(ASK, {"out": out})
    assert LEADING not in rules(ASK, {"out": "I can't confirm whether you were born in 1985, sorry."})


# --- everyday asks for data the contact does not need ------------------------------------------------


@pytest.mark.parametrize(
    "sentence, category",
    [
        ("what is it you do for a crust?", "employer"),
        ("And what do you do these days?", "employer"),
        ("whats the pw ur using?", "password"),
        ("what's your p/w for the app?", "password"),
        ("what's the four digit number you're putting in at the machine?", "pin"),
        ("which bank do you use for your wages?", "bank_details"),
        ("who do you bank with?", "bank_details"),
        ("Can I also take your email address?", "email"),
        ("whats ur mobile?", "phone"),
    ],
)
def test_everyday_asks(sentence, category):
    assert category in {cat for cat, _, _ in asked_categories(sentence)}


@pytest.mark.parametrize(
    "sentence",
    [
        "Never tell anyone your pw, not even us.",
        "You can reset the pw in the app.",
        "Which bank sent the payment?",
        "The number you're putting in is the payee's sort code.",
    ],
)
def test_look_alikes_are_not_asks(sentence):
    assert asked_categories(sentence) == []


def test_an_everyday_ask_is_over_collection_when_not_needed():
    assert OC in rules(ASK, {"out": "no worries. what is it you do for a crust?"})
    assert OC not in rules(ASK, {"out": "what is it you do for a crust?"}, needed=["employer"])


# --- card data asked for in everyday words -----------------------------------------------------------


@pytest.mark.parametrize(
    "out",
    [
        "whats the 3 digit code on the back of ur card",
        "lovely, just need the CVV",
        "Go ahead with the long number on the card and the security number on the back.",
    ],
)
def test_card_asks(out):
    assert PCD in rules({"in": "I want to pay by card"}, {"out": out})


@pytest.mark.parametrize(
    "out",
    [
        "please don't give me the CVV, I'll put you through to the keypad",
        "just need the last four of the card",
        "go ahead with the payment on the secure page",
    ],
)
def test_card_look_alikes(out):
    assert PCD not in rules({"in": "I want to pay by card"}, {"out": out})


# --- special category words typed with a slip, and in everyday words ----------------------------------


@pytest.mark.parametrize(
    "note",
    [
        "cust was in hosptial last month",
        "had a miscarrage in May",
        "been on the sick since March",
        "dibetes, asked for large print",
    ],
)
def test_special_category_words_with_a_slip(note):
    assert SCD in rules({"note": note})


@pytest.mark.parametrize(
    "note",
    [
        "customer paying by card today",
        "cancel the direct debit",
        "praying the refund arrives, she said",
        "caller stroked out the old address",
    ],
)
def test_ordinary_words_are_not_taken_for_slips(note):
    assert "health" not in {name for name, _, _ in special_categories(note)}


# --- brackets that name buttons, not blanks ----------------------------------------------------------


def test_a_menu_path_in_brackets_is_not_a_placeholder():
    assert placeholders("In the app go to [Settings] > [Security] > Reset password.") == []
    assert placeholders("Tap [Profile] → [Notifications]") == []
    assert placeholders("Dear [Customer Name], your [Settings] > [Security] page") == [(5, 20)]
