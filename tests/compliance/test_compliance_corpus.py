"""The labelled corpus: size, coverage, and overall precision and recall of at least 0.95."""

from score_corpus import load_corpus, ratio, score

from crm_sandbox.compliance import RULES


def test_corpus_covers_every_rule_both_ways():
    items = load_corpus()
    assert len(items) >= 100
    assert len({i["id"] for i in items}) == len(items)
    for rule in RULES:
        assert any(rule in i["expect"] for i in items), f"no positive for {rule}"
        assert sum(rule not in i["expect"] for i in items) >= 3, f"no negatives for {rule}"


def test_corpus_precision_and_recall():
    counts, errors = score(load_corpus())
    tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
    assert ratio(tp, tp + fp) >= 0.95 and ratio(tp, tp + fn) >= 0.95, errors
    for rule, (rtp, rfp, rfn) in counts.items():
        assert ratio(rtp, rtp + rfp) >= 0.9 and ratio(rtp, rtp + rfn) >= 0.9, (rule, errors)
