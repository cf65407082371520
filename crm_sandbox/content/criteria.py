"""The qualification's assessment criteria (``seed/criteria.yaml``)."""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from crm_sandbox.content import file_stamp


@dataclass(frozen=True)
class Criterion:
    id: str
    code: str
    title: str
    description: str
    units: tuple[str, ...]
    event_types: tuple[str, ...]  # events that evidence it
    rules: tuple[str, ...]  # rules whose findings count against it


@lru_cache(maxsize=4)
def _parse_criteria(path: str, stamp: tuple) -> tuple[Criterion, ...]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return tuple(
        Criterion(
            c["id"],
            c["code"],
            c["title"],
            c.get("description", ""),
            tuple(c.get("units", [])),
            tuple(c.get("evidence", {}).get("events", [])),
            tuple(c.get("evidence", {}).get("rules", [])),
        )
        for c in data
    )


def load_criteria(seed_dir: str) -> list[Criterion]:
    """The criteria, parsed once until the file changes (the review page reads them on every request)."""
    path = Path(seed_dir, "criteria.yaml")
    return list(_parse_criteria(str(path), file_stamp(path)))
