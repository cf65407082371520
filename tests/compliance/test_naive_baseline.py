"""The naive baseline (bench/naive_rules.py) gives exactly the engine's findings on every corpus session
that is not sealed; bench_rules.py times the engine against it. (Played scenarios: the same check in
tests/test_scenario_playthrough.py.)"""

from pathlib import Path

import pytest
import yaml
from corpus_builder import build

from bench import naive_rules
from crm_sandbox.compliance import evaluate

HERE = Path(__file__).parent
# Not corpus_holdout2/3: sealed sets scored once by their own script.
CORPORA = ("corpus.yaml", "corpus_talk.yaml", "corpus_holdout.yaml")


def _items(name: str) -> list[dict]:
    return yaml.safe_load((HERE / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", CORPORA)
def test_naive_equals_engine_on_every_corpus_session(name):
    items = _items(name)
    assert len(items) > 50
    for item in items:
        doc = build(item)
        assert naive_rules.evaluate(doc) == evaluate(doc), item["id"]


def test_the_corpora_fire_every_rule_so_each_naive_rule_is_compared():
    rules = {f.rule for name in CORPORA for item in _items(name) for f in evaluate(build(item))}
    assert rules == {r.__name__.replace("_", "-") for r in naive_rules.RULES}


def test_naive_equals_engine_on_the_benchmark_session():
    from bench import bench_rules

    doc = bench_rules.generate(500)
    found = evaluate(doc)
    assert len(found) > 20 and naive_rules.evaluate(doc) == found


def test_a_naive_rule_that_breaks_is_caught(monkeypatch):
    """The comparison is honest: a baseline rule that misses a finding no longer equals the engine."""
    item = next(i for i in _items("corpus.yaml") if i["id"].startswith("cbv"))
    doc = build(item)
    assert naive_rules.evaluate(doc) == evaluate(doc) != []
    monkeypatch.setattr(
        naive_rules, "RULES", tuple(r for r in naive_rules.RULES if r.__name__ != "change_before_verification")
    )
    assert naive_rules.evaluate(doc) != evaluate(doc)
