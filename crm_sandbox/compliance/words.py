"""Whether a word is an ordinary English word: the lower-case entries of the vendored Hunspell en_GB word
list (``seed/dictionaries/en_GB.dic``), read once. A customer's name that is also a word ("Rose", "Mark",
"Smith") is only taken for the name when written as one; a name that is no word ("Okafor") in any case.
:class:`Typos` mends a vocabulary word typed with one slip, where the slip is no English word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from .spoken import Spoken, _replace

DICTIONARY = Path(__file__).resolve().parents[2] / "seed" / "dictionaries" / "en_GB.dic"


@cache
def _words() -> frozenset[str]:
    try:
        lines = DICTIONARY.read_text(encoding="utf-8").splitlines()[1:]
    except OSError:  # no word list: every name is taken as a word (as before there was one)
        return frozenset()
    return frozenset(stem for line in lines if (stem := line.split("/", 1)[0]) and stem[0].islower())


def is_word(name: str) -> bool:
    """Whether ``name`` in lower case is an ordinary word (unknown when there is no word list: True)."""
    words = _words()
    return not words or name.lower() in words


_LONG_WORD = re.compile(r"\b[A-Za-z]{6,}\b")


_ENDINGS = (
    ("ies", "y"),
    ("ing", ""),
    ("ing", "e"),
    ("ed", ""),
    ("ed", "e"),
    ("es", ""),
    ("s", ""),
    ("er", ""),
    ("ly", ""),
)


def _known(word: str) -> bool:
    """Whether ``word`` is an English word, or one with a common ending ("paying": the word list holds
    stems)."""
    return is_word(word) or any(
        word.endswith(end) and is_word(word[: -len(end)] + stem) for end, stem in _ENDINGS if len(word) > len(end) + 2
    )


class Typos:
    """Words of a vocabulary (six letters or more) a slip of the keyboard away: one letter wrong, two
    swapped or one left out ("hosptial", "miscarrage"). A word of the English word list is never taken
    for a slip, nor is one with a letter too many ("strokes" is not "stroke" mistyped)."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.words = frozenset(
            w for p in phrases if "*" not in p for w in re.findall(r"[a-z]+", p.lower()) if len(w) >= 6
        )
        self.near: dict[str, str] = {}
        for w in sorted(self.words):
            for i in range(len(w)):
                self.near.setdefault(w[:i] + w[i + 1 :], w)

    def word_for(self, token: str) -> str | None:
        """The vocabulary word ``token`` is a slip for, if any."""
        low = token.lower()
        if low in self.words or _known(low):
            return None
        if low in self.near:  # a letter left out
            return self.near[low]
        for i in range(len(low)):  # a letter wrong, or two swapped
            w = self.near.get(low[:i] + low[i + 1 :])
            if w is not None and len(w) == len(low) and w != low:
                return w
        return None

    def mend(self, text: str) -> Spoken | None:
        """``text`` with each slip written right (and a map back), or None when it has none."""
        if not self.words:
            return None
        identity = Spoken(text, tuple(range(len(text))), tuple(range(1, len(text) + 1)))
        mended = _replace(identity, _LONG_WORD, lambda m: self.word_for(m.group()))
        return mended if mended.text != text else None
