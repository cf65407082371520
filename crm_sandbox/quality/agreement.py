"""How far raters agree: percentage agreement, Cohen's kappa (two raters) and Fleiss' kappa (several).

Pure: plain lists in, numbers out. A figure that cannot be computed (no items, one rater, or no variation
at all, so chance agreement is already 1) is ``None``, with the reason in ``Agreement.undefined``: never a
division by zero, never a made-up 0 or 1.

- Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and Psychological
  Measurement* 20(1), 37-46: kappa = (p_o - p_c) / (1 - p_c).
- Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. *Psychological Bulletin*
  76(5), 378-382: kappa = (P - P_e) / (1 - P_e) over subjects each rated by the same number of raters.
"""

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

ONE_RATER = "undefined: fewer than two raters"
NO_ITEMS = "undefined: nothing rated by every rater"
NO_VARIATION = "undefined: every rating is in one category, so chance agreement is already complete"


def cohen_kappa_table(table: Sequence[Sequence[float]]) -> float | None:
    """Cohen's kappa from a square table of counts or proportions (rows: rater A, columns: rater B)."""
    total = sum(sum(row) for row in table)
    if total <= 0:
        return None
    k = len(table)
    observed = sum(table[i][i] for i in range(k)) / total
    rows = [sum(table[i]) / total for i in range(k)]
    cols = [sum(table[i][j] for i in range(k)) / total for j in range(k)]
    chance = sum(r * c for r, c in zip(rows, cols))
    if chance >= 1:
        return None
    return (observed - chance) / (1 - chance)


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two raters' labels for the same items, in the same order."""
    if len(a) != len(b):
        raise ValueError("both raters must rate the same items")
    labels = sorted({*a, *b}, key=repr)
    index = {label: i for i, label in enumerate(labels)}
    table = [[0] * len(labels) for _ in labels]
    for x, y in zip(a, b):
        table[index[x]][index[y]] += 1
    return cohen_kappa_table(table)


def fleiss_kappa(counts: Sequence[Sequence[int]]) -> float | None:
    """Fleiss' kappa from a subjects x categories table: how many raters put each subject in each category.
    Every subject must have the same number of ratings (at least two)."""
    if not counts:
        return None
    n = sum(counts[0])
    if n < 2:
        return None
    if any(sum(row) != n for row in counts):
        raise ValueError("every subject must be rated by the same number of raters")
    subjects = len(counts)
    per_subject = [(sum(c * c for c in row) - n) / (n * (n - 1)) for row in counts]
    observed = sum(per_subject) / subjects
    categories = len(counts[0])
    shares = [sum(row[j] for row in counts) / (subjects * n) for j in range(categories)]
    chance = sum(p * p for p in shares)
    if chance >= 1:
        return None
    return (observed - chance) / (1 - chance)


def percent_agreement(ratings: Sequence[Sequence[Hashable]]) -> float | None:
    """The share of agreeing pairs of ratings, averaged over items (items x raters). For two raters it is
    the share of items they rated alike."""
    if not ratings or len(ratings[0]) < 2:
        return None
    shares = []
    for item in ratings:
        n = len(item)
        pairs = n * (n - 1)
        shares.append(sum(c * (c - 1) for c in Counter(item).values()) / pairs)
    return sum(shares) / len(shares)


@dataclass(frozen=True)
class Agreement:
    """Agreement on one kind of item: how many raters and items, percentage agreement and kappa (Cohen's
    for two raters, Fleiss' for more); ``undefined`` says why a figure is None."""

    raters: int
    items: int
    percent: float | None
    kappa: float | None
    method: str
    undefined: str | None = None

    @property
    def kappa_text(self) -> str:
        return "undefined" if self.kappa is None else f"{self.kappa:.3f}"

    @property
    def percent_text(self) -> str:
        return "undefined" if self.percent is None else f"{self.percent * 100:.0f}%"


def agreement(ratings: Sequence[Sequence[Hashable | None]]) -> Agreement:
    """Agreement over ``ratings`` (items x raters, each row the raters' labels in the same rater order).
    Items a rater left unrated (None) are left out: kappa compares like with like."""
    raters = len(ratings[0]) if ratings else 0
    complete = [list(row) for row in ratings if None not in row]
    method = "Cohen's kappa" if raters == 2 else "Fleiss' kappa"
    if raters < 2:
        return Agreement(raters, len(complete), None, None, method, ONE_RATER)
    if not complete:
        return Agreement(raters, 0, None, None, method, NO_ITEMS)
    percent = percent_agreement(complete)
    if raters == 2:
        kappa = cohen_kappa([r[0] for r in complete], [r[1] for r in complete])
    else:
        labels = sorted({x for row in complete for x in row}, key=repr)
        kappa = fleiss_kappa([[row.count(label) for label in labels] for row in complete])
    return Agreement(raters, len(complete), percent, kappa, method, NO_VARIATION if kappa is None else None)
