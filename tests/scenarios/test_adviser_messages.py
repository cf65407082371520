"""The conversational caller on the labelled adviser messages (issue 19): every question answered with
its own intent, no sentence said twice, several questions in one message each answered, bad input."""

import re

import pytest

from crm_sandbox.scenarios.caller import reply
from crm_sandbox.scenarios.library import load_library
from tests.scenarios.measure_caller import CUSTOMER, ROOT, is_filler, load_messages, measure, sentences

KINDS, MESSAGES = load_messages()
SCENARIOS = {f.id: f.scenario for f in load_library(str(ROOT / "seed")) if f.valid}


def say(sid, messages, verified_after=None):
    """Play ``messages`` as the adviser on one contact; return the replies."""
    history, replies = [], []
    for text in messages:
        history.append({"seq": len(history) + 1, "type": "message.sent", "actor": "learner", "data": {"text": text}})
        answer = reply(SCENARIOS[sid], CUSTOMER, history, text)
        history.append(
            {"seq": len(history) + 1, "type": "message.received", "actor": "caller", "data": {"text": answer.text}}
        )
        replies.append(answer)
        if verified_after and verified_after in text:
            history.append({"seq": len(history) + 1, "type": "idv.result", "actor": "system", "data": {"passed": True}})
    return replies


def test_the_labelled_set_covers_every_scenario_with_300_messages():
    assert set(MESSAGES) == set(SCENARIOS)
    assert sum(len(m) for m in MESSAGES.values()) >= 300
    assert all(label in KINDS for ms in MESSAGES.values() for m in ms for label in m["intents"])


@pytest.mark.parametrize("sid", sorted(MESSAGES))
def test_each_labelled_question_gets_an_answer_with_its_own_intent(sid):
    """Asked alone (first thing after the opening), each question or request is answered with its labelled
    intent: a filler fails, and so does an answer to another intent."""
    misses = []
    for message in MESSAGES[sid]:
        questions = [label for label in message["intents"] if KINDS[label] == "q"]
        if not questions:
            continue
        answer = say(sid, [message["text"]])[-1]
        missing = [q for q in questions if q not in answer.answered]
        if missing or is_filler(answer.text):
            misses.append((message["text"], missing, answer.answered, answer.text))
    assert len(misses) <= max(1, len(MESSAGES[sid]) // 12), misses  # at least ~92 % per scenario


@pytest.mark.parametrize("sid", sorted(MESSAGES))
def test_no_sentence_is_said_twice_over_a_long_conversation(sid):
    texts = [m["text"] for m in MESSAGES[sid] if "repeat" not in m["intents"]] * 2  # every message twice
    said: set[str] = set()
    for answer in say(sid, texts):
        now = sentences(answer.text)
        assert not set(now) & said, (answer.text, set(now) & said)
        said |= set(now)


@pytest.mark.parametrize(
    "sid, text, intents",
    [
        (
            "balance-enquiry",
            "are you on a computer or your phone at the moment? and which country are you in?",
            ["device", "location"],
        ),
        ("change-of-address", "whats the new adress and when did u move in", ["new_address", "move_date"]),
        ("complaint-escalation", "how much was each charge and which months?", ["amount", "which_months"]),
        ("volunteered-card-number", "when did it go out and whos it to?", ["when", "merchant"]),
        ("vulnerable-health-disclosure", "how much was the payment and when did the letter come?", ["amount", "when"]),
    ],
)
def test_two_questions_in_one_message_are_both_answered(sid, text, intents):
    answer = say(sid, [text])[-1]
    assert all(i in answer.answered for i in intents), (answer.answered, answer.text)
    assert len(sentences(answer.text)) >= 2


def test_the_misfires_of_issue_19_are_gone():
    [a] = say("locked-out-online-banking", ["did you try anything else before you called?"])
    assert not a.ends  # "anything else" inside a question does not end the call
    [b] = say("locked-out-online-banking", ["can you tell me what appears on the screen when you try?"])
    assert "screen" in b.answered and "online banking" not in b.text.lower()  # not the need replayed
    [c] = say("third-party-spouse", ["I've sent you a text with the form link"])
    assert "manager" not in c.text  # "sent you" is not an escalation
    [d] = say("vulnerable-health-disclosure", ["would it help if we sent letters in large print?"])
    assert "large print" in d.text.lower() and "hear back" not in d.text
    [e, f, g] = say("volunteered-card-number", ["hi how can i help?", "ok", "right"])
    assert sum("737" in r.text for r in (e, f, g)) <= 1  # the security code is not appended to every reply
    replies = say("vulnerable-health-disclosure", ["take your time", "that must be hard", "don't worry"])
    assert len({r.text for r in replies}) == 3


def test_a_repeat_asked_for_is_given():
    first, again = say("change-of-address", ["whats the new address?", "sorry can you say that again?"])
    assert "Quillfeather" in first.text and "Quillfeather" in again.text


@pytest.mark.parametrize(
    "text",
    [
        "😀😀😀",
        "🙂",
        "???",
        "Bonjour, comment puis-je vous aider aujourd'hui ?",
        "¿Cómo puedo ayudarle hoy, por favor?",
        "x" * 20_000,
    ],
)
def test_bad_input_gets_a_sensible_reply_or_sorry(text):
    [answer] = say("balance-enquiry", [text])
    assert answer.text and not answer.ends
    if not re.search(r"[a-z]{3}", text):
        assert "sorry" in answer.text.lower()


def test_the_same_message_fifty_times_never_repeats_a_sentence():
    said: set[str] = set()
    for answer in say("missing-refund", ["what was the fee?"] * 50):
        assert answer.text and not set(sentences(answer.text)) & said
        said |= set(sentences(answer.text))


def test_the_same_transcript_gives_the_same_replies():
    texts = [m["text"] for m in MESSAGES["complaint-escalation"]]
    assert [r.text for r in say("complaint-escalation", texts)] == [r.text for r in say("complaint-escalation", texts)]


def test_the_measure_meets_the_targets():
    figures = measure()
    assert figures.rate(figures.fillers, figures.questions) <= 10
    assert figures.verbatim == 0
    assert figures.rate(figures.same_info, figures.replies) <= 5


def test_the_caller_reacts_when_their_patience_runs_out():
    [angry] = say("complaint-escalation", ["calm down please"])  # patience starts at 25
    assert "mood" in angry.answered and "patience" in angry.text.lower()
    [calm] = say("balance-enquiry", ["calm down please"])  # a patient caller (85) does not say so
    assert "mood" not in calm.answered
