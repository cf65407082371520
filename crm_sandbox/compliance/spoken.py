"""What people say, written as it is stored: numbers in words, digits read out, spelled letters, the
phonetic alphabet and spoken email addresses. Pure: text in, rewritten text (with a map back) out.

    rewrite("oh one one three, double four") -> "0113, 44"
    rewrite("S for Sierra, M-I-T-H")         -> "Smith"
    rewrite("jane dot smith at example dot com") -> "jane.smith@example.com"

:func:`rewrite` returns a :class:`Spoken` whose ``span`` maps a span of the rewritten text back to the
span of the original that said it, so a finding quotes what was really written. It returns None when
nothing in the text is said in words (the common case, cheap to tell). Cardinal numbers ("two thousand
and six", "nine-twelve forty") are read by ``text2num`` (``alpha2digit``); the rest is here. Every step
is a regular expression over the text or one bounded run of it: no step backtracks without limit, and a
run of number words is read in chunks of at most ``MAX_RUN_WORDS``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from text_to_num import alpha2digit

MAX_RUN_WORDS = 24  # number words read at once: a phone number said digit by digit is under 20

NATO = {
    "alpha": "a", "alfa": "a", "bravo": "b", "charlie": "c", "delta": "d", "echo": "e", "foxtrot": "f",
    "golf": "g", "hotel": "h", "india": "i", "juliet": "j", "juliett": "j", "kilo": "k", "lima": "l",
    "mike": "m", "november": "n", "oscar": "o", "papa": "p", "quebec": "q", "romeo": "r", "sierra": "s",
    "tango": "t", "uniform": "u", "victor": "v", "whiskey": "w", "whisky": "w", "xray": "x", "x-ray": "x",
    "yankee": "y", "zulu": "z",
}  # fmt: skip
_ONES = "zero|oh|nought|one|two|three|four|five|six|seven|eight|nine"
_TEENS = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
_TENS = "twenty|thirty|forty|fourty|fifty|sixty|seventy|eighty|ninety"
_ORDINALS = (
    "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth"
    "|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth"
)
_NUMBER_WORD = rf"(?:{_ONES}|{_TEENS}|{_TENS}|hundred|thousand|grand|million|double|treble|triple|{_ORDINALS})"
# (with "point": an amount typed over two messages may go on "point three oh")
NUMBER_WORD = rf"\b(?:{_NUMBER_WORD}|point)\b"
_NUMBER_RUN = re.compile(rf"\b{_NUMBER_WORD}(?:(?:[ \t]*[,\-][ \t]*|[ \t]+)(?:and[ \t]+)?{_NUMBER_WORD})*\b", re.I)
_NOT_ALONE = {"oh", "second", "double", "treble", "triple", "hundred", "thousand", "grand", "million"}
_REPEAT = re.compile(r"\b(double|treble|triple)\s+(\w+)", re.I)
_SPOKEN_YEAR = re.compile(
    rf"\b(nineteen|twenty)\s+(?:(oh|nought|zero)\s+({_ONES})|((?:{_TENS})(?:\s+(?:{_ONES}))?|{_TEENS}))\b", re.I
)
_SEP_WORD = r"(?:\s+(?:dot|underscore|dash|hyphen)\s+|[._\-])"
_EMAIL = re.compile(
    rf"\b(?P<local>(?:[\w+]+{_SEP_WORD}){{0,6}}[\w+]+(?:\s+\d+\b)?)"
    r"(?P<one>(?:\s+[a-z]+)?,?\s+all\s+(?:one|1)\s+word,?)?"
    rf"\s+(?:at|@)\s+(?P<domain>\w+(?:(?:\s+dot\s+|\.)\w+){{0,4}}\s+dot\s+\w+)\b",
    re.I,
)
_EMAIL_WORDS = {"dot": ".", "underscore": "_", "dash": "-", "hyphen": "-", "at": "@"}
_LETTER_FOR = re.compile(r"\b([A-Za-z])\s+(?:for|as in)\s+([A-Za-z][a-z]+)\b")
_NATO_RUN = re.compile(rf"\b(?:{'|'.join(NATO)})(?:[ \t]*[,\-]?[ \t]+(?:{'|'.join(NATO)}))+\b", re.I)
# Three or more single characters in a row, with spaces, hyphens, dots or commas between: "S M I T H".
_UNIT = r"(?:[A-Za-z0-9]|\d\d)(?![\w'’])"
_SPELLED = re.compile(
    rf"(?<![\w'’])(?:[A-Za-z0-9]|\d\d)(?:(?:(?:[ \t]*,)?[ \t]+(?:-|dash|hyphen)(?:[ \t]*,)?[ \t]+|[ \t]*[.,/][ \t]*|-|[ \t]+){_UNIT}){{2,}}",
    re.I,
)
# Letters said by their names ("el ess one, four ay pee"): only the names that are no everyday word, and
# only in a run of three or more letters and digits with a digit in it (a postcode read out).
LETTER_NAMES = {
    "ay": "a", "bee": "b", "cee": "c", "dee": "d", "ee": "e", "ef": "f", "eff": "f", "gee": "g", "aitch": "h",
    "haitch": "h", "jay": "j", "kay": "k", "el": "l", "ell": "l", "em": "m", "en": "n", "pee": "p", "cue": "q",
    "ar": "r", "ess": "s", "tee": "t", "vee": "v", "ex": "x", "wye": "y", "zed": "z",
}  # fmt: skip
_NAME_UNIT = rf"(?:{'|'.join(LETTER_NAMES)}|[A-Za-z0-9]|\d\d)"
_NAMED_RUN = re.compile(rf"(?<![\w'’]){_NAME_UNIT}(?:[ \t]*,?[ \t]+{_NAME_UNIT}(?![\w'’])){{2,}}", re.I)
_DASHED_WORDS = re.compile(r"\b([A-Za-z]{2,})\s+(?:dash|hyphen)\s+([A-Za-z]{2,})\b", re.I)
_MONTH_THE = re.compile(
    r"\b(jan(?:uary)?|feb(?:ruary)?|march|april|may|june|july|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?"
    r"|nov(?:ember)?|dec(?:ember)?)\s+the\s+(\d{1,2}(?:st|nd|rd|th))\b",
    re.I,
)
# A cheap test first: most messages say nothing in words, and a set lookup is faster than a big pattern.
_OF_THE = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\s+of\s+the\s+(\d{1,2})(?:st|nd|rd|th)\b(?:,?\s+(\d{4}|\d{2})\b)?", re.I
)
# "two one five point three oh" -> "215.30": an amount read out with its pence after "point".
_POINT = re.compile(r"\b((?:\d[ \t]){0,6}\d*\d)[ \t]+point[ \t]+(\d)(?:[ \t]?(\d))?\b", re.I)
_GATE_WORDS = frozenset(
    re.findall(r"[a-z]+", f"{_ONES}|{_TEENS}|{_TENS}|{_ORDINALS}|hundred|thousand|grand|dot|dash|hyphen")
) | {w for w in NATO if w.isalpha()}
_TOKEN = re.compile(r"[a-z0-9]+")


def _says_something(text: str) -> bool:
    """Whether anything in ``text`` may be said in words: a number or code word, "dot", or single
    characters in a row ("S M I T H", "S for …")."""
    tokens = _TOKEN.findall(text.lower())
    if not _GATE_WORDS.isdisjoint(tokens):
        return True
    if "@" in text and _SPACED_AT.search(text):
        return True
    return any(len(a) == 1 and (len(b) == 1 or b in ("for", "as")) for a, b in zip(tokens, tokens[1:]))


@dataclass(frozen=True)
class Spoken:
    """Rewritten text, with each of its characters' span in the original."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span that said ``text[start:end]``."""
        return self.starts[start], self.ends[max(end - 1, start)]


def ascii_digits(text: str) -> str:
    """``text`` with every decimal digit of any script as an ASCII digit, character for character."""
    if text.isascii():
        return text
    return re.sub(r"\d", lambda m: str(unicodedata.digit(m.group(), 0)), text)


def rewrite(text: str) -> Spoken | None:
    """``text`` as it would be typed (see the module docstring), or None when nothing is said in words."""
    if not _says_something(text):
        return None
    spoken = Spoken(text, tuple(range(len(text))), tuple(range(1, len(text) + 1)))
    steps = (
        _letters_for, _nato_runs, _number_runs, _points, _letter_names, _emails, _spaced_at, _spelled_runs, _month_the
    )  # fmt: skip
    for step in steps:
        spoken = step(spoken)
    return spoken if spoken.text != text else None


def _replace(spoken: Spoken, pattern: re.Pattern[str], new: Callable[[re.Match[str]], str | None]) -> Spoken:
    """``spoken`` with each match of ``pattern`` replaced by ``new(match)`` (None: left as it is)."""
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    done = 0
    for m in pattern.finditer(spoken.text):
        value = new(m)
        if value is None or value == m.group():
            continue
        parts.append(spoken.text[done : m.start()])
        starts.extend(spoken.starts[done : m.start()])
        ends.extend(spoken.ends[done : m.start()])
        a, b = spoken.starts[m.start()], spoken.ends[m.end() - 1]
        parts.append(value)
        starts.extend([a] * len(value))
        ends.extend([b] * len(value))
        done = m.end()
    if not parts:
        return spoken
    parts.append(spoken.text[done:])
    starts.extend(spoken.starts[done:])
    ends.extend(spoken.ends[done:])
    return Spoken("".join(parts), tuple(starts), tuple(ends))


def _points(spoken: Spoken) -> Spoken:
    """ "2 1 5 point 3 0" -> "215.30" (number words are digits by now)."""
    return _replace(spoken, _POINT, lambda m: m[1].replace(" ", "").replace("\t", "") + "." + m[2] + (m[3] or ""))


def _letter_names(spoken: Spoken) -> Spoken:
    """ "el ess 1, 4 ay pee" -> "l s 1, 4 a p" (number words are digits by now)."""

    def letters(m: re.Match[str]) -> str | None:
        units = re.findall(r"[A-Za-z0-9]+", m.group())
        if not any(u.isdigit() for u in units) or not any(u.lower() in LETTER_NAMES for u in units):
            return None
        return re.sub(r"[A-Za-z]{2,}", lambda w: LETTER_NAMES.get(w.group().lower(), w.group()), m.group())

    if LETTER_NAMES.keys().isdisjoint(_TOKEN.findall(spoken.text.lower())):
        return spoken
    return _replace(spoken, _NAMED_RUN, letters)


# "jane.smith42 @ example.com", "mohammed.khan7@ example.org": an address typed with a space at the @.
_SPACED_AT = re.compile(r"(?<![\w.+\-])[\w.+\-]*\w(?:\s+@\s*|@\s+)\w[\w\-]*(?:\.[\w\-]+)+")


def _spaced_at(spoken: Spoken) -> Spoken:
    return _replace(spoken, _SPACED_AT, lambda m: re.sub(r"\s+", "", m.group()))


def _emails(spoken: Spoken) -> Spoken:
    """ "jane dot smith 42 at example dot com" -> "jane.smith42@example.com" (number words are digits by
    now); "sarah dot ellis morgan, all one word, at …" -> "sarah.ellismorgan@…"."""

    def said(m: re.Match[str]) -> str:
        local = re.sub(r"\s+(\d+)$", r"\1", m["local"])
        if m["one"] and (word := re.findall(r"[a-z]+", m["one"], re.I)[0]).lower() != "all":
            local += word
        address = f"{local} at {m['domain']}"
        words = re.split(r"(\s+(?:dot|underscore|dash|hyphen|at)\s+)", address, flags=re.I)
        return "".join(_EMAIL_WORDS.get(w.strip().lower(), w.strip()) for w in words).lower()

    return _replace(spoken, _EMAIL, said)


def _letters_for(spoken: Spoken) -> Spoken:
    """ "S for Sierra", "m as in Mike" -> the letter."""
    return _replace(spoken, _LETTER_FOR, lambda m: m[1] if m[1].lower() == m[2][0].lower() else None)


def _nato_runs(spoken: Spoken) -> Spoken:
    """ "Sierra Mike India Tango Hotel" -> "s m i t h" (two or more code words in a row)."""
    return _replace(spoken, _NATO_RUN, lambda m: " ".join(NATO[w.lower()] for w in re.findall(r"[\w\-]+", m.group())))


def _number_runs(spoken: Spoken) -> Spoken:
    return _replace(spoken, _NUMBER_RUN, _read_run)


def _read_run(m: re.Match[str]) -> str | None:
    """A run of number words in digits: "oh one one three" -> "0113", "nineteen eighty-four" -> "1984",
    "two thousand and six" -> "2006", "nine-twelve forty" -> "9 12 40", "the first" -> "1st"."""
    words = re.findall(r"[A-Za-z]+", m.group().lower())
    if len(words) == 1 and words[0] in _NOT_ALONE:
        return None  # "oh, right", "a second", "double-check"
    out = []
    for part in m.group().lower().split(","):  # a pause: "nine hundred, one two three" is not 901
        words = re.findall(r"[a-z]+", part)
        for i in range(0, len(words), MAX_RUN_WORDS):
            chunk = words[i : i + MAX_RUN_WORDS]
            out.append(_digit_reading(chunk) if _read_digit_by_digit(chunk) else _cardinal(" ".join(chunk)))
    return " ".join(out)


_DIGITS = {w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine".split())}
_DIGITS.update(oh="0", nought="0")
_TENS_VALUE = {w: str(i) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_TENS_VALUE["fourty"] = "4"
_TEENS_VALUE = {w: str(i) for i, w in enumerate(_TEENS.split("|"), 10)}


def _read_digit_by_digit(words: list[str]) -> bool:
    """A number read out digit by digit (a phone or account number): four or more single digits."""
    return sum(w in _DIGITS for w in words) >= 4


def _digit_reading(words: list[str]) -> str:
    """ "oh seven seven double oh nine hundred one two three" -> "0 7 7 00 9 00 1 2 3"."""
    out: list[str] = []
    times = 1
    for i, w in enumerate(words):
        if w in ("double", "treble", "triple"):
            times = 2 if w == "double" else 3
            continue
        if w in _DIGITS:
            said = _DIGITS[w]
        elif w in _TEENS_VALUE:
            said = _TEENS_VALUE[w]
        elif w in _TENS_VALUE:
            after = words[i + 1] if i + 1 < len(words) else ""
            said = _TENS_VALUE[w] + ("" if after in _DIGITS and after not in ("zero", "oh", "nought") else "0")
        elif w == "hundred":
            said = "00"
        elif w == "thousand":
            said = "000"
        else:
            continue  # "and", ordinals: not part of a number read out
        if out and words[i - 1] in _TENS_VALUE and w in _DIGITS and out[-1].endswith(tuple("23456789")):
            out[-1] += said  # "forty-two": the 4 above waits for its unit
        else:
            out.append(said * times)
        times = 1
    return " ".join(out)


def _cardinal(chunk: str) -> str:
    """Numbers said as numbers: "two thousand and six" -> "2006", "nineteen eighty-four" -> "1984"."""
    chunk = _REPEAT.sub(lambda r: " ".join([r[2]] * (2 if r[1].lower() == "double" else 3)), chunk)
    chunk = re.sub(r"\b(?:oh|nought)\b", "zero", chunk).replace("fourty", "forty")
    chunk = _GRAND_SHORT.sub(_grand, chunk)  # "a grand two eighty-four" is 1284
    chunk = re.sub(r"\bgrand\b", "thousand", chunk)  # "two grand and six" is 2006
    chunk = _SPOKEN_YEAR.sub(_year, chunk)
    return alpha2digit(chunk, "en", threshold=0)


_TENS_ONES = rf"(?:{_TENS})(?:[ \-](?:{_ONES}))?|{_TEENS}"
_GRAND_SHORT = re.compile(rf"\b(?:({_TENS_ONES}|{_ONES}) )?grand ({_ONES}) ({_TENS_ONES})\b", re.I)


def _grand(m: re.Match[str]) -> str:
    """ "(a) grand two eighty-four" -> "1284": thousands, then hundreds and tens said the short way."""
    thousands = alpha2digit(m[1], "en", threshold=0).replace(" ", "") if m[1] else "1"
    tens = alpha2digit(m[3].replace("-", " "), "en", threshold=0).replace(" ", "")
    if not (thousands.isdigit() and tens.isdigit()):
        return m.group()
    return str(int(thousands) * 1000 + int(_DIGITS[m[2].lower()]) * 100 + int(tens))


def _year(m: re.Match[str]) -> str:
    century = 1900 if m[1].lower() == "nineteen" else 2000
    if m[3]:
        return str(century + int(alpha2digit(m[3].replace("oh", "zero"), "en", threshold=0) or 0))
    rest = alpha2digit(m[4], "en", threshold=0).replace(" ", "")
    return str(century + int(rest)) if rest.isdigit() else m.group()


def _spelled_runs(spoken: Spoken) -> Spoken:
    """ "S-M-I-T-H" -> "Smith", "b k 7 3 q n" -> "BK73QN", "E L L I S - M O R G A N" -> "Ellis-Morgan"
    (three or more single characters; a spaced hyphen or "dash" between them is part of the value)."""

    def joined(m: re.Match[str]) -> str:
        parts = re.split(r"(?:\s*,)?\s+(?:-|dash|hyphen)(?:\s*,)?\s+", m.group(), flags=re.I)
        chars = ["".join(re.findall(r"[A-Za-z0-9]", part)) for part in parts]
        return "-".join(c.capitalize() if c.isalpha() else c.upper() for c in chars)

    spoken = _replace(spoken, _SPELLED, joined)
    return _replace(spoken, _DASHED_WORDS, lambda m: f"{m[1]}-{m[2]}")


def _month_the(spoken: Spoken) -> Spoken:
    """ "March the 1st" -> "March 1st", "12th of the 3rd, 1985" -> "12/3/1985" (dates the readers see)."""
    spoken = _replace(spoken, _MONTH_THE, lambda m: f"{m[1]} {m[2]}")
    return _replace(spoken, _OF_THE, lambda m: f"{m[1]}/{m[2]}" + (f"/{m[3]}" if m[3] else ""))
