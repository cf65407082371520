"""Normalising what people type: dates, postcodes, digits. Pure functions, no app needed."""

import re
from datetime import date

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_ORDINAL = re.compile(r"(\d+)(st|nd|rd|th)\b", re.I)


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:  # "85" -> 1985, "05" -> 2005: birth dates are in the past
        y += 2000 if y <= date.today().year % 100 else 1900
    return y


def parse_date(text: str) -> date | None:
    """A date from any common UK form ("12/03/1985", "12.3.85", "12th March 1985", "1985-03-12")."""
    s = _ORDINAL.sub(r"\1", text.strip().lower()).replace(",", " ")
    s = re.sub(r"\bof\b", " ", s)
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", s):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.fullmatch(r"(\d{1,2})\s*[/.\-\s]\s*(\d{1,2})\s*[/.\-\s]\s*(\d{2}|\d{4})", s):
            return date(_year(m[3]), int(m[2]), int(m[1]))
        if m := re.fullmatch(r"(\d{1,2})\s*[\s\-/]?\s*([a-z]+)\.?\s*[\s\-/]?\s*(\d{2}|\d{4})", s):
            if m[2] in MONTHS:
                return date(_year(m[3]), MONTHS[m[2]], int(m[1]))
        if m := re.fullmatch(r"([a-z]+)\.?\s+(\d{1,2})\s+(\d{2}|\d{4})", s):
            if m[1] in MONTHS:
                return date(_year(m[3]), MONTHS[m[1]], int(m[2]))
        if m := re.fullmatch(r"(\d{1,2})(\d{2})(\d{4})", s):  # 12031985
            return date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        return None
    return None


def normalise_postcode(text: str) -> str:
    """Upper case with no spaces: " ls1 4ap " -> "LS14AP"."""
    return re.sub(r"\s+", "", text).upper()


def digits(text: str) -> str:
    """Only the digits of ``text``."""
    return re.sub(r"\D", "", text)


def letters(text: str) -> str:
    """Only the letters and digits of ``text``, lower case."""
    return re.sub(r"[^0-9a-z]", "", text.lower())
