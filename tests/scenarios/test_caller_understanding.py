"""How the caller reads what advisers type (issue 19, generalisation): shorthand, typos, synonyms, the
best-supported intent, and an honest question back when it is unsure."""

from pathlib import Path

from crm_sandbox.scenarios.dialogue.intents import all_intents, make_intent, nearest, read
from crm_sandbox.scenarios.dialogue.text import mend_word, normalise
from tests.scenarios.measure_caller import CUSTOMER, load_messages, measure
from tests.scenarios.test_adviser_messages import SCENARIOS, say


def names(sid, message):
    return [[i.name for i in found] for _, found in read(message, all_intents(SCENARIOS[sid]))]


def test_chat_shorthand_and_contractions_without_apostrophes_are_read_as_words():
    assert normalise("cld u tell me ur addy pls, are u on ur phone rn") == (
        "could you tell me your address please, are you on your phone right now"
    )
    assert normalise("youll get it thx") == "you'll get it thanks"


def test_a_typo_of_a_listened_for_word_is_mended_but_everyday_words_and_endings_are_not():
    vocabulary = ("happened", "anything", "address", "refund")
    assert mend_word("happend", vocabulary) == "happened"
    assert mend_word("anythin", vocabulary) == "anything"
    assert mend_word("refunded", vocabulary) == "refunded"  # a keyword with an ending
    assert mend_word("where", ("were", "there")) == "where"  # an everyday word is never "mended"


def test_the_librarys_shorthand_phrases_are_read_as_the_word_the_intents_hear():
    assert names("third-party-spouse", "is the acc holder there with u?") == names(
        "third-party-spouse", "is the account holder there with you?"
    )


def test_a_pattern_also_hears_the_synonyms_of_its_words():
    intent = make_intent("fee_which", {"when": ["which fee"]}, True)
    assert intent.matches("which charge was it")
    assert not intent.matches("which payment was it")


def test_the_best_supported_question_wins_when_two_read_the_same_words():
    wide = make_intent("new_email", {"when": ["what e-?mail (?:address )?do you want"]}, True)
    narrow = make_intent("email", {"when": ["e-?mail address"]})
    found = read("what email address do you want it changed to?", [wide, narrow])
    assert [[i.name for i in f] for _, f in found] == [["new_email"]]


def test_two_questions_side_by_side_both_stand():
    found = {
        n for clause in names("impostor-takeover", "so you want the email changed, is that right?") for n in clause
    }
    assert "confirm_understanding" in found


def test_an_unmatched_question_is_read_as_the_intent_whose_words_it_shares():
    intents = all_intents(SCENARIOS["locked-out-online-banking"])
    intent, hits = nearest("the warning message, what wording does it show exactly", intents)
    assert intent is not None and intent.name == "error_message" and hits >= 2


def test_unsure_the_caller_asks_back_in_persona_rather_than_guessing():
    answer = say("balance-enquiry", ["whats the outcom thing?"])[-1]  # a near word, cut short: unsure
    assert answer.text == "Sorry, I didn't follow. Do you mean what I'd like you to do?"
    assert answer.answered == ("question",)  # asking back is not answering: it is not counted as one
    answer = say("balance-enquiry", ["what colour is ur car?"])[-1]
    assert answer.text == "I'm not sure, to be honest."  # nothing near: honesty, not a guess


HOLDOUT = Path(__file__).with_name("adviser_messages_holdout.yaml")


ISSUE22 = {"referred-customer", "bereavement-notification", "abusive-caller", "outbound-callback"}


def test_the_held_out_set_covers_every_scenario_with_150_messages_and_is_mostly_answered():
    kinds, messages = load_messages(HOLDOUT)
    # Sealed before issue 22's scenarios existed: it covers the thirteen it was written for, and is not extended
    # after the caller was tuned (the new scenarios are measured on adviser_messages.yaml).
    assert set(messages) <= set(SCENARIOS) and len(messages) == 13
    assert sum(len(m) for m in messages.values()) >= 150
    assert all(label in kinds for ms in messages.values() for m in ms for label in m["intents"])
    figures = measure(HOLDOUT)
    assert figures.rate(figures.fillers, figures.questions) <= 10
    assert figures.verbatim == 0
    assert figures.rate(figures.answered, figures.labels) >= 90  # 92.4 % when written (seen: see the docs)


def test_a_word_is_not_mended_into_a_keyword_that_only_adds_an_ending():
    assert mend_word("current", ("currently",)) == "current"
    assert mend_word("personal", ("personally",)) == "personal"


def test_questions_many_callers_get_are_answered_from_the_library_or_the_scenarios_slot():
    asked = {
        "which_account": "is this about your current account or another one?",
        "support": "does a relative or a friend help you with this?",
        "previous_adviser": "can you recall who you talked to last time?",
        "police": "have you been in touch with the police about it?",
        "living_with": "does anyone else in the household use the account?",
        "call_back": "when is a good time to call you back?",
    }
    for intent, text in asked.items():
        (answer,) = say("balance-enquiry", [text])
        assert intent in answer.answered, (intent, answer.text)
        assert "not sure" not in answer.text and "don't know" not in answer.text, (intent, answer.text)
    (answer,) = say("balance-enquiry", ["is this about your current account or another one?"])
    assert CUSTOMER["product"] in answer.text


def test_the_library_hears_a_question_but_the_scenario_answers_it_in_its_own_words():
    (answer,) = say("vulnerable-health-disclosure", ["would a different format for letters be easier?"])
    assert "large_print" in answer.answered and "Large print would help" in answer.text
    first, again = say("vulnerable-health-disclosure", ["do you need large print?", "any other format you need?"])
    assert "normal print is fine" not in again.text  # never the library's default against the scenario's words


def test_a_spelling_request_spells_what_the_caller_named():
    replies = say("change-of-address", ["what's the new address?", "sorry, could you spell the road name?"])
    assert "spell" in replies[1].answered
    assert "Q-U-I-L-L-F-E-A-T-H-E-R" in replies[1].text
    (surname,) = say("balance-enquiry", ["how do you spell your surname?"])
    assert "S-H-A-H" in surname.text


def test_an_offer_gets_a_yes_each_time_in_new_words():
    first, second = say(
        "balance-enquiry", ["shall i go ahead and order you a statement?", "would you like me to email it?"]
    )
    assert "consent" in first.answered and "consent" in second.answered
    assert first.text != second.text and "already" not in second.text


def test_a_repeat_asked_with_another_question_is_answered_by_saying_it_again():
    replies = say("change-of-address", ["what's the new address?", "sorry, give me the new address again?"])
    assert "repeat" in replies[1].answered and "Quillfeather" in replies[1].text


def test_a_verification_answer_asked_for_again_is_said_again_and_nothing_else_is_repeated():
    first, again = say(
        "power-of-attorney", ["what's the account number?", "can you give me that account number again?"]
    )
    assert again.text == first.text and "repeat" in again.answered


def test_name_and_address_asked_together_are_both_answered():
    (answer,) = say("subject-access-request", ["Please confirm your full name and the address we have for you."])
    assert {"name", "address"} <= set(answer.answered) and CUSTOMER["address_line1"] in answer.text
