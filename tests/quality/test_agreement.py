"""Agreement statistics against the published worked examples (Cohen 1960, Fleiss 1971), and the cases
where kappa is undefined (reported as such, never a division by zero)."""

import pytest

from crm_sandbox.quality.agreement import (
    NO_ITEMS,
    NO_VARIATION,
    ONE_RATER,
    agreement,
    cohen_kappa,
    cohen_kappa_table,
    fleiss_kappa,
    percent_agreement,
)

# Cohen (1960), Table 1: two judges, three categories, 200 items (p_o = .70, p_c = .41, kappa = .492).
COHEN_1960 = [[88, 14, 18], [10, 40, 10], [2, 6, 12]]

# Fleiss (1971), Table 1: 30 patients, 6 psychiatrists each, 5 diagnoses (1 depression, 2 personality
# disorder, 3 schizophrenia, 4 neurosis, 5 other); kappa = .430. The ratings as the R package irr ships
# them (``diagnoses``); Fleiss printed the counts per category, which these aggregate to.
FLEISS_1971 = [
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5], [2, 2, 2, 4, 4, 4],
    [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4], [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5],
    [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4], [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5],
    [3, 3, 3, 3, 3, 5], [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4], [1, 4, 4, 4, 4, 5],
    [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4], [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
]  # fmt: skip


def counts(rows):
    return [[row.count(c) for c in range(1, 6)] for row in rows]


def test_cohen_1960_worked_example():
    assert cohen_kappa_table(COHEN_1960) == pytest.approx(0.29 / 0.59)
    assert round(cohen_kappa_table(COHEN_1960), 3) == 0.492
    # the same from the 200 pairs of labels
    a, b = [], []
    for i, row in enumerate(COHEN_1960):
        for j, n in enumerate(row):
            a += [i] * n
            b += [j] * n
    assert cohen_kappa(a, b) == pytest.approx(0.29 / 0.59)
    result = agreement([[x, y] for x, y in zip(a, b)])
    assert result.method == "Cohen's kappa" and result.percent == pytest.approx(0.70)
    assert result.kappa_text == "0.492" and result.percent_text == "70%"


def test_cohen_in_proportions_is_the_same():
    proportions = [[n / 200 for n in row] for row in COHEN_1960]
    assert cohen_kappa_table(proportions) == pytest.approx(0.29 / 0.59)


def test_fleiss_1971_worked_example():
    table = counts(FLEISS_1971)
    assert [sum(col) for col in zip(*table)] == [26, 26, 30, 55, 43]  # Fleiss's category totals
    assert fleiss_kappa(table) == pytest.approx(0.4302445, abs=1e-7)
    assert round(fleiss_kappa(table), 3) == 0.430
    result = agreement(FLEISS_1971)
    assert result.method == "Fleiss' kappa" and result.kappa == pytest.approx(0.4302445, abs=1e-7)
    assert result.percent == pytest.approx(0.5556, abs=1e-4)  # Fleiss's P-bar, .556


def test_perfect_agreement_with_variation_is_one():
    assert agreement([["a", "a"], ["b", "b"]]).kappa == pytest.approx(1.0)
    assert agreement([["a", "a", "a"], ["b", "b", "b"]]).kappa == pytest.approx(1.0)


def test_systematic_disagreement_is_negative():
    assert agreement([["a", "b"], ["b", "a"]]).kappa == pytest.approx(-1.0)


@pytest.mark.parametrize(
    "ratings,reason",
    [
        ([["breach"], ["no breach"]], ONE_RATER),  # one rater
        ([], ONE_RATER),  # nothing at all
        ([["a", None], [None, "b"]], NO_ITEMS),  # nothing rated by both
        ([["breach", "breach"], ["breach", "breach"]], NO_VARIATION),  # one category, two raters
        ([["met"] * 4] * 3, NO_VARIATION),  # one category, several raters
    ],
)
def test_undefined_cases_are_reported_not_divided_by_zero(ratings, reason):
    result = agreement(ratings)
    assert result.kappa is None and result.undefined == reason and result.kappa_text == "undefined"


def test_undefined_inputs_of_the_low_level_functions():
    assert cohen_kappa_table([[0, 0], [0, 0]]) is None
    assert cohen_kappa_table([[5, 0], [0, 0]]) is None  # both raters always chose the first category
    assert cohen_kappa([], []) is None
    assert fleiss_kappa([]) is None
    assert fleiss_kappa([[1, 0], [0, 1]]) is None  # one rating per subject
    assert fleiss_kappa([[3, 0], [3, 0]]) is None  # no variation
    assert percent_agreement([["a"]]) is None
    with pytest.raises(ValueError):
        fleiss_kappa([[2, 0], [1, 0]])
    with pytest.raises(ValueError):
        cohen_kappa(["a"], [])


def test_no_variation_still_has_a_percentage():
    result = agreement([["met", "met"], ["met", "met"]])
    assert result.percent == 1.0 and result.percent_text == "100%"
