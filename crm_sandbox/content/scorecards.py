"""Quality scorecards (``seed/scorecards/*.yaml``): sections of weighted items and auto-fail items.

Each file is checked on load: weights are whole numbers summing to 100, ids are unique across the card,
every rule an item or auto-fail names is one of the rules engine's. A card with problems is not offered
(nothing is scored against a card that does not add up); its problems are listed, in plain words, for the
trainer. Scoring: each met item counts its weight; a ticked auto-fail makes the score 0.
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from crm_sandbox.compliance.engine import RULES
from crm_sandbox.content import file_stamp

TOTAL = 100


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    weight: int
    section: str
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class AutoFail:
    id: str
    text: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class Scorecard:
    id: str
    title: str
    sections: tuple[tuple[str, tuple[Item, ...]], ...]  # (section title, its items)
    auto_fails: tuple[AutoFail, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(i for _, items in self.sections for i in items)

    def name(self, ident: str) -> str:
        """An item's or auto-fail's wording, for people (its id when unknown)."""
        entries: tuple[Item | AutoFail, ...] = (*self.items, *self.auto_fails)
        return next((x.text for x in entries if x.id == ident), ident)

    def score(self, met: set[str], auto_fails: set[str]) -> int:
        """The percentage: the weights of the met items, or 0 when any auto-fail is ticked."""
        return 0 if auto_fails else sum(i.weight for i in self.items if i.id in met)

    def failed_by(self, rules: set[str]) -> set[str]:
        """The auto-fail ids the given rules' findings call for."""
        return {a.id for a in self.auto_fails if rules & set(a.rules)}

    def unmet_by(self, rules: set[str]) -> set[str]:
        """The item ids the given rules' findings mean are not met."""
        return {i.id for i in self.items if rules & set(i.rules)}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _check_entry(kind: str, entry: Any, seen: set[str]) -> tuple[list[str], int]:
    """One section, item or auto-fail item's problems, and its weight (0 unless a sound item)."""
    ident = str(entry.get("id") or "").strip() if isinstance(entry, dict) else ""
    if not ident:
        return [f"a {kind} has no id"], 0
    problems = []
    if ident in seen:
        problems.append(f"the id {ident!r} is used twice (ids must be unique across the card)")
    seen.add(ident)
    unknown = [r for r in _list(entry.get("rules")) if r not in RULES]
    if unknown:
        problems.append(f"{kind} {ident!r} names unknown rule(s) {', '.join(map(str, unknown))}")
    if kind == "auto-fail item" and not _list(entry.get("rules")):
        problems.append(f"auto-fail item {ident!r} names no rule")
    if kind != "item":
        return problems, 0
    weight = entry.get("weight")
    if not isinstance(weight, int) or isinstance(weight, bool) or weight <= 0:
        return problems + [f"item {ident!r} needs a whole-number weight above 0 (it has {weight!r})"], 0
    return problems, weight


def check(data: Any) -> list[str]:
    """The problems of one scorecard's parsed YAML, in plain words ([] when it is sound)."""
    if not isinstance(data, dict):
        return ["the file is not a scorecard (expected id, title, sections and auto_fail)"]
    problems = [f"it has no {key}" for key in ("id", "title") if not str(data.get(key) or "").strip()]
    sections = _list(data.get("sections"))
    entries = [("section", s) for s in sections]
    entries += [("item", i) for s in sections if isinstance(s, dict) for i in _list(s.get("items"))]
    entries += [("auto-fail item", a) for a in _list(data.get("auto_fail"))]
    if not any(kind == "item" for kind, _ in entries):
        problems.append("it has no scored items")
    seen: set[str] = set()
    total = 0
    for kind, entry in entries:
        found, weight = _check_entry(kind, entry, seen)
        problems += found
        total += weight
    if total != TOTAL and not any("weight" in p for p in problems):
        problems.append(f"the item weights add up to {total}, not {TOTAL}")
    return problems


def _scorecard(data: dict) -> Scorecard:
    sections = tuple(
        (
            str(s.get("title") or s["id"]),
            tuple(
                Item(i["id"], str(i.get("text", "")), i["weight"], s["id"], tuple(i.get("rules") or ()))
                for i in s["items"]
            ),
        )
        for s in data["sections"]
    )
    fails = tuple(AutoFail(a["id"], str(a.get("text", "")), tuple(a["rules"])) for a in _list(data.get("auto_fail")))
    return Scorecard(str(data["id"]), str(data["title"]), sections, fails)


@lru_cache(maxsize=8)
def _parse(path: str, stamp: tuple) -> tuple[Scorecard | None, tuple[str, ...]]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return None, (f"it cannot be read as YAML ({exc.__class__.__name__})",)
    problems = check(data)
    return (None, tuple(problems)) if problems else (_scorecard(data), ())


def load_scorecards(seed_dir: str) -> tuple[dict[str, Scorecard], dict[str, list[str]]]:
    """The sound scorecards by id, and each unsound file's problems by file name."""
    good: dict[str, Scorecard] = {}
    bad: dict[str, list[str]] = {}
    for path in sorted(Path(seed_dir, "scorecards").glob("*.yaml")):
        card, problems = _parse(str(path), file_stamp(path))
        if card is None:
            bad[path.name] = list(problems)
        elif card.id in good:
            bad[path.name] = [f"the scorecard id {card.id!r} is already used by another file"]
        else:
            good[card.id] = card
    return good, bad
