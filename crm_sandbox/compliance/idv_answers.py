"""Reading an ID&V answer as the caller said it. Pure: text in, a reading (or why not) out.

The learner types what the caller said, alone or in a sentence: "It's BK7 3QN.", "bk73qn",
"The 3rd is N and the 8th is H.", "n, h", "Sure, it's 7th October 1968", "07/10/68",
"October the seventh, nineteen sixty-eight", "ends 4321", "four three two one".
:func:`read_answer` returns a :class:`Reading`: the answer normalised (``value``, compared with the
record), the answer as the desk shows it (``shown``, "07/10/1968"), or a ``problem`` saying in plain
words why the text cannot be read as an answer to that question (nothing is checked then).

The finders for dates, postcodes and last-four digits in free text live here too; the rules engine's
matching (``matching.py``) uses them, so the desk and the rules read a date or a postcode the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from .normalise import MONTHS, digits, normalise_postcode

MAX_ANSWER_LENGTH = 200  # characters: a spoken answer is a sentence at most

FACTOR_WORDS = {
    "date_of_birth": "a date of birth",
    "postcode": "a postcode",
    "memorable_word_characters": "characters of the memorable word",
    "account_number_last4": "the last four digits of the account number",
}

# --- dates in free text (shared with the rules' matching) --------------------------------------------
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"(?P<d>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<y>\d{4}|'?\d{2})"
DATE_PATTERNS = [
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(
        r"(?<![\d.\-/])(?P<d>\d{1,2})\s?(?P<s>[/.\-])\s?(?P<m>\d{1,2})\s?(?P=s)\s?(?P<y>\d{4}|\d{2})(?![\d/\-]|\.\d)"
    ),
    re.compile(r"(?<![\d.\-/])(?P<d>\d{1,2}) (?P<m>\d{1,2}) (?P<y>\d{4})(?!\d)"),
    re.compile(rf"\b{_DAY}(?:\s+of)?[\s\-/]*(?P<mn>{_MONTH})\b\.?(?:,?[\s\-/]*{_YEAR}\b)?", re.I),
    re.compile(rf"\b(?P<mn>{_MONTH})\.?\s+{_DAY}\b(?:,?\s+{_YEAR}\b)?", re.I),
    re.compile(r"(?<![\d \-])(?P<d>\d{2})(?P<m>\d{2})(?P<y>\d{4})(?![\d])"),
]


@dataclass(frozen=True)
class DateMention:
    """A day and month (and the year as written, if any) found at ``start:end`` of a text."""

    start: int
    end: int
    day: int
    month: int | None  # None: a month-like word that is not a month
    year: str | None  # as written, without a leading apostrophe: "1968", "68"

    def same_day(self, other: date) -> bool:
        """Whether this names ``other`` (a two-digit year compares with the last two digits)."""
        if self.day != other.day or self.month != other.month:
            return False
        if self.year is None:
            return True
        return int(self.year) == (other.year if len(self.year) == 4 else other.year % 100)


def date_mentions(text: str) -> Iterator[DateMention]:
    """Every date-shaped span of ``text`` (digits and month names), pattern by pattern."""
    for pattern in DATE_PATTERNS:
        for m in pattern.finditer(text):
            month = MONTHS.get(m["mn"].lower()) if m.groupdict().get("mn") else int(m["m"])
            year = m["y"].lstrip("'") if m["y"] else None
            yield DateMention(m.start(), m.end(), int(m["d"]), month, year)


# --- postcodes and last-four digits in free text (shared with the rules' matching) -------------------
POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.I)
LAST4 = re.compile(
    r"\b(?:end(?:ing|ng|in['’]?)(?:\s+(?:in|with))?|ends?\s+(?:in|with)|last\s+(?:four|4)(?:\s+digits)?(?:\s+(?:are|is|of|being))?"
    r"(?:\s+(?:your|the))?(?:\s+account)?(?:\s+number)?(?:\s+(?:are|is|being))?)\s*[:\-]?\s*(\d[\d ]{2,5}\d)",
    re.I,
)
# The words around a last-four answer that are not part of it ("the last four digits are", "ends").
_LAST4_WORDS = re.compile(
    r"\b(?:(?:the\s+)?last\s+(?:four|4)(?:\s+digits)?(?:\s+of\s+(?:my|the|your)\s+account(?:\s+number)?)?"
    r"|end(?:ing|ng|in['’]?)(?:\s+(?:in|with))?|ends?(?:\s+(?:in|with))?)\b",
    re.I,
)


# --- parts of an answer, presented as the customer's (shared with the rules' matching) -----------------
# The outward code ("NR4"), optionally with the sector digit ("NR4 3"), not followed by the inward letters.
OUTWARD = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?(?!\s?\d[A-Z]{2}\b)(?:\s?\d)?(?![A-Z\d])", re.I)
YEAR = re.compile(r"(?<![\d/.\-])(?:18|19|20)\d\d(?![\d/.\-]\d|\d)")
MONTH = re.compile(rf"\b{_MONTH}\b", re.I)
DIGIT_GROUP = re.compile(r"(?<![\d£$.,])(?<![A-Za-z]-)\d(?:[ \-]?\d)+(?![\d%]|[.,]\d|-?[A-Za-z])")
SHORT_YEAR = re.compile(r"\bborn\s+in\s+(?:the\s+year\s+)?['’]?(\d{2})\b", re.I)
COMPACT_DATE = re.compile(r"(?<![\d/.\-])(\d{2})(\d{2})(\d{2})(?![\d/.\-])")
# "starts with B D", "begins with an N": the postcode area's letters.
AREA = re.compile(
    r"\b(?:starts?|starting|begins?|beginning)\s+(?:with\s+)?(?:an?\s+)?([A-Z])(?:[\s\-]?([A-Z]))?\b", re.I
)
# "ends 34", "starting 99": a pair of a sort code's digits right after a word that says which end.
EDGE_PAIR = re.compile(
    r"\b(?:ends?|end(?:ing|ng|in['’]?)|starts?|starting|begins?|beginning|finish\w*)\s+(?:with\s+|in\s+)?(\d\d)\b", re.I
)
# Words that present a value as the customer's ("your", "you live", "the account", "ending", or asking
# "…, that right?"), and per part the words that say which value it is part of, in the sentence or in
# the caller's message just before ("which postcode have you got for me?").
YOURS = re.compile(
    r"\b(?:your|yours|you|you(?:'|’)(?:re|ve|d)|ur|u|the account|on (?:the|our) (?:file|record|system))\b"
    r"|\b(?:starts?|starting|begins?|beginning|end(?:ing|ng|in['’]?)|ends?|end|finish(?:es|ing)?)\b|\?",
    re.I,
)
EDGE = re.compile(r"\b(?:end(?:ing|ng|in['’]?)|ends?|end|finish(?:es|ing)?|last)\b", re.I)
_ACCOUNT = r"\b(?:ac{1,2}ou?nts?|a/c|acc(?:t|ount)? no)\b"  # (typed "acount", "accont" too)
PART_OF = {
    "postcode_part": re.compile(r"\b(?:post ?codes?|postal|live[sd]?|living|address|area)\b", re.I),
    "birth_year": re.compile(r"\b(?:born|birth|d\.?o\.?b|birthday|baby|year you)\b", re.I),
    "birth_month": re.compile(r"\b(?:born|birth|d\.?o\.?b|birthday|baby)\b", re.I),
    "date_of_birth": re.compile(r"\b(?:born|birth|d\.?o\.?b|birthday)\b", re.I),
    "account_number_start": re.compile(_ACCOUNT, re.I),
    "account_number_end": re.compile(_ACCOUNT, re.I),
    "sort_code_start": re.compile(r"\bsort ?codes?\b", re.I),
    "sort_code_end": re.compile(r"\bsort ?codes?\b", re.I),
}


def outward_code(postcode: str) -> str:
    """ "NR4 3AB" -> "NR4" (all but the three-character inward code; compact, upper case)."""
    compact = normalise_postcode(postcode)
    return compact[:-3] if len(compact) > 4 else ""


def presented_as_yours(part: str, sentence: str, before: str = "", shaped: bool = False) -> bool:
    """Whether ``sentence`` presents a value as the customer's ``part`` ("your postcode starts NR4"); what
    it is part of may be said in ``before``, the caller's message just before, or by the value's own
    shape (``shaped``: an outward code such as "RG1 7" needs no "postcode")."""
    named = PART_OF[part].search(sentence) or PART_OF[part].search(before)
    if shaped and not named and OURS.search(sentence):
        return False  # "our office is in LS1": a place of ours, not the customer's postcode
    return bool(YOURS.search(sentence) and (named or shaped))


# A place that is the firm's, not the customer's ("our branch in LS1", "we're in LS1").
OURS = re.compile(r"\b(?:our|ours|we(?:'re|’re| are)?|us|office|branch|store|shop|depot|head ?quarters|hq)\b", re.I)


def display_postcode(compact: str) -> str:
    """ "BK73QN" -> "BK7 3QN" (the inward code is always the last three characters)."""
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


# --- numbers said in words ---------------------------------------------------------------------------
_ONES = {
    "zero": 0,
    "nought": 0,
    "oh": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
}
_SEP = r"(?:\s*-\s*|\s+)"
_CARDINAL_ONES = "|".join(k for k in _ONES if k not in ("oh", "nought", "zero"))
_UNDER_100 = (
    rf"(?:(?P<tens>{'|'.join(_TENS)})(?:{_SEP}(?P<ones>{_CARDINAL_ONES}))?"
    rf"|(?P<teen>{'|'.join(_TEENS)})|(?P<one>{_CARDINAL_ONES}))"
)
_SPOKEN_YEAR = re.compile(
    rf"\b(?P<century>eighteen|nineteen|twenty){_SEP}"
    rf"(?:(?P<hundred>hundred)|oh{_SEP}(?P<oh>{_CARDINAL_ONES})|(?P<rest>(?:{'|'.join(_TENS)})(?:{_SEP}(?:{_CARDINAL_ONES}))?|{'|'.join(_TEENS)}))\b",
    re.I,
)
_THOUSANDS_YEAR = re.compile(rf"\btwo{_SEP}thousand(?:{_SEP}and)?(?:{_SEP}(?P<rest>{_UNDER_100}))?\b", re.I)
_ORDINAL_WORD = re.compile(
    rf"\b(?:(?P<tens>twenty|thirty){_SEP})?(?P<ord>{'|'.join(sorted(_ORDINALS, key=len, reverse=True))})\b", re.I
)
_CARDINAL = re.compile(rf"\b{_UNDER_100}\b", re.I)


def _under_100(words: str) -> int:
    """ "sixty-eight" -> 68, "twelve" -> 12 (``words`` matched ``_UNDER_100``)."""
    m = re.fullmatch(_UNDER_100, words.strip().lower())
    if m is None:
        raise ValueError(f"not a number under 100: {words!r}")
    if m["tens"]:
        return _TENS[m["tens"]] + (_ONES[m["ones"]] if m["ones"] else 0)
    if m["teen"]:
        return _TEENS[m["teen"]]
    return _ONES[m["one"]]


def _spoken_year(m: re.Match[str]) -> str:
    century = {"eighteen": 1800, "nineteen": 1900, "twenty": 2000}[m["century"].lower()]
    if m["hundred"]:
        return str(century)
    if m["oh"]:
        return str(century + _ONES[m["oh"].lower()])
    return str(century + _under_100(m["rest"]))


def _ordinal(m: re.Match[str]) -> str:
    n = _ORDINALS[m["ord"].lower()] + (_TENS[m["tens"].lower()] if m["tens"] else 0)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def spelled_dates(text: str) -> str:
    """``text`` with the numbers of a spoken date in digits: "October the seventh, nineteen
    sixty-eight" -> "October the 7th, 1968"; "two thousand and six" -> "2006"."""
    text = _SPOKEN_YEAR.sub(_spoken_year, text)
    text = _THOUSANDS_YEAR.sub(lambda m: str(2000 + (_under_100(m["rest"]) if m["rest"] else 0)), text)
    text = _ORDINAL_WORD.sub(_ordinal, text)
    return _CARDINAL.sub(lambda m: str(_under_100(m.group())), text)


_MULTIPLIERS = {"double": 2, "treble": 3, "triple": 3}


def spelled_digits(text: str) -> str:
    """``text`` with digits said as words written as digits: "four three two one" -> "4 3 2 1",
    "double four" -> "44", "forty-three twenty-one" -> "43 21"."""
    text = re.sub(
        rf"\b(?P<times>{'|'.join(_MULTIPLIERS)})\s+(?P<d>\d|{'|'.join(_ONES)})\b",
        lambda m: (m["d"] if m["d"].isdigit() else str(_ONES[m["d"].lower()])) * _MULTIPLIERS[m["times"].lower()],
        text,
        flags=re.I,
    )
    text = _CARDINAL.sub(lambda m: str(_under_100(m.group())), text)
    return re.sub(r"\b(?:oh|nought|zero)\b", "0", text, flags=re.I)


# --- readings ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reading:
    """What was read from an answer: ``value`` to compare, ``shown`` for the desk, or a ``problem``."""

    factor: str
    value: str = ""
    shown: str = ""
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def _refuse(factor: str, problem: str) -> Reading:
    return Reading(factor, problem=problem)


def _dates_in(text: str, today: date) -> tuple[list[date], bool, bool]:
    """The complete dates in ``text`` (once each, in order), and whether a date had no year or an
    impossible day ("31/02/1990")."""
    found: dict[date, None] = {}
    no_year = bad_day = False
    for mention in date_mentions(text):
        if mention.month is None:
            continue
        if mention.year is None:
            no_year = True
            continue
        year = int(mention.year)
        if len(mention.year) == 2:  # "68" -> 1968, "05" -> 2005: a birth date is in the past
            year += 2000 if year <= today.year % 100 else 1900
        try:
            found[date(year, mention.month, mention.day)] = None
        except ValueError:
            bad_day = True
    return list(found), no_year, bad_day


def read_date_of_birth(text: str, today: date | None = None) -> Reading:
    """A complete date of birth in the past: value "1968-10-07", shown "07/10/1968"."""
    factor = "date_of_birth"
    today = today or date.today()
    plain = re.sub(r"\bthe\b", " ", spelled_dates(text), flags=re.I)
    found, no_year, bad_day = _dates_in(re.sub(r"[ \t]+", " ", plain), today)
    if len(found) > 1:
        return _refuse(factor, "That answer has more than one date in it: type the one date of birth the caller gave.")
    if not found:
        if bad_day:
            return _refuse(factor, "That is not a real date (check the day and the month).")
        if no_year:
            return _refuse(factor, "That date has no year: a date of birth needs the day, the month and the year.")
        return _refuse(
            factor, "No date of birth could be read from that: type the day, month and year the caller gave."
        )
    dob = found[0]
    if dob > today:
        return _refuse(factor, f"{dob:%d/%m/%Y} is in the future, so it cannot be a date of birth.")
    if dob.year < today.year - 150:  # an old or guessed date is a wrong answer; this is no one's
        return _refuse(factor, f"{dob:%d/%m/%Y} is too long ago to be a living customer's date of birth.")
    return Reading(factor, dob.isoformat(), dob.strftime("%d/%m/%Y"))


def read_postcode(text: str) -> Reading:
    """One UK postcode: value "BK73QN", shown "BK7 3QN"; also spelt out ("b k 7 3 q n")."""
    factor = "postcode"
    found = {normalise_postcode(m.group()) for m in POSTCODE.finditer(text)}
    if not found:  # said a character or two at a time ("b k seven, three q n")
        found = _spelt_postcodes(re.findall(r"[A-Za-z0-9]+", spelled_digits(text)))
    if len(found) > 1:
        return _refuse(factor, "That answer has more than one postcode in it: type the one the caller gave.")
    if not found:
        return _refuse(factor, "No postcode could be read from that: a UK postcode looks like AB12 3CD.")
    (compact,) = found
    return Reading(factor, compact, display_postcode(compact))


def _spelt_postcodes(tokens: list[str]) -> set[str]:
    """Postcodes made by joining consecutive short tokens; a run inside a longer one does not count."""
    spans = [
        (i, j, "".join(tokens[i:j]).upper())
        for i in range(len(tokens))
        for j in range(i + 2, min(i + 8, len(tokens)) + 1)
        if all(len(t) <= 4 for t in tokens[i:j]) and POSTCODE.fullmatch("".join(tokens[i:j]))
    ]
    return {c for i, j, c in spans if not any(a <= i and j <= b and (a, b) != (i, j) for a, b, _ in spans)}


def read_last4(text: str) -> Reading:
    """Exactly four digits, in figures or words: value and shown "4321"."""
    factor = "account_number_last4"
    plain = spelled_digits(_LAST4_WORDS.sub(" ", text))
    tokens = re.findall(r"[A-Za-z0-9']+", plain)
    mixed = [t for t in tokens if re.search(r"\d", t) and re.search(r"[A-Za-z]", t)]
    found = digits(plain)
    if mixed or (not found and any(len(t) == 1 and t.isalpha() for t in tokens)):
        return _refuse(factor, "The last four digits of an account number are digits only, with no letters.")
    if not found:
        return _refuse(factor, "No digits could be read from that: type the four digits the caller gave.")
    if len(found) != 4:
        return _refuse(
            factor,
            f"That has {len(found)} digit{'s' if len(found) != 1 else ''}: type only the last four digits of "
            "the account number the caller gave.",
        )
    return Reading(factor, found, found)


_POSITION = re.compile(
    rf"(?:\b(?P<n>\d{{1,2}})(?:st|nd|rd|th)\b|\b(?P<word>(?:(?:twenty|thirty){_SEP})?(?:{'|'.join(sorted(_ORDINALS, key=len, reverse=True))}))\b)"
    r"(?:\s+(?:letter|character|char|one))?\s*(?:is|'s|=|:|-|,|was)?\s*[\"'‘“]?(?P<ch>[A-Za-z0-9])[\"'’”]?(?!\w)",
    re.I,
)
# "I think it's N and H", "a sec, N and H": the words "I" and "a" are not characters then.
_NOT_A_CHARACTER = re.compile(
    r"\s+(?:think|am|'m|believe|guess|reckon|was|have|know|remember|can|sec|second|moment|minute|bit|mo)\b", re.I
)


def _position_number(m: re.Match[str]) -> int:
    """The position a ``_POSITION`` match names: "3rd" -> 3, "twenty-first" -> 21."""
    if m["n"]:
        return int(m["n"])
    *tens, word = re.split(_SEP, m["word"].lower())
    return _ORDINALS[word] + (_TENS[tens[0]] if tens else 0)


def read_characters(text: str, positions: Sequence[int]) -> Reading:
    """The characters asked for (``positions``, 1-based): "The 3rd is N and the 8th is H.", "N and H",
    "n, h", "N for November, H for Hotel", "nh". Value "NH" in the order asked; shown "N and H"."""
    factor = "memorable_word_characters"
    wanted = len(positions)
    asked = " and ".join(_suffixed(p) for p in positions)
    said = {_position_number(m): m["ch"].upper() for m in _POSITION.finditer(text)}
    if said:
        if set(said) != set(positions):
            given = " and ".join(_suffixed(p) for p in sorted(said))
            return _refuse(
                factor,
                f"The caller gave the {given} character{'s' if len(said) != 1 else ''}; the {asked} were asked for.",
            )
        chars = [said[p] for p in positions]
    else:
        tokens = list(re.finditer(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*", text))
        chars = [
            t.group().upper()
            for t in tokens
            if len(t.group()) == 1 and not (t.group().lower() in ("i", "a") and _NOT_A_CHARACTER.match(text, t.end()))
        ]
        if not chars and len(tokens) == 1 and len(tokens[0].group()) == wanted:  # "nh"
            chars = list(tokens[0].group().upper())
        if not chars:
            return _refuse(
                factor,
                f"No single characters could be read from that: type the {wanted} characters the caller gave, e.g. “N and H”.",
            )
        if len(chars) != wanted:
            return _refuse(
                factor,
                f"That has {len(chars)} single character{'s' if len(chars) != 1 else ''}: the caller was asked for "
                f"{wanted} (the {asked}).",
            )
    return Reading(factor, "".join(chars), " and ".join(chars))


def _suffixed(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def read_answer(factor: str, text: str, positions: Sequence[int] = (), today: date | None = None) -> Reading:
    """What ``text`` says as an answer to ``factor``, or why it cannot be read as one.

    ``positions`` are the memorable-word characters asked for on this contact. When the text cannot be
    read for ``factor`` but reads as another factor's answer, the problem says so ("That looks like a
    postcode"), so the learner types it in the right box; nothing is checked either way."""
    text = text or ""
    if factor not in FACTOR_WORDS:
        return _refuse(factor, "That is not one of this policy's verification questions.")
    if len(text) > MAX_ANSWER_LENGTH:
        return _refuse(factor, f"An answer is at most {MAX_ANSWER_LENGTH} characters: type only what the caller said.")
    if not re.search(r"[A-Za-z0-9]", text):
        return _refuse(factor, "Type the caller's answer before checking it.")
    reading = _read(factor, text, positions, today)
    if reading.ok:
        return reading
    for other in ("date_of_birth", "postcode", "account_number_last4"):
        if other != factor and _read(other, text, positions, today).ok:
            return _refuse(
                factor,
                f"That looks like {FACTOR_WORDS[other]}, not {FACTOR_WORDS[factor]}: nothing was checked. "
                f"Type it in the box for its question.",
            )
    return reading


def _read(factor: str, text: str, positions: Sequence[int], today: date | None) -> Reading:
    if factor == "date_of_birth":
        return read_date_of_birth(text, today)
    if factor == "postcode":
        return read_postcode(text)
    if factor == "account_number_last4":
        return read_last4(text)
    return read_characters(text, positions or (1, 2))
