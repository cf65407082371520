"""Score the rules engine on the labelled corpus: precision and recall per rule and overall.

Run: .venv/bin/python tests/compliance/score_corpus.py   (exit status 1 if overall < 0.95)
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]

from corpus_builder import build  # noqa: E402

from crm_sandbox.compliance import RULES, evaluate  # noqa: E402

CORPUS = HERE / "corpus.yaml"


def load_corpus() -> list[dict]:
    return yaml.safe_load(CORPUS.read_text(encoding="utf-8"))


def score(items: list[dict]) -> tuple[dict[str, list[int]], list[str]]:
    """Per rule [TP, FP, FN] counted per (item, rule) presence, and a line per wrong item."""
    counts = {rule: [0, 0, 0] for rule in RULES}
    errors = []
    for item in items:
        expected = set(item["expect"])
        unknown = expected - set(RULES)
        if unknown:
            raise ValueError(f"{item['id']}: unknown rule ids {sorted(unknown)}")
        found = {f.rule for f in evaluate(build(item))}
        for rule in RULES:
            c = counts[rule]
            if rule in found and rule in expected:
                c[0] += 1
            elif rule in found:
                c[1] += 1
            elif rule in expected:
                c[2] += 1
        if found != expected:
            errors.append(f"{item['id']}: extra {sorted(found - expected)} missing {sorted(expected - found)}")
    return counts, errors


def ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def table(counts: dict[str, list[int]]) -> tuple[str, float, float]:
    lines = [f"{'rule':32} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>8}"]
    for rule, (tp, fp, fn) in counts.items():
        lines.append(f"{rule:32} {tp:4} {fp:4} {fn:4} {ratio(tp, tp + fp):10.3f} {ratio(tp, tp + fn):8.3f}")
    tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    lines.append(f"{'overall':32} {tp:4} {fp:4} {fn:4} {precision:10.3f} {recall:8.3f}")
    return "\n".join(lines), precision, recall


def main() -> int:
    items = load_corpus()
    counts, errors = score(items)
    text, precision, recall = table(counts)
    positives = sum(1 for i in items if i["expect"])
    print(f"corpus: {len(items)} excerpts ({positives} with findings, {len(items) - positives} clean)\n")
    print(text)
    if errors:
        print("\nmismatches:\n  " + "\n  ".join(errors))
    return 0 if precision >= 0.95 and recall >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
