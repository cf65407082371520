"""docs/criteria-coverage.md maps every assessment criterion (24) and common mistake (35) of the seed units,
once each, to what makes it assessable here, and its counts are its tables' own. Pure: no app."""

import re
from pathlib import Path

from crm_sandbox.content.criteria import load_criteria
from tests.test_criteria_sources import UNITS, bullets, normalised

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "criteria-coverage.md").read_text(encoding="utf-8")
LEVELS = ("fully", "partly", "questioning")


def rows(prefix: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in DOC.splitlines()
        if re.match(rf"\| {prefix}\d+ \|", line)
    ]


def seed_bullets(heading: str) -> list[str]:
    return [b for p in sorted(UNITS.glob("*.txt")) for b in bullets(p.read_text(encoding="utf-8"), heading)]


def level(cell: str) -> str:
    return cell.split()[0]


def counts(label: str) -> list[int]:
    line = next(line for line in DOC.splitlines() if line.startswith(f"| {label} |"))
    return [int(c) for c in line.strip("|").split("|")[1:]]


def test_every_assessment_criterion_is_mapped_once_with_its_sandbox_criterion():
    table = rows("C")
    quoted = [normalised(r[2]) for r in table]
    assert sorted(quoted) == sorted(seed_bullets("Assessment Criteria")) and len(quoted) == 24
    by_text = {normalised(c.source.text): c for c in load_criteria(str(ROOT / "seed"))}
    for r in table:
        criterion = by_text[normalised(r[2])]  # every one is a criterion of seed/criteria.yaml
        assert r[3] == f"{criterion.id} ({criterion.code})", r[0]
        assert level(r[5]) in LEVELS, r[0]
        if criterion.method == "questioning":
            assert level(r[5]) == "questioning", r[0]


def test_every_common_mistake_is_mapped_once():
    table = rows("M")
    mistakes = seed_bullets("Common Mistakes")
    assert len(table) == len(mistakes) == 35
    matched = [next(m for m in mistakes if m.startswith(normalised(r[2]))) for r in table]
    assert sorted(matched) == sorted(mistakes)  # each mistake once
    assert all(level(r[4]) in LEVELS for r in table)


def test_the_counts_are_the_tables_own_and_nothing_is_left_unassessable():
    for label, prefix, column, total in (("assessment criteria", "C", 5, 24), ("common mistakes", "M", 4, 35)):
        found = [sum(level(r[column]) == lv for r in rows(prefix)) for lv in LEVELS]
        assert counts(label) == [*found, 0, total], label
