"""The synthetic team's history (``seed/level3/team.yaml``) as figures, against the trainer's targets.

Each figure is the baseline, a small deterministic wobble per agent, week and measure, and the shifts of
the planted causes that apply. The team's figure for a week is the mean over the agents working then.
"""

import hashlib
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from crm_sandbox.content.level3 import load_team
from crm_sandbox.events.registry import KPI_TARGETS_SET
from crm_sandbox.extensions import db
from crm_sandbox.models import Level3Event


@dataclass(frozen=True)
class Measure:
    id: str
    label: str
    unit: str
    better: str  # "lower" or "higher"

    def off_target(self, value: float, target: float) -> bool:
        return value > target if self.better == "lower" else value < target


@dataclass(frozen=True)
class Cell:
    value: float
    target: float
    off: bool

    @property
    def shown(self) -> str:
        return f"{self.value:.2f}" if abs(self.value) < 1 else f"{self.value:.1f}"


@dataclass(frozen=True)
class Dashboard:
    measures: list[Measure]
    targets: dict[str, float]
    weeks: list[int]
    team: dict[int, dict[str, Cell]]  # week -> measure -> cell
    agents: list[tuple[str, dict[int, dict[str, Cell]]]]  # (name, week -> measure -> cell)
    contacts: list[dict]
    causes: list[dict]  # the planted causes (for the assessor)


def targets_stream(cohort_id: int) -> str:
    return f"targets:{cohort_id}"


def targets_for(cohort_id: int) -> dict[str, float]:
    """The trainer's targets for the cohort (the newest set), else the seed's defaults."""
    team = load_team(current_app.config["SEED_DIR"])
    newest = (
        db.session.execute(
            select(Level3Event)
            .where(Level3Event.stream == targets_stream(cohort_id), Level3Event.type == KPI_TARGETS_SET)
            .order_by(Level3Event.seq.desc())
        )
        .scalars()
        .first()
    )
    targets = {k: float(v) for k, v in team["default_targets"].items()}
    if newest is not None:
        targets.update({k: float(v) for k, v in newest.data["targets"].items() if k in targets})
    return targets


def _wobble(*parts: object) -> float:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return (int.from_bytes(digest[:4], "big") / 0xFFFFFFFF) * 2 - 1  # in [-1, 1]


def figure(team: dict, agent: dict, week: int, measure: str) -> float:
    value = float(team["baseline"][measure]) + _wobble(agent["id"], week, measure) * float(team["wobble"][measure])
    for cause in team["causes"]:
        if week >= cause["from_week"] and cause.get("agent") in (None, agent["id"]):
            value += float(cause["shift"].get(measure, 0))
    return round(value, 2)


def measures_of(team: dict) -> list[Measure]:
    return [Measure(m["id"], m["label"], str(m.get("unit") or ""), m["better"]) for m in team["measures"]]


def dashboard(cohort_id: int) -> Dashboard:
    team = load_team(current_app.config["SEED_DIR"])
    measures, targets = measures_of(team), targets_for(cohort_id)
    weeks = list(range(1, int(team["weeks"]) + 1))

    def cell(value: float, m: Measure) -> Cell:
        return Cell(value, targets[m.id], m.off_target(value, targets[m.id]))

    agents: list[tuple[str, dict[int, dict[str, Cell]]]] = []
    sums: dict[int, dict[str, list[float]]] = {w: {m.id: [] for m in measures} for w in weeks}
    for agent in team["agents"]:
        rows: dict[int, dict[str, Cell]] = {}
        for w in weeks:
            if w < int(agent.get("joined_week", 1)):
                continue
            rows[w] = {m.id: cell(figure(team, agent, w, m.id), m) for m in measures}
            for m in measures:
                sums[w][m.id].append(rows[w][m.id].value)
        agents.append((agent["name"], rows))
    team_rows = {w: {m.id: cell(round(sum(sums[w][m.id]) / len(sums[w][m.id]), 2), m) for m in measures} for w in weeks}
    return Dashboard(measures, targets, weeks, team_rows, agents, list(team["contacts"]), list(team["causes"]))
