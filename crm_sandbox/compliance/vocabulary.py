"""The rules' word lists, read from ``seed/vocabulary/`` (reviewable data, not code) and compiled once.

``special_categories.yaml``: special category (UK GDPR Art 9) words per category;
``over_collection.yaml``: everyday asks per data category, other people's details, and the words that
make a request for part of a secret a request for all of it. A phrase matches as whole words in any
case (one written in capitals is an abbreviation, matched only in capitals); a ``*`` at the end of a word
matches any ending; an apostrophe matches ' or ’; a hyphen matches a hyphen, a space or nothing.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

VOCABULARY_DIR = Path(__file__).resolve().parents[2] / "seed" / "vocabulary"


class VocabularyError(ValueError):
    """A word list is missing or not in the expected shape; the message names the file and the place."""


@cache
def load(name: str) -> dict[str, Any]:
    """``seed/vocabulary/<name>.yaml`` as a mapping."""
    path = VOCABULARY_DIR / f"{name}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise VocabularyError(f"{path}: cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise VocabularyError(f"{path}: expected named lists of phrases")
    return data


def phrases(value: Any, where: str) -> list[str]:
    """A list of non-empty phrases (strings; abbreviations in capitals kept so), or VocabularyError."""
    if not isinstance(value, list) or not value or not all(isinstance(p, str) and p.strip() for p in value):
        raise VocabularyError(f"{where}: expected a list of phrases")
    return [p.strip() if p.strip().isupper() else p.strip().lower() for p in value]


def phrase_pattern(phrase: str) -> str:
    """The regular expression for one phrase (see the module docstring); in capitals, an abbreviation
    that matches only in capitals."""
    if phrase.isupper():
        return f"(?-i:\\b{re.escape(phrase)}\\b)"
    words = []
    for word in phrase.split():
        wild = word.endswith("*")
        body = re.escape(word.rstrip("*")).replace("'", "['’]").replace(r"\-", r"[-\s]?")
        words.append(body + (r"\w*" if wild else ""))
    core = r"\s+".join(words)
    start = r"\b" if re.match(r"\w", phrase) else ""
    end = r"\b" if re.search(r"[\w*]$", phrase) else ""
    return f"{start}{core}{end}"


def keywords(items: list[str]) -> frozenset[str]:
    """For a cheap test before the patterns: one word each phrase must contain (its longest whole word,
    lower case); a text with none of them as a word matches no phrase. A phrase whose words all end in
    "*" gives its longest stem, so the test for it is a substring test (``may_match``)."""
    out = set()
    for phrase in items:
        words = re.findall(r"[a-z']+\*?", phrase.lower())
        whole = [w for w in words if not w.endswith("*")]
        rare = [w for w in whole if w not in _COMMON]
        out.add(max(rare or whole or words, key=len))
    return frozenset(out)


# Words too common to tell anything (a phrase's test word is its longest other word).
_COMMON = frozenset(
    "what who where when how much many are is was were you your yours the a an on in at to do does did for of"
    " any have has with can could would me my we our they their that this each every per it its there".split()
)


class Gate:
    """A cheap test that a text may hold one of a list's phrases: one of their ``keywords`` as a word (a
    set lookup, much faster than a pattern of hundreds of phrases), or a wildcard word's stem in it."""

    def __init__(self, items: list[str]) -> None:
        keys = keywords(items)
        self.words = frozenset(k for k in keys if not k.endswith("*"))
        self.stems = tuple(k.rstrip("*") for k in keys if k.endswith("*"))

    def open(self, text: str) -> bool:
        low = text.lower()
        if not self.words.isdisjoint(_WORD.findall(low)):
            return True
        return any(stem in low for stem in self.stems)


_WORD = re.compile(r"[a-z']+")


def any_of(items: list[str]) -> re.Pattern[str]:
    """One pattern matching any of the phrases (longest first, so "mixed race" wins over "race")."""
    return re.compile("|".join(phrase_pattern(p) for p in sorted(set(items), key=len, reverse=True)), re.I)


def named_groups(groups: dict[str, list[str]]) -> re.Pattern[str]:
    """One pattern whose named group (the key, with non-word characters as _) says which list matched."""
    parts = []
    for key, items in groups.items():
        alternatives = "|".join(phrase_pattern(p) for p in sorted(set(items), key=len, reverse=True))
        parts.append(f"(?P<{group_name(key)}>{alternatives})")
    return re.compile("|".join(parts), re.I)


def group_name(key: str) -> str:
    """ "religion or belief" -> "religion_or_belief" (a name a regular expression group can have)."""
    return re.sub(r"\W", "_", key)


def special_categories() -> dict[str, list[str]]:
    data = load("special_categories")
    return {str(cat): phrases(words, f"special_categories.yaml: {cat}") for cat, words in data.items()}


def standalone_asks() -> dict[str, list[str]]:
    asks = load("over_collection").get("asks")
    if not isinstance(asks, dict):
        raise VocabularyError("over_collection.yaml: asks: expected lists of phrases per data category")
    return {str(cat): phrases(words, f"over_collection.yaml: asks: {cat}") for cat, words in asks.items()}


def other_people() -> tuple[list[str], list[str]]:
    section = load("over_collection").get("other_people") or {}
    return (
        phrases(section.get("people"), "over_collection.yaml: other_people: people"),
        phrases(section.get("details"), "over_collection.yaml: other_people: details"),
    )


def full_secret() -> list[str]:
    return phrases(load("over_collection").get("full_secret"), "over_collection.yaml: full_secret")
