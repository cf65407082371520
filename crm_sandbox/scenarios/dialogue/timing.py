"""How long the caller takes to reply: their thinking time plus the reply's length at the persona's speed.

Chat: typed at the persona's speed (``dialogue.typing``: slow | average | fast; else read from the persona,
"slow at typing", "types fast"); phone: spoken; email: an email arrives a minute or so later. Bounded, so
a long reply never keeps the learner waiting more than ``MAX_SECONDS[channel]``.
"""

from __future__ import annotations

import re

CHARS_PER_SECOND = {"slow": 2.5, "average": 5.0, "fast": 9.0}
SPOKEN_CHARS_PER_SECOND = 14.0
THINK_SECONDS = {"slow": 3.0, "average": 2.0, "fast": 1.0}
MIN_SECONDS = {"chat": 1.5, "phone": 1.0, "email": 20.0}
MAX_SECONDS = {"chat": 15.0, "phone": 8.0, "email": 60.0}


def typing_speed(scenario: dict) -> str:
    """slow | average | fast: the scenario's ``dialogue.typing``, else read from the persona."""
    declared = (scenario.get("dialogue") or {}).get("typing")
    if declared in CHARS_PER_SECOND:
        return str(declared)
    persona = str((scenario.get("caller") or {}).get("persona", "")).lower()
    if re.search(r"slow (?:at|to) typ|slowly|little slow", persona):
        return "slow"
    if re.search(r"types? fast|quick(?:ly)? typ|fast typ", persona):
        return "fast"
    return "average"


def reply_delay(scenario: dict, text: str) -> float:
    """Seconds between the adviser's message and the caller's reply (deterministic, bounded)."""
    channel = scenario.get("channel", "chat") if scenario.get("channel") in MIN_SECONDS else "chat"
    speed = typing_speed(scenario)
    if channel == "email":
        seconds = MIN_SECONDS["email"] + len(text) / 25.0
    elif channel == "phone":
        seconds = THINK_SECONDS[speed] / 2 + len(text) / SPOKEN_CHARS_PER_SECOND
    else:
        seconds = THINK_SECONDS[speed] + len(text) / CHARS_PER_SECOND[speed]
    return round(min(MAX_SECONDS[channel], max(MIN_SECONDS[channel], seconds)), 2)
