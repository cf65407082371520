"""Spelling in learner messages, checked against the vendored Hunspell en_GB dictionary (spylls)."""

import re
from functools import lru_cache
from pathlib import Path

from spylls.hunspell import Dictionary

WORD = re.compile(r"[A-Za-z][A-Za-z'’]*[A-Za-z]|[A-Za-z]")
SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n\s*)$")


@lru_cache(maxsize=2)
def dictionary(seed_dir: str) -> Dictionary:
    """The en_GB dictionary, loaded once per process (it is read-only data)."""
    return Dictionary.from_files(str(Path(seed_dir, "dictionaries", "en_GB")))


def misspellings(seed_dir: str, text: str, known: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Words in ``text`` the dictionary does not know, in order, once each.

    Capitalised words inside a sentence are taken as names and skipped, as are ``known`` words
    (the customer's and the company's names) and placeholders such as ``[Agent name]``.
    """
    # placeholders, addresses, links, and words with digits in them: ordinals ("5th"), postcodes, references
    text = re.sub(r"\[[^\]]*\]|\{[^}]*\}|\S+@\S+|https?://\S+|\b\w*\d\w*\b", " ", text)
    found: list[str] = []
    d = dictionary(seed_dir)
    for m in WORD.finditer(text):
        word = m.group().replace("’", "'").strip("'")
        if len(word) < 2 or word.lower() in known or word in found:
            continue
        if word[0].isupper() and not SENTENCE_START.search(text[: m.start()]):
            continue
        if not (d.lookup(word) or d.lookup(word.lower())):
            found.append(word)
    return found
