"""The caller's simulated screen (guided digital help): it moves on only when the adviser's instruction is
correct and clear.

A scenario's ``screen:`` block lists the steps of an online process in order, each with what the caller sees
(``shows``), what a correct instruction names (``correct``: regexes, e.g. ``\\bsettings\\b``), what the
caller says on getting there (``done``) and when lost (``lost``). ``jargon`` (regexes) confuses the caller
(the screen stays as it is; the mood falls through the scenario's own jargon intent); ``confused`` and
``too_fast`` are the caller's lines for jargon and for several steps at once. Pure: the step is read
from the history's ``caller.screen`` events, so the same transcript always gives the same screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SCREEN_EVENT = "caller.screen"  # events/registry.py CALLER_SCREEN (this layer may not import events/)

# An instruction: the adviser tells the caller to do something on the screen.
ACTION = re.compile(
    r"\b(?:tap|press|touch|click|select|choose|pick|open|go (?:in)?to|go back|scroll|find|look for|type|enter|"
    r"put in|hit|swipe)\b",
    re.I,
)
SELF = re.compile(
    r"\b(?:i'll|i will|let me|i can|i'm going to|i am going to|we'll|we will|i need to)\s+(?:just\s+)?$", re.I
)
ASKS_STATE = re.compile(r"\s*(?:is|are|was|were|has|have|had|do|does|did)\b", re.I)
# The adviser asks what the caller sees.
DESCRIBE = re.compile(
    r"what (?:can|do) you see|what(?:'s| is) on (?:the|your) screen|what does (?:it|the screen) (?:say|show)|"
    r"where are you now|which (?:page|screen)|has (?:that|it) (?:worked|opened|changed)|did (?:that|it) work|"
    r"what happened|what has happened",
    re.I,
)
SEE = re.compile(r"can you see|do you see|is there (?:a|an|one)\b|have you got (?:a|an)\b|can you find", re.I)


@dataclass(frozen=True)
class Step:
    id: str
    shows: str
    correct: tuple[re.Pattern, ...]
    done: str
    lost: str
    options: tuple[str, ...] = ()  # the buttons and words on the screen ("Settings", "Security")


@dataclass(frozen=True)
class Reaction:
    kind: str  # advanced | lost | jargon | describe
    text: str
    step: Step | None = None  # the step the screen moved to (advanced only)
    options: tuple[str, ...] = ()  # jargon: the caller's confused lines, the first not yet said is used


def _patterns(raw: object) -> tuple[re.Pattern, ...]:
    items = raw if isinstance(raw, list) else [raw] if raw else []
    return tuple(re.compile(str(p), re.I) for p in items)


def steps(scenario: dict) -> list[Step]:
    """The scenario's screen steps, in order (empty when it has no screen)."""
    out = []
    for raw in (scenario.get("screen") or {}).get("steps") or []:
        if isinstance(raw, dict) and raw.get("id"):
            out.append(
                Step(
                    str(raw["id"]),
                    str(raw.get("shows", "")),
                    _patterns(raw.get("correct")),
                    str(raw.get("done", "")),
                    str(raw.get("lost", "")),
                    tuple(str(o) for o in raw.get("options") or []),
                )
            )
    return out


def current(scenario: dict, history: list[dict]) -> Step | None:
    """The step the caller's screen is on: the last ``caller.screen`` event's, else the first."""
    all_steps = steps(scenario)
    if not all_steps:
        return None
    at = all_steps[0].id
    for e in history:
        if e.get("type") == SCREEN_EVENT:
            at = str((e.get("data") or {}).get("step", at))
    return next((s for s in all_steps if s.id == at), all_steps[0])


def _following(scenario: dict, step: Step) -> Step | None:
    all_steps = steps(scenario)
    index = [s.id for s in all_steps].index(step.id)
    return all_steps[index + 1] if index + 1 < len(all_steps) else None


def is_jargon(scenario: dict, message: str) -> bool:
    return any(p.search(message) for p in _patterns((scenario.get("screen") or {}).get("jargon")))


def react(scenario: dict, history: list[dict], message: str) -> Reaction | None:
    """How the screen answers ``message``: moved on, lost, confused by jargon, described; None when the
    message is not about the screen (the caller's other intents answer it)."""
    step = current(scenario, history)
    if step is None:
        return None
    after = _following(scenario, step)
    if is_jargon(scenario, message) and after is not None:
        lines = (scenario.get("screen") or {}).get("confused") or ["Sorry, I don't know what that means."]
        return Reaction("jargon", str(lines[0]), options=tuple(str(line) for line in lines))
    if after is not None and _instructs(message) and any(p.search(message) for p in after.correct):
        text = after.done
        beyond = _following(scenario, after)
        if beyond is not None and any(p.search(message) for p in beyond.correct):
            text += " " + str((scenario.get("screen") or {}).get("too_fast") or "")
        return Reaction("advanced", text.strip(), after)
    if after is not None and _instructs(message):
        return Reaction("lost", step.lost)
    if SEE.search(message):
        named = [o for o in step.options if re.search(r"\b" + re.escape(o) + r"\b", message, re.I)]
        return Reaction("describe", f"Yes, I can see {named[0]}." if named else f"I can see {step.shows}")
    if DESCRIBE.search(message):
        return Reaction("describe", f"I can see {step.shows}")
    return None


def _instructs(message: str) -> bool:
    """An instruction to the caller: not the adviser saying what they will do ("let me find your account"),
    nor a question about the state of things ("is the app open?")."""
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", message):
        if ASKS_STATE.match(sentence):
            continue
        if any(not SELF.search(sentence[: m.start()]) for m in ACTION.finditer(sentence)):
            return True
    return False
