"""The qualifications (``seed/qualifications.yaml``) and their assessment criteria (``seed/criteria.yaml``).

Each criterion quotes its source word for word (seed unit file, qualification, unit, learning outcome or
assessment criterion); the awarding body's unit reference and criterion number are left empty for a
centre to fill in. A criterion belongs to every qualification whose units include its source file.
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from crm_sandbox.compliance.relevance import EVIDENCE_KINDS
from crm_sandbox.content import file_stamp

# The observation areas a scenario's ``covers:`` may name (each criterion belongs to one).
AREAS = (
    "verification",
    "logging",
    "templates",
    "escalation",
    "written",
    "need",
    "resolution",
    "complaints",
    "recording",
    "knowledge",
    "style",
    "referral",
    "quality-review",
    "performance",
    "understanding",
)
AREA_LABELS = {
    "verification": "identification and verification",
    "logging": "logging the contact",
    "templates": "pre-written responses",
    "escalation": "escalation",
    "written": "written communication",
    "need": "identifying the need",
    "resolution": "confirming resolution",
    "complaints": "complaint handling",
    "recording": "compliant recording",
    "knowledge": "system and knowledge use",
    "style": "communication style",
    "referral": "referred customers",
    "quality-review": "reviewing others' contacts (Level 3 task)",
    "performance": "monitoring team performance (Level 3 task)",
    "understanding": "knowledge (questioning or professional discussion)",
}
# How a criterion is made assessable: observing the learner's own contact, a Level 3 task, or questioning
# and professional discussion the assessor records.
METHODS = ("observation", "task", "questioning")
# The Level 3 work that produces evidence (crm_sandbox/operations/level3/), by the name criteria use.
TASK_KINDS = {
    "quality_review": "Quality review of contacts",
    "performance": "Performance monitoring",
    "root_cause": "Complaint root-cause analysis",
    "discussion": "Questioning and professional discussion",
}


@dataclass(frozen=True)
class Source:
    """Where a criterion comes from, quoted word for word from the seed unit file."""

    file: str  # the unit file in seed/units/
    qualifications: tuple[str, ...]  # the qualification titles the file names
    unit: str  # the unit title
    kind: str  # "assessment criterion" or "learning outcome"
    text: str


@dataclass(frozen=True)
class Unit:
    seed: str  # the unit file in seed/units/
    title: str
    unit_ref: str  # the awarding body's reference: empty until a centre fills it in


@dataclass(frozen=True)
class Qualification:
    id: str  # the sandbox's own short name, stored on cohorts and learners
    title: str
    awarding_body: str
    level: int
    qualification_number: str  # empty until a centre fills it in
    units: tuple[Unit, ...]

    def unit_of(self, seed_file: str) -> Unit | None:
        return next((u for u in self.units if u.seed == seed_file), None)


@dataclass(frozen=True)
class Criterion:
    id: str
    code: str  # the sandbox's own display code, unique within a qualification
    title: str  # the sandbox's short paraphrase; ``source.text`` is what is judged
    description: str
    area: str  # the observation area a scenario ``covers``
    evidence: tuple[str, ...]  # evidence kinds linked to it (compliance/relevance.py)
    rules: tuple[str, ...]  # rules whose findings count against it
    source: Source
    unit_ref: str  # the awarding body's unit reference: empty until a centre fills it in
    criterion_number: str  # the awarding body's criterion number: empty until a centre fills it in
    method: str = "observation"  # a key of METHODS
    tasks: tuple[str, ...] = ()  # the Level 3 work (TASK_KINDS) whose evidence counts towards it

    @property
    def unit(self) -> str:
        return self.source.unit

    @property
    def units(self) -> tuple[str, ...]:
        return (self.source.unit,)


@dataclass(frozen=True)
class Qualifications:
    default: str
    all: tuple[Qualification, ...]

    def get(self, qualification_id: str | None) -> Qualification | None:
        return next((q for q in self.all if q.id == qualification_id), None)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.all)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _criterion(c: dict[str, Any]) -> Criterion:
    src = c["source"]
    criterion = Criterion(
        id=c["id"],
        code=c["code"],
        title=c["title"],
        description=" ".join(_text(c.get("description")).split()),
        area=c["area"],
        evidence=tuple(c.get("evidence", [])),
        rules=tuple(c.get("rules", [])),
        source=Source(src["file"], tuple(src["qualifications"]), src["unit"], src["kind"], src["text"]),
        unit_ref=_text(c.get("unit_ref")),
        criterion_number=_text(c.get("criterion_number")),
        method=c.get("method", "observation"),
        tasks=tuple(c.get("tasks", [])),
    )
    if criterion.method not in METHODS:
        raise ValueError(f"criterion {criterion.id}: unknown method {criterion.method!r}")
    if any(t not in TASK_KINDS for t in criterion.tasks):
        raise ValueError(f"criterion {criterion.id}: unknown task(s) in {', '.join(criterion.tasks)}")
    if criterion.area not in AREAS:
        raise ValueError(f"criterion {criterion.id}: unknown area {criterion.area!r}")
    unknown = [k for k in criterion.evidence if k not in EVIDENCE_KINDS]
    if unknown:
        raise ValueError(f"criterion {criterion.id}: unknown evidence kind(s) {', '.join(unknown)}")
    return criterion


@lru_cache(maxsize=4)
def _parse_criteria(path: str, stamp: tuple) -> tuple[Criterion, ...]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return tuple(_criterion(c) for c in data)


@lru_cache(maxsize=4)
def _parse_qualifications(path: str, stamp: tuple) -> Qualifications:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    quals = tuple(
        Qualification(
            id=q["id"],
            title=q["title"],
            awarding_body=q.get("awarding_body", ""),
            level=int(q.get("level", 0)),
            qualification_number=_text(q.get("qualification_number")),
            units=tuple(Unit(u["seed"], u["title"], _text(u.get("unit_ref"))) for u in q.get("units", [])),
        )
        for q in data["qualifications"]
    )
    if data.get("default") not in {q.id for q in quals}:
        raise ValueError(f"qualifications.yaml: the default {data.get('default')!r} is not a listed qualification")
    return Qualifications(data["default"], quals)


def load_criteria(seed_dir: str) -> list[Criterion]:
    """Every criterion of every qualification, parsed once until the file changes."""
    path = Path(seed_dir, "criteria.yaml")
    return list(_parse_criteria(str(path), file_stamp(path)))


def load_qualifications(seed_dir: str) -> Qualifications:
    """The qualifications a learner can be registered on, and the default for a new cohort."""
    path = Path(seed_dir, "qualifications.yaml")
    return _parse_qualifications(str(path), file_stamp(path))


def criteria_for(seed_dir: str, qualification: Qualification) -> list[Criterion]:
    """The qualification's criteria, by unit (in the qualification's order), then as listed."""
    order = {u.seed: i for i, u in enumerate(qualification.units)}
    mine = [
        c for c in load_criteria(seed_dir) if c.source.file in order and qualification.title in c.source.qualifications
    ]
    return sorted(mine, key=lambda c: order[c.source.file])  # stable: file order within a unit
