"""The bad input of issue 17, shared by its tests (no crash, stable findings) and bench/bench_rules.py
(how long each takes): huge sessions, huge messages, endless numbers, unusual digits and scripts."""

from __future__ import annotations

from corpus_builder import build

MESSAGES = {
    "20,000 characters of number words": ("Your account " + "one two three four five " * 800)[:20_000],
    "200-digit number": "ref " + "1234567890" * 20,
    "words-to-number that never ends": "one hundred and " * 1250,
    "unusual Unicode digits and scripts": "٠٧٧٠٠ ٩٠٠١٢٣ ١٢/٠٣/١٩٨٥ " * 500 + "𝟘𝟙𝟚 ௧௨௩ 一二三 ﻿ Ⅻ ²³ " * 200,
    "single letters without end": "a b " * 5_000,
    "phonetic alphabet without end": "alpha bravo " * 2_000,
    "a spoken email without end": "x dot " * 3_000 + " at y dot com",
    "spaced digits without end": "1 " * 10_000,
    "postcode-like words without end": "LS1 " * 5_000,
}


def message_sessions() -> dict[str, dict]:
    """A session per bad message, said by the caller, then by the learner, then written in a note."""
    return {
        name: build({"events": [{"in": text}, {"out": text}, {"note": text}, {"out": text[::-1]}]})
        for name, text in MESSAGES.items()
    }


def huge_session(events: int = 10_000) -> dict:
    """``events`` events of caller and learner messages with values said in words and parts."""
    pair = [
        {"in": "my number is oh seven seven double oh nine hundred one two three"},
        {"out": "Thanks, your postcode starts LS1? And you were born in 1985?"},
    ]
    return build({"events": pair * ((events - 2) // 2)})
