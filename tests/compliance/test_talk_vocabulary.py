"""Item 6: the vocabulary lives in seed/vocabulary/ and the rules read it; item 5: account actions
before verification."""

import re

import pytest
import yaml
from talk import hits, rules, verified

from crm_sandbox.compliance import vocabulary
from crm_sandbox.compliance.language import SPECIAL_CATEGORIES, asked_categories, special_categories

OVER = "over-collection"
SPECIAL = "special-category-data"
CHANGE = "change-before-verification"


# --- the word lists themselves -------------------------------------------------------------------
@pytest.mark.parametrize("name", ["special_categories", "over_collection"])
def test_each_word_list_is_plain_yaml_with_no_duplicates(name):
    data = yaml.safe_load((vocabulary.VOCABULARY_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    lists = []
    for value in data.values():
        lists.extend(value.values() if isinstance(value, dict) else [value])
    for words in lists:
        assert words and all(isinstance(w, str) and w == w.strip() and w.lower() in (w, w.lower()) for w in words)
        assert all(w.lower() == w or w.isupper() for w in words)  # abbreviations in capitals only
        assert len(words) == len(set(words)), [w for w in words if words.count(w) > 1]


def test_every_art_9_category_has_a_list():
    assert set(SPECIAL_CATEGORIES) == {
        "health",
        "religion or belief",
        "ethnicity",
        "sexual orientation",
        "political opinion",
        "trade-union membership",
        "genetic or biometric data",
    }


def test_a_phrase_matches_whole_words_with_wildcards_apostrophes_and_hyphens():
    assert re.fullmatch(vocabulary.phrase_pattern("pregnan*"), "pregnancy", re.I)
    assert re.fullmatch(vocabulary.phrase_pattern("who's your employer"), "who’s  your employer", re.I)
    assert re.fullmatch(vocabulary.phrase_pattern("self-harm"), "self harm", re.I)
    assert not re.search(vocabulary.phrase_pattern("race"), "embrace", re.I)


def test_a_broken_word_list_is_refused_with_its_place(tmp_path, monkeypatch):
    (tmp_path / "over_collection.yaml").write_text("asks:\n  employer: []\n", encoding="utf-8")
    monkeypatch.setattr(vocabulary, "VOCABULARY_DIR", tmp_path)
    vocabulary.load.cache_clear()
    try:
        with pytest.raises(vocabulary.VocabularyError, match="asks: employer"):
            vocabulary.standalone_asks()
    finally:
        vocabulary.load.cache_clear()


# --- special-category data in everyday words ------------------------------------------------------
@pytest.mark.parametrize(
    "note, category",
    [
        ("Customer is expecting a baby in June, wants payment holiday", "health"),
        ("Cust on maternity from May", "health"),
        ("Customer uses a wheelchair so can't get to branch", "health"),
        ("Hard of hearing - speak slowly", "health"),
        ("Caller said she's on antidepressants and struggling", "health"),
        ("Signed off sick for 3 months", "health"),
        ("Customer has learning difficulties, mum helps", "health"),
        ("He goes to church on Sundays so call after 2", "religion or belief"),
        ("Member of Unison, dues taken monthly", "trade-union membership"),
    ],
)
def test_everyday_words_for_special_category_data_are_caught(note, category):
    assert category in {name for name, _, _ in special_categories(note)}
    assert SPECIAL in rules({"note": note})


@pytest.mark.parametrize(
    "note",
    [
        "Customer wants written contact only; large print statements sent",
        "Explained the breakdown of charges on the statement",
        "Customer embraced the new app, happy",
        "Payment holiday agreed for 3 months",
        "Customer prefers a call back after 2pm",
    ],
)
def test_ordinary_notes_are_not_special_category_data(note):
    assert SPECIAL not in rules({"note": note})


# --- over-collection in everyday words ------------------------------------------------------------
@pytest.mark.parametrize(
    "said, category",
    [
        ("And who are you working for at the moment?", "employer"),
        ("What company are you with?", "employer"),
        ("Are you in work at the minute?", "employer"),
        ("Roughly how much comes in each month?", "income"),
        ("What are you on a year, roughly?", "income"),
        ("Are you pregnant?", "health"),
        ("Can I take your husband's date of birth as well?", "other_people"),
        ("What's your mum's phone number?", "other_people"),
    ],
)
def test_everyday_asks_are_over_collection(said, category):
    assert category in {cat for cat, _, _ in asked_categories(said)}
    assert OVER in rules({"in": "I need to change my address"}, {"out": said})


@pytest.mark.parametrize(
    "said",
    [
        "I won't need to know who you work for.",
        "Is your husband on the account too, or just you?",
        "How are you getting on with the app?",
        "What's the best time to call?",
        "Are you working from the app or the website?",
    ],
)
def test_ordinary_questions_are_not_over_collection(said):
    assert OVER not in rules({"in": "I need to change my address"}, {"out": said})


@pytest.mark.parametrize(
    "said",
    [
        "Could you give me your memorable word one letter at a time?",
        "Can you spell out your memorable word for me?",
        "Can you read me all the characters of your memorable word?",
        "Give me your password letter by letter please",
    ],
)
def test_a_full_secret_asked_for_piece_by_piece_is_over_collection(said):
    assert OVER in rules({"in": "hi"}, {"out": said})


def test_selected_characters_are_still_fine():
    assert OVER not in rules({"in": "hi"}, {"out": "Can I have the 2nd and 5th letters of your memorable word?"})


# --- item 5: account actions before verification -----------------------------------------------------
@pytest.mark.parametrize("action", [{"refund": 5000}, {"refund": "12.50"}, {"update": ["email", "a@example.com"]}])
def test_an_account_action_before_verification_passes_is_flagged(action):
    found = hits(
        {"in": "I want a refund"},
        {"out": "Date of birth please?"},
        {"in": "12/03/1985"},
        {"idv": ["date_of_birth", "12/03/1985", True]},  # one of two factors: not verified yet
        action,
    )
    assert (CHANGE, (7,)) in found


def test_an_action_after_verification_failed_is_flagged():
    events = [{"idv": ["postcode", "ZZ1 1ZZ", False]}] * 3 + [{"result": False}, {"refund": 20}]
    assert CHANGE in rules(*events)


def test_an_action_after_verification_is_fine():
    assert CHANGE not in rules(*verified(), {"refund": 20}, {"update": ["email", "a@example.com"]})
