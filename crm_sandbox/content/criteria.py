"""The qualification's assessment criteria (``seed/criteria.yaml``)."""
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Criterion:
    id: str
    code: str
    title: str
    description: str
    units: tuple[str, ...]
    event_types: tuple[str, ...]  # events that evidence it
    rules: tuple[str, ...]  # rules whose findings count against it


def load_criteria(seed_dir: str) -> list[Criterion]:
    data = yaml.safe_load(Path(seed_dir, "criteria.yaml").read_text(encoding="utf-8"))
    return [Criterion(c["id"], c["code"], c["title"], c.get("description", ""), tuple(c.get("units", [])),
                      tuple(c.get("evidence", {}).get("events", [])), tuple(c.get("evidence", {}).get("rules", [])))
            for c in data]
