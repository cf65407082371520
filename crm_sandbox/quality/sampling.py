"""The risk-based sampling plan: which signed-off reviews the IQA samples, and its coverage against targets.

Pure: candidates (plain data about each signed-off review) and the centre's policy (``seed/sampling.yaml``)
in, a plan out. The plan follows the usual practice: every assessor sampled, trainee and new assessors at
higher rates, every scenario, unit and outcome covered, and every review where the assessor overrode an
unmet criterion (or a confirmed high-severity finding) or dismissed a high-severity finding included.
Reviews the IQA made or countersigned are never candidates (the caller leaves them out).
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

RISKS = ("trainee", "new", "established")
PRIORITY = {"override": "competent despite an unmet criterion or a confirmed high-severity finding",
            "dismissed_high": "a high-severity finding dismissed"}  # fmt: skip


class PolicyError(ValueError):
    """The sampling policy is not what the sandbox can follow (the message says what to fix)."""


@dataclass(frozen=True)
class Policy:
    rates: Mapping[str, float]
    new_months: int = 12
    minimum_per_assessor: int = 1
    always: tuple[str, ...] = ("override", "dismissed_high")
    cover: tuple[str, ...] = ("scenario", "unit", "outcome")


def read_policy(raw: Mapping[str, Any]) -> Policy:
    """The policy from its YAML mapping; PolicyError when a rate, a priority or a coverage is unknown."""
    rates = raw.get("rates") or {}
    if set(rates) != set(RISKS) or not all(isinstance(r, (int, float)) and 0 <= r <= 1 for r in rates.values()):
        raise PolicyError(f"rates: give a share from 0 to 1 for each of {', '.join(RISKS)}")
    always = tuple(raw.get("always", Policy.always) or ())  # absent: the usual practice; [] : none
    if not set(always) <= set(PRIORITY):
        raise PolicyError(f"always: choose from {', '.join(PRIORITY)}")
    cover = tuple(raw.get("cover", Policy.cover) or ())
    if not set(cover) <= {"scenario", "unit", "outcome"}:
        raise PolicyError("cover: choose from scenario, unit, outcome")
    return Policy(
        {k: float(v) for k, v in rates.items()},
        int(raw.get("new_months", 12)),
        int(raw.get("minimum_per_assessor", 1)),
        always,
        cover,
    )


@dataclass(frozen=True)
class Candidate:
    """One signed-off review the IQA may sample (its standing version)."""

    contact_id: int
    assessor: str  # the assessor's username
    risk: str  # one of RISKS
    scenario: str
    units: frozenset[str]
    outcome: str
    override: bool = False
    dismissed_high: bool = False
    sampled: bool = False  # the IQA has already recorded a verdict on this version


@dataclass
class Target:
    """One coverage target of the plan: what, how many planned and how many already sampled."""

    kind: str  # "assessor", "scenario", "unit", "outcome", "priority"
    name: str
    wanted: int
    planned: int = 0
    sampled: int = 0

    @property
    def met(self) -> bool:
        return self.sampled >= self.wanted


@dataclass
class Plan:
    selected: list[Candidate] = field(default_factory=list)
    reasons: dict[int, list[str]] = field(default_factory=dict)  # contact id -> why it is in the sample
    targets: list[Target] = field(default_factory=list)

    def add(self, candidate: Candidate, reason: str) -> None:
        if candidate.contact_id not in self.reasons:
            self.selected.append(candidate)
            self.reasons[candidate.contact_id] = []
        if reason not in self.reasons[candidate.contact_id]:
            self.reasons[candidate.contact_id].append(reason)

    def has(self, candidate: Candidate) -> bool:
        return candidate.contact_id in self.reasons


def _values(candidate: Candidate, kind: str) -> Iterable[str]:
    if kind == "unit":
        return candidate.units
    return [getattr(candidate, kind)]


def sampling_plan(candidates: Iterable[Candidate], policy: Policy) -> Plan:
    """The sample: reviews already sampled, the priority reviews, each assessor's share (at least the
    minimum), then one more review for each scenario, unit and outcome not yet covered."""
    pool = sorted(candidates, key=lambda c: (not c.sampled, c.contact_id))  # sampled ones first, then oldest
    plan = Plan()
    _priority(pool, plan, policy)
    wanted = _assessor_shares(pool, plan, policy)
    _coverage(pool, plan, policy)
    for name, count in wanted.items():  # the targets, counted once the plan is complete
        plan.targets.append(_target("assessor", name, count, [c for c in pool if c.assessor == name], plan))
    for kind in policy.cover:
        for value in sorted({v for c in pool for v in _values(c, kind)}):
            plan.targets.append(_target(kind, value, 1, [c for c in pool if value in _values(c, kind)], plan))
    for flag in policy.always:
        flagged = [c for c in pool if getattr(c, flag)]
        if flagged:
            plan.targets.append(_target("priority", PRIORITY[flag], len(flagged), flagged, plan))
    return plan


def _priority(pool: list[Candidate], plan: Plan, policy: Policy) -> None:
    for c in pool:
        if c.sampled:
            plan.add(c, "already sampled")
        for flag in policy.always:
            if getattr(c, flag):
                plan.add(c, PRIORITY[flag])


def _assessor_shares(pool: list[Candidate], plan: Plan, policy: Policy) -> dict[str, int]:
    """Each assessor's share by their risk (at least the minimum); returns how many each should have."""
    wanted: dict[str, int] = {}
    for name in sorted({c.assessor for c in pool}):
        theirs = [c for c in pool if c.assessor == name]
        risk = theirs[0].risk
        share = math.ceil(policy.rates[risk] * len(theirs))
        wanted[name] = min(len(theirs), max(policy.minimum_per_assessor, share))
        chosen = sum(plan.has(c) for c in theirs)
        for c in _by_novelty(theirs, plan, policy)[: max(0, wanted[name] - chosen)]:
            plan.add(c, f"{name}'s share ({risk} assessor)")
    return wanted


def _coverage(pool: list[Candidate], plan: Plan, policy: Policy) -> None:
    for kind in policy.cover:
        for value in sorted({v for c in pool for v in _values(c, kind)}):
            having = [c for c in pool if value in _values(c, kind)]
            if not any(plan.has(c) for c in having):
                plan.add(having[0], f"covers {kind} {value}")


def _by_novelty(theirs: list[Candidate], plan: Plan, policy: Policy) -> list[Candidate]:
    """An assessor's unsampled reviews, those adding a scenario, unit or outcome the plan lacks first."""
    covered = {(k, v) for c in plan.selected for k in policy.cover for v in _values(c, k)}

    def novelty(c: Candidate) -> int:
        return -sum((k, v) not in covered for k in policy.cover for v in _values(c, k))

    return sorted((c for c in theirs if not plan.has(c)), key=lambda c: (novelty(c), c.contact_id))


def _target(kind: str, name: str, wanted: int, having: list[Candidate], plan: Plan) -> Target:
    target = Target(kind, name, wanted)
    target.planned = sum(plan.has(c) for c in having)
    target.sampled = sum(c.sampled for c in having)
    return target
