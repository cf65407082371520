"""Intents as data: the shared library (``seed/dialogue/general.yaml``) and each scenario's own.

A scenario adds intents under ``dialogue.intents`` (``{NAME: {kind, when, unless, say}}``) and may name
the intent each of its old ``caller.replies`` rules answers (``intent: NAME``); its intents are tried
before the library's. ``detect`` returns the intents one clause expresses, most specific first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from crm_sandbox.scenarios.dialogue.patterns import RX

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
        rule={k: spec[k] for k in ("after", "min_turn", "once", "replaces") if spec.get(k)},
    )


@lru_cache(maxsize=4)
def _load(path: str) -> dict:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def library() -> dict:
    """The shared library document (slots, intents, lines, mood defaults)."""
    return _load(str(GENERAL))


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
    """The intents ``clause`` expresses, scenario ones first, one per name."""
    seen: set[str] = set()
    found: list[Intent] = []
    for intent in intents:
        if intent.name not in seen and intent.matches(clause):
            seen.add(intent.name)
            found.append(intent)
    return found


def kind_of(name: str, scenario: dict) -> str:
    for intent in all_intents(scenario):
        if intent.name == name:
            return intent.kind
    return "question"
