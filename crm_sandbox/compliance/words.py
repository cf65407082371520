"""Whether a word is an ordinary English word: the lower-case entries of the vendored Hunspell en_GB word
list (``seed/dictionaries/en_GB.dic``), read once. A customer's name that is also a word ("Rose", "Mark",
"Smith") is only taken for the name when written as one; a name that is no word ("Okafor") in any case.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

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
