"""Items 3 and 4: values split over two messages; names in any case from the caller; a place inside
another address or organisation; Markdown links."""

import pytest
from talk import hits, rules

from crm_sandbox.compliance.language import placeholders

DBV = "disclosure-before-verification"
LEADING = "leading-verification-question"


# --- item 3: across messages ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "first, second",
    [
        ("we'll call you back on 07700", "900123 ok?"),
        ("your account number is 1234", "5678"),
        ("The email on file is jane.smith42", "@example.com"),
        ("your phone number's oh seven seven double oh", "nine double oh one two three"),
    ],
)
def test_a_value_split_over_two_learner_messages_counts_on_both(first, second):
    found = hits({"in": "hi, can you check my details"}, {"out": first}, {"out": second})
    assert any(rule in (DBV, LEADING) and events == (4, 5) for rule, events in found), found


@pytest.mark.parametrize(
    "first, second",
    [
        ("Let me check, give me 2 minutes", "0 problems so far, thanks for waiting"),
        ("I've got reference 12", "345678 is the other one"),  # joined, not said as one: see below
        ("Thanks for waiting.", "Is there anything else?"),
    ],
)
def test_joining_unrelated_messages_does_not_make_a_value(first, second):
    found = hits({"in": "hi"}, {"out": first}, {"in": "ok"}, {"out": second})
    assert not any(events == (4, 6) for _, events in found)


def test_a_split_broken_by_the_caller_does_not_join():
    found = rules({"in": "hi"}, {"out": "we'll call you on 07700"}, {"in": "sorry?"}, {"out": "900123 is your number"})
    assert DBV not in found


def test_a_value_the_caller_typed_over_two_messages_is_an_echo():
    assert DBV not in rules({"in": "my number is 07700"}, {"in": "900123"}, {"out": "Thanks, 07700 900123 noted."})


# --- item 4: context -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, learner",
    [("smith", "Ms Smith"), ("SMITH", "Ms Smith"), ("jane smith", "Jane Smith"), ("JANE", "Jane"), ("jane", "Jane")],
)
def test_a_name_the_caller_typed_in_any_case_is_said(name, learner):
    assert DBV not in rules({"in": f"hi its {name} here"}, {"out": f"Thanks {learner}, how can I help?"})


def test_a_lower_case_word_from_the_learner_is_still_not_a_name():
    jane = {"customer": "jane"}
    assert DBV not in rules({"in": "hi"}, {"out": "Just a smith of a problem, ha."}, **jane)


@pytest.mark.parametrize(
    "said",
    [
        "Please send it to PO Box 123, Leeds LS99 1AB.",
        "Our returns address is Freepost, Leeds.",
        "You can write to us at 1 Park Row, Leeds LS1 5AB.",
        "Or pop into our Leeds branch on Briggate.",
        "The Leeds City Council team deal with that.",
    ],
)
def test_the_customers_town_inside_another_address_is_not_a_disclosure(said):
    assert DBV not in rules({"in": "where do I send the form?"}, {"out": said})


def test_the_customers_town_presented_as_theirs_still_is():
    assert DBV in rules({"in": "hi"}, {"out": "I can see you're in Leeds."})


@pytest.mark.parametrize(
    "text",
    ["Reset it here: [reset your password](https://example.com/reset)", "See [our fees page][fees] for more."],
)
def test_markdown_links_are_not_placeholders(text):
    assert placeholders(text) == []


def test_a_placeholder_next_to_a_link_is_still_one():
    assert len(placeholders("Hi [Customer Name], see [our fees](https://example.com/fees)")) == 1
