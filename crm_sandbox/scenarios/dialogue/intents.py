"""Intents as data: the shared library (``seed/dialogue/general.yaml``) and each scenario's own.

A scenario adds intents under ``dialogue.intents`` (``{NAME: {kind, when, unless, say}}``) and may name
the intent each of its old ``caller.replies`` rules answers (``intent: NAME``); its intents are tried
before the library's. ``detect`` returns the intents one clause expresses, most specific first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import get_close_matches
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from crm_sandbox.scenarios.dialogue.patterns import RX
from crm_sandbox.scenarios.dialogue.text import VOCABULARY, clauses, normalise

GENERAL = Path(__file__).resolve().parents[3] / "seed" / "dialogue" / "general.yaml"


@dataclass(frozen=True)
class Intent:
    name: str
    kind: str  # question | statement
    when: tuple[re.Pattern, ...]
    unless: tuple[re.Pattern, ...] = ()
    say: tuple[str, ...] = ()
    mood: dict[str, int] = field(default_factory=dict)
    ends: bool = False
    state: str | None = None  # verified | not_verified | locked: only then
    scenario: bool = False  # declared by the scenario (tried first)
    priority: bool = False  # an old rule marked priority: it stands in for the verification answers
    rule: dict = field(default_factory=dict)  # an old ``caller.replies`` rule's conditions (after, min_turn, once)

    def matches(self, clause: str) -> bool:
        return any(p.search(clause) for p in self.when) and not any(p.search(clause) for p in self.unless)

    def span(self, clause: str) -> tuple[int, int] | None:
        """Where the clause best supports the intent (its longest match), or None when it does not match."""
        if any(p.search(clause) for p in self.unless):
            return None
        found = [m.span() for p in self.when for m in [p.search(clause)] if m]
        return max(found, key=lambda s: s[1] - s[0]) if found else None


def _with_synonyms(text: str) -> str:
    """A pattern that also hears the synonyms of the words it names (the library's ``synonyms``):
    "fee" becomes "(?:fee|charge)"; a pattern that no longer compiles is kept as it was."""
    for word, group in _synonym_index().items():
        if word in text:
            word_rx = r"(?:(?<=\\[bBwWsSdD])|(?<![\w\\]))" + re.escape(word) + r"(?!\w)"
            text = re.sub(word_rx, lambda _m: "(?:" + "|".join(group) + ")", text)
    return text


def _patterns(raw: Any) -> tuple[re.Pattern, ...]:
    items = [raw] if isinstance(raw, str) else list(raw or [])
    out = []
    for item in items:
        text = str(item)
        if text.startswith("intent:"):  # a fixed pattern by name (patterns.RX); "intent:any" matches anything
            name = text[7:]
            out.append(RX[name] if name in RX else re.compile(r"(?s).") if name == "any" else re.compile(r"(?!x)x"))
            continue
        if re.fullmatch(r"[\w' \-]+", text):  # a plain word or phrase: whole words
            text = r"(?<!\w)" + re.escape(text.lower()) + r"(?!\w)"
        try:
            out.append(re.compile(_with_synonyms(text), re.I))
        except re.error:
            try:
                out.append(re.compile(text, re.I))
            except re.error:
                out.append(re.compile(re.escape(text), re.I))
    return tuple(out)


def make_intent(name: str, spec: dict, scenario: bool = False) -> Intent:
    say = spec.get("say") or []
    return Intent(
        name=name,
        kind=str(spec.get("kind", "question")),
        when=_patterns(spec.get("when")),
        unless=_patterns(spec.get("unless")),
        say=tuple([say] if isinstance(say, str) else [str(s) for s in say]),
        mood={k: int(v) for k, v in (spec.get("mood") or {}).items()},
        ends=bool(spec.get("ends")),
        state=spec.get("state"),
        scenario=scenario,
        priority=bool(spec.get("priority")),
        rule={k: spec[k] for k in ("after", "min_turn", "once", "replaces", "means") if spec.get(k)},
    )


@lru_cache(maxsize=4)
def _load(path: str) -> dict:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def library() -> dict:
    """The shared library document (slots, intents, lines, mood defaults, shorthand, synonyms)."""
    return _load(str(GENERAL))


@lru_cache(maxsize=1)
def _synonym_index() -> dict[str, tuple[str, ...]]:
    """Each word of a synonym set, with its whole set (the word first), for widening patterns."""
    out: dict[str, tuple[str, ...]] = {}
    for group in library().get("synonyms") or []:
        words = [str(w).lower() for w in group]
        for w in words:
            out[w] = tuple([w] + [re.escape(o).replace("\\ ", " ") for o in words if o != w])
    return out


@lru_cache(maxsize=1)
def shorthand() -> dict[str, str]:
    """The library's ``shorthand``: how advisers type a word or phrase, read as the word itself."""
    return {str(k).lower(): str(v).lower() for k, v in (library().get("shorthand") or {}).items()}


@lru_cache(maxsize=1)
def general_intents() -> tuple[Intent, ...]:
    return tuple(make_intent(name, spec) for name, spec in (library().get("intents") or {}).items())


def dialogue(scenario: dict) -> dict:
    return scenario.get("dialogue") or {}


def scenario_intents(scenario: dict) -> list[Intent]:
    """The scenario's own intents, then its ``caller.replies`` rules that name an intent."""
    out = [make_intent(n, s, True) for n, s in (dialogue(scenario).get("intents") or {}).items() if isinstance(s, dict)]
    rules = [r for r in (scenario.get("caller") or {}).get("replies") or [] if isinstance(r, dict)]
    ordered = [r for r in rules if r.get("priority")] + [r for r in rules if not r.get("priority")]
    for n, rule in enumerate(ordered):
        spec = {**rule, "kind": rule.get("kind", "question")}
        intent = make_intent(str(rule.get("intent") or f"reply{n + 1}"), spec, True)
        out.insert(0, intent) if rule.get("priority") else out.append(intent)
    return out


def all_intents(scenario: dict) -> list[Intent]:
    return scenario_intents(scenario) + list(general_intents())


def detect(clause: str, intents: list[Intent]) -> list[Intent]:
    """The intents ``clause`` expresses, scenario ones first, one per name. A question whose support lies
    inside a longer match of another question is dropped: the best-supported reading wins ("what email
    do you want it changed to" is the new email, not the email we hold)."""
    seen: set[str] = set()
    found: list[tuple[Intent, tuple[int, int]]] = []
    for intent in intents:
        if intent.name in seen:
            continue
        span = intent.span(clause)
        if span is not None:
            seen.add(intent.name)
            found.append((intent, span))
    return [i for i, span in found if not (i.kind == "question" and _outsupported(clause, i, span, found))]


def _outsupported(
    clause: str, intent: Intent, span: tuple[int, int], found: list[tuple[Intent, tuple[int, int]]]
) -> bool:
    """Another question reads the same words with a longer match: it no longer matches once those words
    are blanked (two questions side by side, or one inside a wildcard of the other, both stand). The
    scenario's own intent is never outsupported by the library's."""
    start, end = span
    blanked = clause[:start] + re.sub(r"\w", " ", clause[start:end]) + clause[end:]
    return any(
        other.kind == "question"
        and (other.scenario or not intent.scenario)
        and o[0] <= start
        and end <= o[1]
        and (o[1] - o[0]) > (end - start)
        and other.span(blanked) is None
        for other, o in found
    )


_STOP = set(
    "what when where which why how your you the and that this have with from there about would could should "
    "please just tell give does did will been being into they them their then than some much many also able "
    "like want need know okay right sure thing things stuff the and you for are was were can did has had how "
    "who why not any our but its get got all one out now see may she her him his too yes off let".split()
)


def keywords(intent: Intent) -> frozenset[str]:
    """The content words an intent's patterns listen for (letters only, four or more, no common words)."""
    return _keywords(intent.when)


@lru_cache(maxsize=1024)
def _keywords(when: tuple[re.Pattern, ...]) -> frozenset[str]:
    plain = [re.sub(r"\\[a-zA-Z]|\(\?[a-zA-Z]+\)", " ", p.pattern) for p in when]
    return frozenset({w.lower() for text in plain for w in re.findall(r"[a-zA-Z]{3,}", text)} - _STOP)


def vocabulary(intents: list[Intent]) -> tuple[str, ...]:
    """Every keyword the intents listen for: a typo of one is read as it."""
    return tuple(sorted(set(VOCABULARY).union(*({k for k in keywords(i) if len(k) >= 6} for i in intents))))


def read(message: str, intents: list[Intent]) -> list[tuple[str, list[Intent]]]:
    """The message understood: normalised against the intents' vocabulary and the library's shorthand,
    split into clauses, each with the intents it expresses."""
    key = tuple((i.name, i.kind, i.scenario, i.when, i.unless) for i in intents)
    _SETS.setdefault(key, intents)
    return [(c, [intents[n] for n in found]) for c, found in _read(message, key)]


_SETS: dict[tuple, list[Intent]] = {}  # one list of intents per distinct set (the same set reads alike)


@lru_cache(maxsize=4096)
def _read(message: str, key: tuple) -> tuple[tuple[str, tuple[int, ...]], ...]:
    intents = _SETS[key]
    where = {id(i): n for n, i in enumerate(intents)}
    text = normalised(message, vocabulary(intents))
    return tuple((c, tuple(where[id(i)] for i in detect(c, intents))) for c in clauses(text))


@lru_cache(maxsize=4096)
def normalised(message: str, vocabulary: tuple[str, ...]) -> str:
    return normalise(message, vocabulary, shorthand())


def nearest(clause: str, intents: list[Intent]) -> tuple[Intent | None, float]:
    """For a question no pattern reads (or only a general one the caller cannot answer): the question
    intent whose keywords the clause shares, weighted by how telling each word is (a word only one intent
    listens for counts 1, one that three listen for counts a third; a word that is only near a keyword,
    ``difflib`` ratio 0.85, counts half), and its score. A tie is no answer."""
    questions = [i for i in intents if i.kind == "question"]
    words = {w for w in re.findall(r"[a-z]{3,}", clause.lower()) if w not in _STOP}
    spread: dict[str, int] = {}
    for intent in questions:
        for key in keywords(intent):
            spread[key] = spread.get(key, 0) + 1
    scores: dict[str, tuple[Intent, float]] = {}
    for intent in questions:
        keys = keywords(intent)
        score = 0.0
        for w in words:
            if w in keys:
                score += 1 / spread[w]
            elif len(w) >= 5 and (close := get_close_matches(w, keys, n=1, cutoff=0.85)):
                score += 0.5 / spread[close[0]]
        if score and score > scores.get(intent.name, (intent, 0.0))[1]:
            scores[intent.name] = (intent, score)
    ranked = sorted(scores.values(), key=lambda pair: -pair[1])
    if not ranked or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None, 0.0
    return ranked[0]


def kind_of(name: str, scenario: dict) -> str:
    for intent in all_intents(scenario):
        if intent.name == name:
            return intent.kind
    return "question"
