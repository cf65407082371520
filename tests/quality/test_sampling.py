"""The sampling plan as pure logic: rates by assessor risk, the minimum per assessor, priorities, coverage,
and the policy read from seed/sampling.yaml (bad policy refused with what to fix)."""

from pathlib import Path

import pytest
import yaml

from crm_sandbox.quality.sampling import PRIORITY, Candidate, PolicyError, read_policy, sampling_plan

SEED = Path(__file__).resolve().parents[2] / "seed" / "sampling.yaml"


def policy(**rates):
    return read_policy({"rates": {"trainee": 1.0, "new": 0.5, "established": 0.25, **rates}})


def reviews(assessor, risk, n, start, **flags):
    return [
        Candidate(start + i, assessor, risk, f"s{i % 2}", frozenset({f"u{i % 3}"}), "competent", **flags)
        for i in range(n)
    ]


def test_the_centres_policy_file_is_valid():
    found = read_policy(yaml.safe_load(SEED.read_text()))
    assert found.rates["trainee"] == 1.0 and found.rates["trainee"] >= found.rates["new"] >= found.rates["established"]


@pytest.mark.parametrize(
    "raw",
    [{}, {"rates": {"trainee": 2, "new": 0.5, "established": 0.1}}, {"rates": {"trainee": 1}}],
)
def test_a_bad_policy_is_refused(raw):
    with pytest.raises(PolicyError, match="rates"):
        read_policy(raw)


def test_rates_follow_the_assessors_risk():
    pool = reviews("t", "trainee", 4, 0) + reviews("n", "new", 4, 10) + reviews("e", "established", 8, 20)
    plan = sampling_plan(pool, policy())
    count = {name: sum(c.assessor == name for c in plan.selected) for name in "tne"}
    assert count["t"] == 4 and count["n"] >= 2 and count["e"] >= 2
    wanted = {t.name: t.wanted for t in plan.targets if t.kind == "assessor"}
    assert wanted == {"t": 4, "n": 2, "e": 2}


def test_every_assessor_gets_the_minimum_even_at_a_zero_rate():
    plan = sampling_plan(reviews("e", "established", 3, 0), policy(established=0.0))
    assert len([c for c in plan.selected if c.assessor == "e"]) >= 1


def test_priorities_are_always_in_and_coverage_adds_what_is_missing():
    pool = reviews("e", "established", 6, 0)
    pool[4] = Candidate(4, "e", "established", "rare", frozenset({"u9"}), "not_yet_competent", override=True)
    pool[5] = Candidate(5, "e", "established", "s1", frozenset({"u1"}), "competent", dismissed_high=True)
    plan = sampling_plan(pool, policy())
    assert PRIORITY["override"] in plan.reasons[4] and PRIORITY["dismissed_high"] in plan.reasons[5]
    for target in plan.targets:
        if target.kind in ("scenario", "unit", "outcome"):
            assert target.planned >= 1, target


def test_already_sampled_reviews_count_first():
    pool = reviews("e", "established", 4, 0)
    pool[3] = Candidate(3, "e", "established", "s1", frozenset({"u0"}), "competent", sampled=True)
    plan = sampling_plan(pool, policy())
    assert plan.selected[0].contact_id == 3 and "already sampled" in plan.reasons[3]
    assessor = next(t for t in plan.targets if t.kind == "assessor")
    assert assessor.sampled == 1 and assessor.met


def test_an_empty_cohort_has_an_empty_plan():
    plan = sampling_plan([], policy())
    assert plan.selected == [] and plan.targets == []
