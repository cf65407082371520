"""Score the rules engine on the labelled corpus: the right rule on the right message(s).

Run: .venv/bin/python tests/compliance/score_corpus.py   (exit status 1 below the thresholds)
     .venv/bin/python tests/compliance/score_corpus.py --file corpus_holdout.yaml   (that file only)

A label is a plain rule id (contact-level: any finding of that rule is a hit) or ``{rule: ID, at: [i, ...]}``
(0-based indexes into the excerpt's ``events``): a true positive when a finding of that rule has an
evidencing seq among the labelled events, a false negative otherwise. A finding of a rule that is not
labelled, or of a rule labelled only at other events, is a false positive (one per finding).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]

from corpus_builder import build_with_index  # noqa: E402

from crm_sandbox.compliance import RULES, evaluate  # noqa: E402

# ---- thresholds (issue 17): the one place they are set
MIN_EXCERPTS = 300
MIN_CLEAN = 100
MIN_POSITIVES_PER_RULE = 8
MIN_LOOKALIKES_PER_RULE = 5
MIN_PRECISION = 0.97
MIN_RECALL = 0.95
MIN_RULE_RECALL = 0.85

CORPORA = (HERE / "corpus.yaml", HERE / "corpus_talk.yaml")
# Excerpts of the first file carry no `looks_like`: their id prefix says which rule they are written about.
PREFIX_RULE = {
    "dbv": "disclosure-before-verification",
    "lvq": "leading-verification-question",
    "dtp": "disclosure-to-third-party",
    "cbv": "change-before-verification",
    "oc": "over-collection",
    "pcd": "payment-card-data",
    "scd": "special-category-data",
    "vli": "verification-lockout-ignored",
    "rac": "record-access-without-contact",
    "ll": "late-log",
    "ml": "missing-log",
    "ba": "beyond-authority",
    "me": "missed-escalation",
    "ut": "unpersonalised-template",
    "ho": "handover-oversharing",
    "ew": "ended-without-warning",
    "prp": "public-reply-personal-data",
    "gnc": "guidance-not-checked",
}

Label = tuple[str, frozenset[int] | None]


def load_corpus(paths: tuple[Path, ...] = CORPORA) -> list[dict]:
    """Every excerpt of the files (both default files unless told), ids unique across them."""
    items: list[dict] = []
    for path in paths:
        items.extend(yaml.safe_load(path.read_text(encoding="utf-8")))
    return items


def labels(item: dict) -> list[Label]:
    """The excerpt's labels as (rule, event indexes or None for contact-level)."""
    out: list[Label] = []
    for entry in item["expect"]:
        if isinstance(entry, str):
            out.append((entry, None))
        else:
            at = entry["at"]
            if not at or any(not isinstance(i, int) or not 0 <= i < len(item["events"]) for i in at):
                raise ValueError(f"{item['id']}: bad `at` {at!r} for {entry['rule']}")
            out.append((entry["rule"], frozenset(at)))
    unknown = {rule for rule, _ in out} - set(RULES)
    if unknown:
        raise ValueError(f"{item['id']}: unknown rule ids {sorted(unknown)}")
    return out


def expected_rules(item: dict) -> set[str]:
    return {rule for rule, _ in labels(item)}


def lookalikes(item: dict) -> set[str]:
    """The rules a clean-for-them excerpt was written to look like."""
    named = set(item.get("looks_like", []))
    if not named and not item["expect"]:
        prefix = item["id"].split("-", 1)[0]
        named = {PREFIX_RULE[prefix]} if prefix in PREFIX_RULE else set()
    return named - expected_rules(item)


def score_item(item: dict) -> tuple[list[tuple[str, str]], list[str]]:
    """Outcomes [(rule, 'tp'|'fp'|'fn')] for one excerpt, and a line per mismatch."""
    document, index = build_with_index(item)
    back = {seq: i for i, seq in index.items()}
    findings = evaluate(document)
    outcomes, errors, matched = [], [], set()
    plain = {rule for rule, at in labels(item) if at is None}
    for rule, at in labels(item):
        seqs = None if at is None else {index[i] for i in at}
        hits = [n for n, f in enumerate(findings) if f.rule == rule and (seqs is None or seqs & set(f.events))]
        matched.update(hits)
        outcomes.append((rule, "tp" if hits else "fn"))
        if not hits:
            errors.append(f"{item['id']}: missed {rule}" + ("" if at is None else f" at {sorted(at)}"))
    for n, f in enumerate(findings):
        if n not in matched and f.rule not in plain:
            outcomes.append((f.rule, "fp"))
            where = [back.get(seq, f"seq {seq}") for seq in f.events]
            errors.append(f"{item['id']}: extra {f.rule} at {where} ({f.evidence!r})")
    return outcomes, errors


def score(items: list[dict]) -> tuple[dict[str, list[int]], list[str]]:
    """Per rule [TP, FP, FN] over all excerpts, and a line per mismatch."""
    counts = {rule: [0, 0, 0] for rule in RULES}
    errors: list[str] = []
    slot = {"tp": 0, "fp": 1, "fn": 2}
    for item in items:
        outcomes, item_errors = score_item(item)
        for rule, kind in outcomes:
            counts[rule][slot[kind]] += 1
        errors.extend(item_errors)
    return counts, errors


def coverage(items: list[dict]) -> dict[str, tuple[int, int]]:
    """Per rule: excerpts expecting it, and clean look-alikes for it."""
    return {
        rule: (
            sum(rule in expected_rules(i) for i in items),
            sum(rule in lookalikes(i) for i in items),
        )
        for rule in RULES
    }


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


def meets_thresholds(counts: dict[str, list[int]]) -> bool:
    tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
    rules_ok = all(ratio(c[0], c[0] + c[2]) >= MIN_RULE_RECALL for c in counts.values())
    return ratio(tp, tp + fp) >= MIN_PRECISION and ratio(tp, tp + fn) >= MIN_RECALL and rules_ok


def corpus_path(name: str) -> Path:
    """A corpus file named on the command line: as given, else beside this script."""
    path = Path(name)
    return path if path.is_file() else HERE / name


def main(argv: list[str] | None = None) -> int:
    """Score and print; ``argv`` are the command-line options (none: the default files)."""
    parser = argparse.ArgumentParser(description="Score the rules engine on the labelled corpus.")
    parser.add_argument("--file", metavar="NAME", help="score only this corpus file (default: the usual set)")
    args = parser.parse_args(argv or [])
    paths: tuple[Path, ...] = CORPORA
    if args.file:
        paths = (corpus_path(args.file),)
        if not paths[0].is_file():
            parser.error(f"no corpus file {args.file!r}")
        print(f"file: {paths[0].name}")
    items = load_corpus(paths)
    counts, errors = score(items)
    text, _, _ = table(counts)
    clean = sum(1 for i in items if not i["expect"])
    print(f"corpus: {len(items)} excerpts ({len(items) - clean} with findings, {clean} clean)\n")
    print(f"{'rule':32} {'positives':>9} {'look-alikes':>11}")
    for rule, (pos, neg) in coverage(items).items():
        print(f"{rule:32} {pos:9} {neg:11}")
    print()
    print(text)
    if errors:
        print("\nmismatches:\n  " + "\n  ".join(errors))
    return 0 if meets_thresholds(counts) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
