"""The labelled corpus: size, coverage both ways per rule, and accuracy on the right messages."""

from corpus_builder import build_with_index
from score_corpus import (
    MIN_CLEAN,
    MIN_EXCERPTS,
    MIN_LOOKALIKES_PER_RULE,
    MIN_POSITIVES_PER_RULE,
    MIN_PRECISION,
    MIN_RECALL,
    MIN_RULE_RECALL,
    coverage,
    labels,
    load_corpus,
    ratio,
    score,
)

from crm_sandbox.compliance import RULES, parse_session


def test_corpus_loads_and_every_label_points_at_an_event():
    items = load_corpus()
    assert len({i["id"] for i in items}) == len(items)
    for item in items:
        document, index = build_with_index(item)
        parse_session(document)
        assert sorted(index) == list(range(len(item["events"])))
        for _rule, at in labels(item):
            assert at is None or all(0 <= i < len(item["events"]) for i in at), item["id"]


def test_corpus_size_and_coverage_both_ways():
    items = load_corpus()
    assert len(items) >= MIN_EXCERPTS
    assert sum(1 for i in items if not i["expect"]) >= MIN_CLEAN
    for rule, (positives, lookalikes) in coverage(items).items():
        assert positives >= MIN_POSITIVES_PER_RULE, f"{rule}: {positives} positives"
        assert lookalikes >= MIN_LOOKALIKES_PER_RULE, f"{rule}: {lookalikes} clean look-alikes"
    assert set(coverage(items)) == set(RULES)


def test_corpus_precision_and_recall():
    counts, errors = score(load_corpus())
    tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
    assert ratio(tp, tp + fp) >= MIN_PRECISION, errors
    assert ratio(tp, tp + fn) >= MIN_RECALL, errors
    for rule, (rtp, _rfp, rfn) in counts.items():
        assert ratio(rtp, rtp + rfn) >= MIN_RULE_RECALL, (rule, errors)
