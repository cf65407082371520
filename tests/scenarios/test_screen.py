"""The guided-digital-help caller's simulated screen (issue 22): it moves on only on a correct, clear instruction.

Pure: the scenario from seed, the caller's reply to one message after a history, no app.
"""

from pathlib import Path

import pytest

from crm_sandbox.scenarios.caller import reply
from crm_sandbox.scenarios.dialogue import screen
from crm_sandbox.scenarios.library import load_library

SEED = Path(__file__).resolve().parents[2] / "seed"
SCENARIO = next(f.scenario for f in load_library(SEED) if f.id == "guided-app-password")
CUSTOMER = {"first_name": "Ada", "last_name": "Lovell", "title": "Mrs", "ref": "c-1"}


def at(step: str | None) -> list[dict]:
    """A history whose screen is on ``step`` (None: the first, the home screen)."""
    history: list[dict] = [{"type": "message.received", "data": {"text": "Hello?"}}]
    if step:
        history.append({"type": "message.sent", "data": {"text": "..."}})
        history.append({"type": "caller.screen", "data": {"step": step}})
    return history


def answer(message: str, step: str | None = None):
    history = [*at(step), {"type": "message.sent", "data": {"text": message}}]
    return reply(SCENARIO, CUSTOMER, history, message)


@pytest.mark.parametrize(
    "message, step, moved_to",
    [
        ("Tap More, at the bottom right of the screen.", None, "more"),
        ("press the button that says More", None, "more"),
        ("Can you tap More for me?", None, "more"),
        ("Now tap Settings.", "more", "settings"),
        ("Press Security.", "settings", "security"),
        ("Tap Change password.", "security", "change_password"),
        ("Type your passwords in the boxes, then press Save.", "change_password", "saved"),
    ],
)
def test_a_correct_clear_instruction_moves_the_screen_one_step(message, step, moved_to):
    got = answer(message, step)
    assert got.screen is not None and got.screen.id == moved_to
    assert got.answered == ("instruction",)


@pytest.mark.parametrize(
    "message, step, says",
    [
        ("Click on it there.", None, "Home, Payments, Cards and More"),  # vague: where?
        ("Go into the menu.", None, "Home, Payments, Cards and More"),
        ("Tap Settings.", None, "Home, Payments, Cards and More"),  # a step ahead: not on this screen
        ("Press Security.", "more", "Profile, Settings, Help and Log out"),
    ],
)
def test_a_vague_or_wrong_instruction_leaves_the_caller_lost(message, step, says):
    got = answer(message, step)
    assert got.screen is None and says in got.text


@pytest.mark.parametrize(
    "message",
    [
        "Navigate to the hamburger menu.",
        "Toggle 2FA in Settings.",
        "Just tap the kebab icon and go to More.",  # a correct word inside jargon still confuses
        "Enter your credentials in the input field.",
    ],
)
def test_jargon_confuses_and_moves_nothing(message):
    got = answer(message)
    assert got.screen is None and got.answered == ("jargon",)
    assert any(w in got.text.lower() for w in ("don't know", "lost me", "don't understand"))


def test_jargon_costs_patience_through_the_scenarios_intent():
    from crm_sandbox.scenarios.dialogue import mood

    changes = mood.changes(SCENARIO, [], "Navigate to the hamburger menu.")
    assert [c.cause for c in changes] == ["tech_jargon"] and changes[0].patience < 0


@pytest.mark.parametrize(
    "message", ["Appuyez sur le bouton Plus, s'il vous plaît.", "Bitte klicken Sie und ist gut", "", "   ", "🙂"]
)
def test_another_language_or_nothing_gets_an_in_persona_reply_and_moves_nothing(message):
    got = answer(message)
    assert got.screen is None and got.text and not got.ends


def test_two_steps_at_once_move_one_and_slow_the_adviser_down():
    got = answer("Tap More, then Settings, then Security.")
    assert got.screen is not None and got.screen.id == "more"
    assert "one thing at a time" in got.text


@pytest.mark.parametrize(
    "message",
    ["Let me find your account first.", "Is the app open on your phone?", "I'll open a note while we talk."],
)
def test_what_the_adviser_says_of_themselves_or_asks_is_no_instruction(message):
    assert screen.react(SCENARIO, at(None), message) is None
    assert answer(message).screen is None


def test_what_the_caller_sees_is_described_and_checked():
    assert answer("What can you see now?", "settings").text.startswith("I can see the Settings page")
    assert answer("Can you see Security?", "settings").text == "Yes, I can see Security."
    assert "green tick" in answer("Has that worked?", "saved").text


def test_the_screen_is_read_from_the_history_and_the_first_step_without_one():
    assert screen.current(SCENARIO, at(None)).id == "home"
    assert screen.current(SCENARIO, at("security")).id == "security"
    assert screen.current({"id": "x"}, at("security")) is None  # no screen in the scenario
