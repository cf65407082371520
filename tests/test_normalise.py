"""What callers type is normalised before it is compared."""

from datetime import date

import pytest

from crm_sandbox.compliance.normalise import normalise_postcode, parse_date


@pytest.mark.parametrize(
    "text",
    [
        "12/03/1985",
        "12 March 1985",
        "1985-03-12",
        "12.3.85",
        "12th March 1985",
        "12-03-1985",
        "12 Mar 1985",
        "March 12 1985",
        "12031985",
        "12th of March 1985",
    ],
)
def test_common_uk_date_forms_are_the_same_date(text):
    assert parse_date(text) == date(1985, 3, 12)


@pytest.mark.parametrize("text", ["", "yesterday", "31/02/1985", "12/13/1985", "hello 1985"])
def test_nonsense_is_not_a_date(text):
    assert parse_date(text) is None


def test_postcodes_ignore_case_and_spaces():
    assert normalise_postcode(" ls1 4ap ") == normalise_postcode("LS14AP") == "LS14AP"
