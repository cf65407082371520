"""The caller's mood: patience and trust (0-100), moved by what the adviser does.

Apologising, showing empathy, taking ownership, explaining next steps and confirming understanding
raise it; jargon, "calm down", being kept waiting, repeated questions and refusals without an
alternative lower it (the deltas are data: ``mood:`` on each intent of ``seed/dialogue/general.yaml``,
``repeated_question`` there; a scenario sets its starting mood with ``dialogue.mood``). Pure: the mood is
replayed from the adviser's messages, so the same transcript always gives the same mood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crm_sandbox.scenarios.dialogue.intents import Intent, all_intents, dialogue, library, read

MEASURES = ("patience", "trust")
CAUSES = {  # intent -> how the review names it ("patience rose after the apology")
    "apology": "the apology",
    "empathy": "the empathy shown",
    "ownership": "the adviser took ownership",
    "next_steps": "the next steps were explained",
    "confirm_understanding": "the adviser checked understanding",
    "take_time": "being told to take their time",
    "jargon": "jargon",
    "calm_down": "being told to calm down",
    "wait": "being asked to wait",
    "hold": "being kept waiting",
    "refusal": "a refusal without an alternative",
    "repeated_question": "a question asked again",
}
ALTERNATIVE = re.compile(
    r"\binstead\b|what i can do|but (?:i|we) can|you (?:could|can)|alternatively|\boption|(?:i|we) could|"
    r"the (?:best|only) way|would you like|what we can do|ask (?:them|him|her) to",
    re.I,
)
NOT_REPEATS = {"repeat", "confirm_understanding", "anything_else", "need", "hold", "wait", "how_are_you"}


@dataclass(frozen=True)
class Mood:
    patience: int
    trust: int

    def moved(self, change: MoodChange) -> Mood:
        return Mood(_clamp(self.patience + change.patience), _clamp(self.trust + change.trust))


@dataclass(frozen=True)
class MoodChange:
    cause: str  # an intent name, or "repeated_question"
    patience: int
    trust: int

    @property
    def reason(self) -> str:
        return CAUSES.get(self.cause, self.cause.replace("_", " "))


def _clamp(value: int) -> int:
    return max(0, min(100, value))


def initial(scenario: dict) -> Mood:
    start = {**(library().get("mood") or {}), **(dialogue(scenario).get("mood") or {})}
    return Mood(_clamp(int(start.get("patience", 70))), _clamp(int(start.get("trust", 60))))


def questions_in(message: str, intents: list[Intent]) -> set[str]:
    """The question intents a message asks."""
    return {i.name for _, found in read(message, intents) for i in found if i.kind == "question"}


def changes(scenario: dict, earlier: list[str], message: str) -> list[MoodChange]:
    """How ``message`` moves the mood, given the adviser's ``earlier`` messages in the contact."""
    intents = all_intents(scenario)
    asked_before: set[str] = set()
    for m in earlier:
        asked_before |= questions_in(m, intents)
    return _changes(intents, asked_before, message)


def _changes(intents: list[Intent], asked_before: set[str], message: str) -> list[MoodChange]:
    found: dict[str, Intent] = {}
    for _, detected in read(message, intents):
        for intent in detected:
            found.setdefault(intent.name, intent)
    out = []
    for name, intent in found.items():
        delta = intent.mood or _library_mood(name)
        if name == "refusal" and ALTERNATIVE.search(message):
            continue  # a refusal that offers a way forward costs nothing
        if delta:
            out.append(MoodChange(name, int(delta.get("patience", 0)), int(delta.get("trust", 0))))
    if (questions_in(message, intents) - NOT_REPEATS) & asked_before:
        cost = library().get("repeated_question") or {}
        out.append(MoodChange("repeated_question", int(cost.get("patience", 0)), int(cost.get("trust", 0))))
    return out


def _library_mood(name: str) -> dict:
    return ((library().get("intents") or {}).get(name) or {}).get("mood") or {}


def replay(scenario: dict, messages: list[str]) -> Mood:
    """The mood after the adviser's ``messages``, in order."""
    intents = all_intents(scenario)
    mood, asked = initial(scenario), set[str]()
    for message in messages:
        for change in _changes(intents, asked, message):
            mood = mood.moved(change)
        asked |= questions_in(message, intents)
    return mood
