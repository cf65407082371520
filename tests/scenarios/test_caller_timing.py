"""The caller in time and its mood: a reply decided when the adviser's message is saved, delivered by the
first request after it falls due (once, even from two tabs), a message sent while the caller types
answered in the same reply, and mood changes as events shown on the observation and the review."""

from datetime import timedelta

import pytest

from crm_sandbox.models import utcnow
from crm_sandbox.operations.desk import caller_replies
from crm_sandbox.scenarios.dialogue import mood
from crm_sandbox.scenarios.dialogue.timing import MAX_SECONDS, reply_delay
from crm_sandbox.scenarios.library import load_library
from tests.conftest import PASSWORD
from tests.helpers import run_together, say
from tests.scenarios.measure_caller import ROOT

SCENARIOS = {f.id: f.scenario for f in load_library(str(ROOT / "seed")) if f.valid}
CHAT, EMAIL = "balance-enquiry", "subject-access-request"


class Clock:
    """A clock the test moves by hand (injected as ``caller_replies.clock``)."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def wait(self, seconds):
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(app, monkeypatch):
    app.config["CALLER_REPLY_DELAYS"] = True
    c = Clock()
    monkeypatch.setattr(caller_replies, "clock", c)
    return c


@pytest.fixture
def live(app, client, make_user, login, contact_of):
    """learner1 signed in with a live chat and a live email contact; returns their ids by scenario."""
    learner = make_user("learner1", queue=[CHAT, EMAIL])
    login("learner1")
    ids = {s: contact_of(learner, s) for s in (CHAT, EMAIL)}
    for cid in ids.values():
        client.post(f"/learner/contacts/{cid}/open")
    return ids


def poll(client, cid):
    return client.get(f"/learner/contacts/{cid}/updates").get_json()


def types(events_of, cid):
    return [e[0] for e in events_of(cid)]


# --- timing (pure) ----------------------------------------------------------------------------------


def test_the_delay_fits_the_persona_and_the_reply_and_is_bounded():
    slow, fast = SCENARIOS["balance-enquiry"], SCENARIOS["volunteered-card-number"]  # slow and fast typists
    text = "It's for a new back door. He wants paying by bank transfer on Friday."
    assert reply_delay(slow, text) > reply_delay(fast, text)
    assert reply_delay(slow, "Yes.") < reply_delay(slow, text)
    assert reply_delay(slow, "x" * 5000) == MAX_SECONDS["chat"]
    assert reply_delay(SCENARIOS["subject-access-request"], "Yes.") >= 20  # an email arrives later
    assert reply_delay(slow, text) == reply_delay(slow, text)  # deterministic


# --- decided when sent, delivered when due ----------------------------------------------------------


def test_the_reply_arrives_after_its_delay_with_the_caller_typing_meanwhile(client, live, events_of, clock):
    cid = live[CHAT]
    say(client, cid, "how can i help today?")
    assert types(events_of, cid)[-1] == "caller.typing"
    first = poll(client, cid)
    assert first["typing"] is True and not [m for m in first["messages"] if m["type"] == "message.received"][1:]
    clock.wait(reply_delay(SCENARIOS[CHAT], events_of(cid)[-1][1]["text"]) + 0.1)
    second = poll(client, cid)
    assert second["typing"] is False
    received = [e for e in events_of(cid) if e[0] == "message.received"]
    assert "builder" in received[-1][1]["text"] and received[-1][1]["typing_seq"] == events_of(cid)[-2][3]
    assert poll(client, cid)["messages"][-1]["text"] == received[-1][1]["text"]
    poll(client, cid)
    assert len([e for e in events_of(cid) if e[0] == "message.received"]) == len(received)  # once


def test_a_message_sent_while_the_caller_types_is_answered_in_the_same_reply(client, live, events_of, clock):
    cid = live[CHAT]
    say(client, cid, "are you on a computer or your phone?")
    clock.wait(0.5)  # still typing
    say(client, cid, "and which country are you in?")
    typing = [e for e in events_of(cid) if e[0] == "caller.typing"]
    assert len(typing) == 2 and typing[1][1]["replaces"] == typing[0][3] and len(typing[1][1]["reply_to"]) == 2
    clock.wait(60)
    poll(client, cid)
    received = [e for e in events_of(cid) if e[0] == "message.received"][1:]  # after the opening
    assert len(received) == 1
    assert "tablet" in received[0][1]["text"] and "UK" in received[0][1]["text"]


def test_a_due_reply_is_delivered_before_the_next_message(client, live, events_of, clock):
    cid = live[CHAT]
    say(client, cid, "what can i do for you?")
    clock.wait(60)  # due, but nobody polled
    say(client, cid, "are you on a computer or your phone?")
    kinds = types(events_of, cid)
    assert kinds.index("message.received", 1) < len(kinds) - 2  # the first reply came before the second message


def test_two_tabs_polling_at_once_deliver_the_reply_once(app, client, live, events_of, clock):
    cid = live[CHAT]
    say(client, cid, "how can i help today?")
    clock.wait(60)
    tabs = [app.test_client() for _ in range(4)]
    for tab in tabs:
        tab.post("/auth/login", data={"username": "learner1", "password": PASSWORD})
    run_together(lambda tab: poll(tab, cid), [(t,) for t in tabs])
    received = [e for e in events_of(cid) if e[0] == "message.received"]
    assert len(received) == 2  # the opening and the one reply
    assert [e[3] for e in events_of(cid)] == list(range(1, len(events_of(cid)) + 1))


def test_an_email_reply_arrives_as_an_email(client, live, events_of, clock):
    cid = live[EMAIL]
    say(client, cid, "What period should it cover?")
    clock.wait(5)
    poll(client, cid)
    assert types(events_of, cid)[-1] == "caller.typing"  # an email is not back in five seconds
    clock.wait(120)
    poll(client, cid)
    reply = events_of(cid)[-1][1]
    assert reply["text"].startswith("Hello,") and "Kind regards" in reply["text"]
    assert reply["subject"].startswith("Re: ")


def test_the_learner_never_sees_a_reply_before_it_is_due(client, live, events_of, clock):
    cid = live[CHAT]
    say(client, cid, "why do you need the balance?")
    decided = events_of(cid)[-1][1]["text"]
    page = client.get(f"/learner/contacts/{cid}").get_data(as_text=True)
    assert decided not in page and decided not in str(poll(client, cid))


# --- mood -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, cause, up",
    [
        ("I'm really sorry about that.", "apology", True),
        ("That must be really frustrating, I understand.", "empathy", True),
        ("Leave it with me, I'll make sure it's sorted.", "ownership", True),
        ("You'll get a letter within 5 working days.", "next_steps", True),
        ("Just to confirm, you want your balance, is that right?", "confirm_understanding", True),
        ("Calm down please.", "calm_down", False),
        ("I'll raise an SR via BAU ops for the DD.", "jargon", False),
        ("Bear with me one moment.", "hold", False),
        ("I can't do that.", "refusal", False),
    ],
)
def test_mood_moves_as_specified(text, cause, up):
    changes = mood.changes(SCENARIOS["complaint-escalation"], [], text)
    change = next(c for c in changes if c.cause == cause)
    assert (change.patience + change.trust > 0) is up


def test_a_refusal_with_an_alternative_and_a_repeated_question_move_it_as_specified():
    scenario = SCENARIOS["third-party-spouse"]
    assert not mood.changes(scenario, [], "I can't discuss the account, but what I can do is send a mandate form.")
    again = mood.changes(scenario, ["which direct debit is it?"], "which direct debit was it again?")
    assert [c.cause for c in again] == ["repeated_question"] and again[0].patience < 0
    start = mood.initial(scenario)
    assert mood.replay(scenario, ["I'm so sorry."]).patience > start.patience


def test_mood_changes_are_events_shown_on_the_observation_and_the_review(
    app, client, live, events_of, make_user, login
):
    cid = live[CHAT]
    say(client, cid, "I'm so sorry for the wait.")
    say(client, cid, "calm down please")
    moods = [e for e in events_of(cid) if e[0] == "caller.mood"]
    sent = [e[3] for e in events_of(cid) if e[0] == "message.sent"]
    assert [(m[1]["cause"], m[1]["message_seq"]) for m in moods] == [("apology", sent[0]), ("calm_down", sent[1])]
    assert moods[0][1]["patience"] > 0 and moods[1][1]["patience"] < 0 and moods[0][4] == "caller"
    make_user("assessor1", role="assessor")
    login("assessor1")
    for url in (f"/assessor/contacts/{cid}/review", f"/assessor/contacts/{cid}/observe"):
        html = client.get(url).get_data(as_text=True)
        assert "Patience and trust rose after the apology at" in html, url
        assert "Patience and trust fell after being told to calm down at" in html
        assert f'href="#event-{sent[0]}"' in html  # the evidence is the learner's message


def test_two_tabs_sending_while_the_caller_types_lose_and_duplicate_nothing(app, live, events_of, clock):
    cid = live[CHAT]
    tabs = [app.test_client(), app.test_client()]
    for tab in tabs:
        tab.post("/auth/login", data={"username": "learner1", "password": PASSWORD})

    def chat(tab, name):
        for i in range(3):
            assert say(tab, cid, f"{name} message {i}, are you on your phone?").status_code == 303

    run_together(chat, list(zip(tabs, "AB")))
    clock.wait(60)
    run_together(lambda tab: poll(tab, cid), [(t,) for t in tabs])
    events = events_of(cid)
    assert [e[3] for e in events] == list(range(1, len(events) + 1))
    sent = {e[3] for e in events if e[0] == "message.sent"}
    typing = {e[3]: e[1] for e in events if e[0] == "caller.typing"}
    delivered = [e[1]["typing_seq"] for e in events if e[0] == "message.received" and "typing_seq" in e[1]]
    assert len(sent) == 6 and len(delivered) == len(set(delivered)) >= 1  # each reply delivered once
    answered = {seq for t in delivered for seq in typing[t]["reply_to"]}
    assert answered == sent  # every message answered by a delivered reply, none lost


# --- an assessor takes over the caller ----------------------------------------------------------------


def assessor_tab(app, make_user):
    make_user("assessor1", role="assessor")
    tab = app.test_client()
    tab.post("/auth/login", data={"username": "assessor1", "password": PASSWORD})
    return tab


def test_a_reply_still_being_typed_is_cancelled_when_an_assessor_takes_over(
    app, client, live, events_of, make_user, clock
):
    cid = live[CHAT]
    say(client, cid, "how can i help today?")
    typing = events_of(cid)[-1]
    assert typing[0] == "caller.typing"
    clock.wait(0.5)  # still typing
    assert assessor_tab(app, make_user).post(f"/assessor/contacts/{cid}/caller/take").status_code in (302, 303)
    cancel = events_of(cid)[-1]
    assert cancel[0] == "caller.typing" and cancel[1]["replaces"] == typing[3] and cancel[1]["cancelled"]
    assert cancel[1]["text"] == "" and cancel[4] == "caller"  # the evidence says the reply was never sent
    received = len([e for e in events_of(cid) if e[0] == "message.received"])
    clock.wait(600)  # long past when it was due
    assert poll(client, cid)["typing"] is False
    client.get(f"/learner/contacts/{cid}")
    assert typing[1]["text"] not in str(poll(client, cid))
    assert len([e for e in events_of(cid) if e[0] == "message.received"]) == received  # never delivered


def test_a_reply_already_due_at_the_take_over_is_delivered_first(app, client, live, events_of, make_user, clock):
    cid = live[CHAT]
    say(client, cid, "how can i help today?")
    typing = events_of(cid)[-1]
    clock.wait(60)  # the caller had finished typing; nobody polled yet
    assessor_tab(app, make_user).post(f"/assessor/contacts/{cid}/caller/take")
    last = events_of(cid)[-1]
    assert last[0] == "message.received" and last[1]["typing_seq"] == typing[3]
    assert not [e for e in events_of(cid) if e[1].get("cancelled")]


def test_a_reply_still_being_typed_when_the_adviser_ends_the_call_is_never_delivered(
    app, client, make_user, login, contact_of, events_of, clock
):
    learner = make_user("learner2", queue=["abusive-caller"])
    login("learner2")
    cid = contact_of(learner, "abusive-caller")
    client.post(f"/learner/contacts/{cid}/open")
    say(client, cid, "If the language continues I will end the call.")
    assert types(events_of, cid)[-1] == "caller.typing"
    client.post(f"/learner/contacts/{cid}/end-call", data={"reason": "abusive"})
    assert types(events_of, cid)[-2:] == ["caller.typing", "call.ended"]
    assert events_of(cid)[-2][1]["cancelled"] == "the adviser ended the call"
    clock.wait(600)
    poll(client, cid)
    ended = types(events_of, cid).index("call.ended")
    assert "message.received" not in types(events_of, cid)[ended:]
