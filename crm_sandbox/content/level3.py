"""The seed data of Level 3 work (``seed/level3/``): example contacts with planted flaws, the synthetic
team history with its planted causes, and the complaints for the root-cause task."""

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from crm_sandbox.content import file_stamp


@lru_cache(maxsize=8)
def _parse(path: str, stamp: tuple) -> Any:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def _load(seed_dir: str, name: str) -> Any:
    path = Path(seed_dir, "level3", name)
    return _parse(str(path), file_stamp(path))


def load_samples(seed_dir: str) -> dict[str, dict]:
    """Example contacts by id: title, agent pseudonym, scorecard, planted flaws, reference scoring, session."""
    return {s["id"]: s for s in _load(seed_dir, "samples.yaml")}


def load_team(seed_dir: str) -> dict:
    """The synthetic team: measures, default targets, baseline, wobble, agents, planted causes, contacts."""
    team: dict = _load(seed_dir, "team.yaml")
    return team


def load_complaints(seed_dir: str) -> list[dict]:
    """The seeded complaints: ref, channel, summary, and the planted cause (for the assessor)."""
    return list(_load(seed_dir, "complaints.yaml"))
