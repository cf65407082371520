"""Guided digital help and the public social-media post (issue 22), played from opening to close through the
Flask test client with their events asserted, each with a breach path and the finding it raises."""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.formatting import money
from crm_sandbox.models import Contact, Finding
from crm_sandbox.operations.desk.identity import memorable_positions, ordinal
from tests.conftest import PASSWORD
from tests.helpers import customer_of, messages_after, page, say
from tests.test_scenario_playthrough import HEARD, SENT, Ask, Close, Find, Note, Play, ReadKb, Say, Take

SCREEN = ("caller.screen", "caller")


@dataclass
class Guide:
    """Give the caller an instruction about their screen; ``step``: the screen step it moves to (else none)."""

    text: str
    reply: str
    step: str | None = None

    def run(self, play):
        play.sent = self.text
        assert say(play.client, play.contact_id, self.text).status_code == 303

    def expected(self):
        return [SENT, SCREEN, HEARD] if self.step else [SENT, HEARD]

    def check(self, play, new):
        assert new[0][1]["text"] == play.sent
        assert self.reply.lower() in new[-1][1]["text"].lower(), new[-1][1]["text"]
        if self.step:
            assert new[1][1]["step"] == self.step and new[1][1]["message_seq"] == new[0][3]
            assert new[1][1]["shows"]


@dataclass
class Public:
    """Reply publicly to the customer's post (visible to everyone)."""

    text: str
    reply: str

    def run(self, play):
        play.sent = self.text.format(**play.values)
        assert say(play.client, play.contact_id, play.sent, visibility="public").status_code == 303

    def expected(self):
        return [SENT, HEARD]

    def check(self, play, new):
        assert new[0][1] == {"text": play.sent, "public": True}
        assert "public" not in new[1][1]  # the customer answers in private
        assert self.reply.lower() in new[1][1]["text"].lower(), new[1][1]["text"]


GUIDED = [
    Take("change my"),
    Say("Hello, you're through to Sam at Sandbox Bank. How can I help you today?", "change the password"),
    Guide("Is the app open on your phone at the moment?", "I'm in"),
    Guide("Please tap the button that says More, at the bottom right of the screen.", "pressed More", "more"),
    Guide("Thank you. Can you see Settings in that list?", "Yes, I can see Settings"),
    Guide("Lovely. Tap Settings, please.", "opened Settings", "settings"),
    Guide("What can you see now?", "Notifications, Security"),
    Guide("Now press Security.", "pressed Security", "security"),
    Guide("Can you see Change password?", "Yes, I can see Change password"),
    Guide("Tap Change password.", "three boxes", "change_password"),
    Guide("Does that make sense so far?", ""),
    Guide(
        "Type your current password in the first box, then your new one in the other two, then press Save.",
        "Password changed",
        "saved",
    ),
    Guide("Has that worked?", "green tick"),
    ReadKb("password app", "guiding-customers-online"),
    Note("Guided the customer through More > Settings > Security > Change password in the app; changed.", "resolved"),
    Say("Is there anything else I can help you with today?", "goodbye", ends=True),
    Close("resolved", True),
]
SOCIAL = [
    Take("@SandboxBank"),
    Public(
        "Hi {first_name}, we're sorry your card isn't working. We've sent you a direct message so we can help privately.",
        "in your messages",
    ),
    Say("Hello {first_name}, you're chatting with Sam at Sandbox Bank. How can I help?", "declined twice"),
    Find(),
    Ask("Before I look at the account, could you tell me your date of birth?", "date_of_birth", True),
    Ask("Thanks. And your postcode?", "postcode", True, "verified"),
    ReadKb("social media", "social-media"),
    Say("Your post has your details on it: please delete your post so nobody else sees them.", "deleted it"),
    Say("I've unblocked your card now, it should work straight away.", "Finally"),
    Note(
        "Public post with personal details; replied publicly without them, moved to DM, verified, card unblocked.",
        "resolved",
    ),
    Say("Is there anything else I can help you with today?", "bye", ends=True),
    Close("resolved", True),
]
SCRIPTS = {"guided-app-password": GUIDED, "social-media-post": SOCIAL}


def start(app, client, make_user, login, contact_of, events_of, scenario_id):
    learner = make_user("learner1", queue=[scenario_id])
    login("learner1")
    contact_id = contact_of(learner, scenario_id)
    customer = customer_of(app, contact_id)
    with app.app_context():
        channel = db.session.get(Contact, contact_id).channel
    a, b = memorable_positions(contact_id, customer["memorable_word"])
    play = Play(app, client, contact_id, channel, "", customer, events_of)
    play.values = {**customer, "balance_money": money(customer["balance"]), "chars": f"{ordinal(a)} and {ordinal(b)}"}
    return play


def run(play, steps):
    for step in steps:
        before = len(play.events())
        step.run(play)
        new = play.events()[before:]
        assert [(e[0], e[4]) for e in new] == step.expected(), f"{step}: {[(e[0], e[4]) for e in new]}"
        step.check(play, new)


def findings(app, contact_id):
    with app.app_context():
        rows = db.session.execute(select(Finding).where(Finding.contact_id == contact_id, Finding.active)).scalars()
        return {f.rule: (f.events, f.evidence) for f in rows}


@pytest.mark.parametrize("scenario_id", sorted(SCRIPTS))
def test_played_from_opening_to_close(app, client, make_user, login, contact_of, events_of, scenario_id):
    play = start(app, client, make_user, login, contact_of, events_of, scenario_id)
    run(play, SCRIPTS[scenario_id])
    events = play.events()
    assert events[-1][0] == "contact.closed"
    assert [e[3] for e in play.fetch(play.contact_id)] == list(range(1, len(play.fetch(play.contact_id)) + 1))
    assert findings(app, play.contact_id) == {}  # the careful learner's contact raises nothing
    if scenario_id == "social-media-post":
        assert events[1][1].get("public") is True  # the opening post is public


def test_guided_help_breach_steps_not_checked(app, client, make_user, login, contact_of, events_of):
    """Instructions one after another with no check of what the caller sees: the rule flags them."""
    play = start(app, client, make_user, login, contact_of, events_of, "guided-app-password")
    run(
        play,
        [
            Take("change my"),
            Guide("Tap More at the bottom.", "pressed More", "more"),
            Guide("Now tap Settings.", "opened Settings", "settings"),
            Guide("Now tap Security.", "pressed Security", "security"),
            Note("Guided the customer in the app.", "resolved"),
            Close("resolved", True),
        ],
    )
    found = findings(app, play.contact_id)
    assert set(found) == {"guidance-not-checked"}
    sent = [e[3] for e in play.events() if e[0] == "message.sent"]
    # one finding for each of the two instructions followed by another with no check between
    with app.app_context():
        flagged = db.session.execute(
            select(Finding.events).where(Finding.contact_id == play.contact_id, Finding.rule == "guidance-not-checked")
        ).scalars()
        assert sorted(flagged) == [[sent[0]], [sent[1]]]


def test_guided_help_screen_moves_only_on_correct_instructions(app, client, make_user, login, contact_of, events_of):
    """Vague, jargon-laden, other-language and empty instructions leave the screen as it is; jargon costs patience."""
    play = start(app, client, make_user, login, contact_of, events_of, "guided-app-password")
    run(
        play,
        [
            Take("change my"),
            Guide("Click on it there.", "Home, Payments, Cards and More"),  # vague
            Guide("Navigate to the hamburger menu and toggle the settings.", "what"),  # jargon
            Guide("Appuyez sur le bouton Plus, s'il vous plaît.", "only speak English"),  # another language
            Guide("Tap More, in the bottom right corner.", "pressed More", "more"),  # correct
        ],
    )
    assert [e[1]["step"] for e in play.events() if e[0] == "caller.screen"] == ["more"]
    moods = [e[1] for e in play.fetch(play.contact_id) if e[0] == "caller.mood" and e[1]["cause"] == "tech_jargon"]
    assert len(moods) == 1 and moods[0]["patience"] < 0
    resp = say(client, play.contact_id, "   ")  # empty: refused with a clear message, nothing recorded
    assert resp.status_code == 422 and "is empty" in resp.get_data(as_text=True)
    assert len([e for e in play.events() if e[0] == "caller.screen"]) == 1


def test_social_breach_public_reply_with_personal_data(app, client, make_user, login, contact_of, events_of):
    """A public reply repeating the post's details is flagged; the same details in a private reply are not."""
    play = start(app, client, make_user, login, contact_of, events_of, "social-media-post")
    run(
        play,
        [
            Take("@SandboxBank"),
            Public(
                "Hi {first_name}, we can see account {account_number} at {postcode}. Please DM us.", "in your messages"
            ),
            Say("Thanks {first_name}. Is your postcode still {postcode}? Account ending {account_number}?", ""),
            Note("Public post; replied and moved to DM.", "resolved"),
            Close("resolved", False),
        ],
    )
    found = findings(app, play.contact_id)
    sent = [e for e in play.events() if e[0] == "message.sent"]
    assert found["public-reply-personal-data"][0] == [sent[0][3]]
    assert "account number" in found["public-reply-personal-data"][1]
    assert "postcode" in found["public-reply-personal-data"][1]
    assert all(sent[1][3] not in events for events, _ in found.values())  # the private reply: not flagged


def test_social_desk_escapes_html_and_refuses_markup_in_public(app, client, make_user, login, contact_of, events_of):
    play = start(app, client, make_user, login, contact_of, events_of, "social-media-post")
    run(play, [Take("@SandboxBank")])
    html = page(client, play.contact_id)
    assert "&lt;b&gt;Sort it out&lt;/b&gt;" in html and "<b>Sort it out</b>" not in html
    assert "Reply publicly" in html and "Send private message" in html
    before = len(play.events())
    resp = say(client, play.contact_id, "We're on it <script>alert(1)</script>", visibility="public")
    assert "plain text" in messages_after(client, resp)
    assert len(play.events()) == before  # nothing published
    resp = say(client, play.contact_id, "Sorry <script>alert(1)</script>")  # privately: escaped, never run
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page(client, play.contact_id)
    assert "<script>alert(1)" not in page(client, play.contact_id)


def test_public_reply_refused_without_a_post(app, client, make_user, login, contact_of, events_of):
    play = start(app, client, make_user, login, contact_of, events_of, "guided-app-password")
    run(play, [Take("change my")])
    resp = say(client, play.contact_id, "Hello", visibility="public")
    assert "no public post" in messages_after(client, resp)
    assert "Reply publicly" not in page(client, play.contact_id)


def test_replay_and_review_show_the_screen_beside_the_messages(app, client, make_user, login, contact_of, events_of):
    """The replay shows what the caller's screen showed at each event; the review's timeline has each move."""
    from crm_sandbox.queries.replay import desk_at

    play = start(app, client, make_user, login, contact_of, events_of, "guided-app-password")
    run(play, GUIDED[:4])  # up to "tap More"
    moved = next(e[3] for e in play.events() if e[0] == "caller.screen")
    with app.app_context():
        contact = db.session.get(Contact, play.contact_id)
        assert "Home, Payments, Cards and More" in desk_at(contact, moved - 1).screen
        assert "Profile, Settings, Help and Log out" in desk_at(contact, moved).screen
    make_user("assessor1", "assessor")
    staff = app.test_client()
    staff.post("/auth/login", data={"username": "assessor1", "password": PASSWORD})
    html = staff.get(f"/assessor/contacts/{play.contact_id}/replay?at={moved}").get_data(as_text=True)
    assert 'id="replay-screen"' in html and "Profile, Settings, Help and Log out" in html
    review = staff.get(f"/assessor/contacts/{play.contact_id}/review").get_data(as_text=True)
    assert f"The caller&#39;s screen moved on after message #{moved - 1}" in review
