"""How values read on every page and report: pounds and pence, sentence-case labels, references."""

from decimal import Decimal

import pytest

from crm_sandbox.formatting import escalation_reference, label, money


@pytest.mark.parametrize(
    "value, shown",
    [
        (0, "£0.00"),
        (50, "£50.00"),
        (50.0, "£50.00"),  # how a refund's amount is stored in its event
        (5000, "£5,000.00"),
        (5000.0, "£5,000.00"),
        ("5000.0", "£5,000.00"),
        (1234567.5, "£1,234,567.50"),
        (Decimal("1234567.5"), "£1,234,567.50"),
        (Decimal("0.005"), "£0.01"),  # half a penny rounds up
        (0.125, "£0.13"),
        (-3, "-£3.00"),
        (-1234.5, "-£1,234.50"),
        (Decimal("-0.00"), "£0.00"),  # never "-£0.00"
        ("£1,250", "£1,250.00"),  # already written as money
        ("1284.50", "£1,284.50"),  # a stored balance
    ],
)
def test_money_is_pounds_and_pence_with_separators(value, shown):
    assert money(value) == shown


@pytest.mark.parametrize(
    "value, shown",
    [(None, ""), ("n/a", "n/a"), ("NaN", "NaN"), ("Infinity", "Infinity"), ("9" * 60, "9" * 60), (True, "True")],
)
def test_money_shows_what_is_not_an_amount_unchanged(value, shown):
    assert money(value) == shown


@pytest.mark.parametrize(
    "value, shown",
    [
        ("change-of-address", "Change of address"),
        ("third_party", "Third party"),
        ("live", "Live"),
        ("Change of address", "Change of address"),
        ("account_number_last4", "Account number last4"),
        ("", ""),
        (None, ""),
    ],
)
def test_labels_are_in_sentence_case(value, shown):
    assert label(value) == shown


def test_the_escalation_reference_comes_from_the_contact_and_event():
    assert escalation_reference(42, 17) == "ESC-00042-17" == escalation_reference(42, 17)
    assert escalation_reference(42, 3) != escalation_reference(43, 3)


def test_money_and_label_are_template_filters(app):
    with app.app_context():
        render = app.jinja_env.from_string("{{ 5000.0|money }} · {{ 'change-of-address'|label }}").render
        assert render() == "£5,000.00 · Change of address"
