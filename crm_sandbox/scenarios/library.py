"""The scenario library: every ``seed/scenarios/*.yaml`` file, validated.

A malformed file does not stop the app: it is listed with its validation error and cannot be used.
The schema is described in ``seed/scenarios/README.md``.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from crm_sandbox.compliance.document import DATA_CATEGORIES, RELATIONSHIPS  # one vocabulary with the export
from crm_sandbox.content.criteria import AREAS
from crm_sandbox.policy import IDV_FACTORS

CHANNELS = ("chat", "email", "phone")
KNOWLEDGE = ("correct", "wrong", "unknown")
REQUIRED = ("id", "title", "channel", "reason", "purpose", "caller", "covers")

Scenario = dict  # a validated scenario document, as loaded from YAML


@dataclass(frozen=True)
class ScenarioFile:
    path: Path
    id: str
    scenario: Scenario | None  # None when the file is invalid
    error: str | None = None

    @property
    def valid(self) -> bool:
        return self.error is None


def validate_scenario(data: Any, stem: str) -> list[str]:
    """Plain-language problems with one scenario document; empty when it is valid."""
    if not isinstance(data, dict):
        return ["the file must hold a mapping of scenario fields"]
    errors = [f"missing '{key}'" for key in REQUIRED if key not in data]
    if data.get("id") not in (None, stem):
        errors.append(f"id '{data.get('id')}' does not match the file name '{stem}'")
    if "channel" in data and data["channel"] not in CHANNELS:
        errors.append(f"channel must be one of {', '.join(CHANNELS)}")
    needed = data.get("needed_data", [])
    if not isinstance(needed, list) or any(n not in DATA_CATEGORIES for n in needed):
        errors.append(f"needed_data must list categories from: {', '.join(DATA_CATEGORIES)}")
    covers = data.get("covers", [])
    if not isinstance(covers, list) or any(not isinstance(a, str) or a not in AREAS for a in covers):
        errors.append(f"covers must list observation areas from: {', '.join(AREAS)}")
    elif "covers" in data and not covers:
        errors.append("covers must name at least one observation area")
    elif len(set(covers)) != len(covers):
        errors.append("covers names an observation area twice")
    caller = data.get("caller")
    if "caller" in data and not isinstance(caller, dict):
        errors.append("caller must be a mapping")
    elif isinstance(caller, dict):
        errors += _caller_problems(caller)
    return errors


def _caller_problems(caller: dict[str, Any]) -> list[str]:
    """Plain-language problems with a scenario's ``caller`` mapping."""
    errors = []
    if caller.get("relationship") not in RELATIONSHIPS:
        errors.append(f"caller.relationship must be one of {', '.join(RELATIONSHIPS)}")
    knows = caller.get("knows", {})
    if not isinstance(knows, dict):
        errors.append("caller.knows must map ID&V factors to correct, wrong or unknown")
    else:
        for factor, value in knows.items():
            if factor not in IDV_FACTORS:
                errors.append(f"caller.knows: unknown factor '{factor}'")
            elif value not in KNOWLEDGE:
                errors.append(f"caller.knows.{factor} must be correct, wrong or unknown")
    if not isinstance(caller.get("opening", ""), str) or not caller.get("opening"):
        errors.append("caller.opening (the caller's first words) is required")
    return errors


def load_file(path: Path) -> ScenarioFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        return ScenarioFile(path, path.stem, None, f"not valid YAML: {err}".splitlines()[0])
    errors = validate_scenario(data, path.stem)
    if errors:
        return ScenarioFile(path, path.stem, None, "; ".join(errors))
    data.setdefault("needed_data", [])
    data.setdefault("requires_escalation", False)
    data["caller"].setdefault("authorised", data["caller"]["relationship"] == "account_holder")
    data["caller"].setdefault("knows", {})
    data["caller"].setdefault("name", "holder")
    return ScenarioFile(path, path.stem, data)


def load_library(seed_dir: str) -> list[ScenarioFile]:
    """Every scenario file, sorted by its ``order`` then id, valid or not."""
    files = [load_file(p) for p in sorted(Path(seed_dir, "scenarios").glob("*.yaml"))]
    return sorted(files, key=lambda f: ((f.scenario or {}).get("order", 999), f.id))
