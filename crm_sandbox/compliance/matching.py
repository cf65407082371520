"""Finding the customer's known values in free text, after normalising both sides.

``CustomerMatcher(customer).find(text)`` returns :class:`Match` objects naming the customer field and
the exact span of ``text`` that matched. ``find_card_numbers(text)`` finds Luhn-valid card numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Iterable, Mapping

import phonenumbers
from stdnum import luhn

from .idv_answers import (
    AREA,
    COMPACT_DATE,
    DIGIT_GROUP,
    EDGE,
    EDGE_PAIR,
    LAST4,
    MONTH,
    OUTWARD,
    PART_OF,
    POSTCODE,
    SHORT_YEAR,
    YEAR,
    date_mentions,
    outward_code,
    presented_as_yours,
)
from .language import sentences
from .normalise import MONTHS, digits, normalise_postcode, parse_date
from .spoken import Spoken, ascii_digits, rewrite
from .words import is_word


@dataclass(frozen=True)
class Match:
    field: str
    start: int
    end: int
    text: str


# --- dates (read as the desk's ID&V answers read them: ``idv_answers.date_mentions``) ---------------
def _date_matches(text: str, dob: date) -> list[tuple[int, int]]:
    return [(m.start, m.end) for m in date_mentions(text) if m.same_day(dob)]


# --- digit groups (account numbers, sort codes, phone numbers, card numbers) --------------------
_ANY_DIGIT = re.compile(r"\d")
_DIGIT_RUN = re.compile(r"\+?\(?\d[\d \t\-.()]*\d\)?|\d")
_GROUP = re.compile(r"\d+")


def _digit_groups(text: str) -> Iterable[list[re.Match]]:
    for run in _DIGIT_RUN.finditer(text):
        yield list(_GROUP.finditer(text, run.start(), run.end()))


def _group_spans(groups: list[re.Match], targets: set[str]) -> list[tuple[int, int]]:
    """Spans of consecutive digit groups whose digits together equal one of ``targets``."""
    spans = []
    longest = max(map(len, targets))
    for i in range(len(groups)):
        joined = ""
        for j in range(i, len(groups)):
            joined += groups[j].group()
            if len(joined) > longest:
                break
            if joined in targets:
                spans.append((groups[i].start(), groups[j].end()))
    return spans


def _phone_variants(phone: str) -> set[str]:
    try:
        number = phonenumbers.parse(phone, "GB")
    except phonenumbers.NumberParseException:
        return {digits(phone)} if len(digits(phone)) >= 9 else set()
    national = str(number.national_number)
    cc = str(number.country_code)
    # "seven seven hundred, nine hundred, four eight one, with oh at the start": the 0 said apart.
    return {"0" + national, national, cc + national, cc + "0" + national}


def find_card_numbers(text: str) -> list[tuple[int, int]]:
    """Spans of card numbers: Luhn-valid (13-19 digits, unbroken or in groups of 4, or 4-6-5), or 16
    digits in four groups of four next to a word naming a card (a mistyped card number is card data)."""
    spans = []
    for groups in _digit_groups(text):
        for i in range(len(groups)):
            joined, sizes = "", []
            for j in range(i, len(groups)):
                joined += groups[j].group()
                sizes.append(len(groups[j].group()))
                if len(joined) > 19:
                    break
                card_like = len(sizes) == 1 or sizes[:-1] == [4] * (len(sizes) - 1) or sizes == [4, 6, 5]
                if (
                    13 <= len(joined)
                    and card_like
                    and joined[0] in "3456"
                    and (luhn.is_valid(joined) or (sizes == [4, 4, 4, 4] and _named_card(text, groups[i], groups[j])))
                ):
                    spans.append((groups[i].start(), groups[j].end()))
                    break
    return spans


_CARD_CUE = re.compile(r"\b(?:card|cc|pan|long number|exp(?:iry|ires)?)\b", re.I)


def _named_card(text: str, first: re.Match, last: re.Match) -> bool:
    """Whether a card is named just before the number ("card no. 4539 …") or its expiry just after."""
    return bool(_CARD_CUE.search(text[max(0, first.start() - 25) : first.start()])) or bool(
        re.match(r"\W{0,3}exp", text[last.end() : last.end() + 8], re.I)
    )


# --- money ---------------------------------------------------------------------------------------
_MONEY = re.compile(
    r"(?P<pound>£)\s?(?P<a>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<p>\d{1,2}))?"
    r"|(?<![\d,.£])(?P<a2>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<p2>\d{2}))?(?![\d,]|\.\d)(?P<unit>\s*(?:pounds?|quid|gbp)\b)?",
    re.I,
)


# "12 pounds and 50 pence", "£12 50p", "1284 pounds 50" (numbers said in words are digits by now).
_POUNDS_PENCE = re.compile(
    r"(?:£\s?)?(?P<a>\d{1,3}(?:,\d{3})+|\d+)\s*(?:pounds?|quid|£)?\s*(?:and\s+)?(?P<p>\d{1,2})\s*(?:pence|p)\b"
    r"|(?P<a2>\d{1,3}(?:,\d{3})+|\d+)\s*(?:pounds?|quid)\s+(?:and\s+)?(?P<p2>\d{1,2})\b",
    re.I,
)


def _money_matches(text: str, amount: Decimal) -> list[tuple[int, int]]:
    low = text.lower()
    spans = (
        [
            m.span()
            for m in _POUNDS_PENCE.finditer(text)
            if Decimal((m["a"] or m["a2"]).replace(",", "")) + Decimal(int(m["p"] or m["p2"])) / 100 == amount
        ]
        if "pound" in low or "pence" in low or "quid" in low
        else []
    )
    whole = int(amount)
    for m in _MONEY.finditer(text):
        pounds = m["a"] or m["a2"]
        pence = m["p"] if m["pound"] else m["p2"]
        value = Decimal(pounds.replace(",", ""))
        if pence is not None:
            value += Decimal(pence.ljust(2, "0")) / 100
            if value == amount:
                spans.append((m.start(), m.end()))
        elif (m["pound"] or m["unit"] or "," in pounds) and value == whole:
            spans.append((m.start(), m.end()))
        elif value == whole and _BALANCE_CUE.search(text[max(0, m.start() - 30) : m.start()]):
            spans.append((m.start(), m.end()))  # "you're on 2006", "minus 215": a balance without a £
        elif (m["pound"] or m["unit"]) and _about(text, m.start(), value, amount):
            spans.append((m.start(), m.end()))
    if "k" in low:
        spans.extend(m.span() for m in _THOUSANDS.finditer(text) if _thousands(m, text) == amount)
    return spans


# "3.05k", "£1.2k": an amount in thousands, as people type it.
_THOUSANDS = re.compile(r"(?<![\w.,])(£\s?)?(\d{1,3}(?:\.\d{1,3})?)\s?k\b", re.I)


def _thousands(m: re.Match[str], text: str) -> Decimal | None:
    """The amount a "3.05k" says, when it is money (a £, or said as a balance)."""
    if not m[1] and not _BALANCE_CUE.search(text[max(0, m.start() - 30) : m.start()]):
        return None
    return Decimal(m[2]) * 1000


# Words that present a bare number as the customer's balance ("you're on 2006", "minus 215").
_BALANCE_CUE = re.compile(
    r"(?:\b(?:you(?:'|’)?re|you are|ur|u r|you(?:'|’)?re sitting|sitting) (?:on|at)|\bbalance(?:'s| is| of)"
    r"|\byou(?:'|’)?ve(?: got)?|\byou have(?: got)?|\byou(?:'|’)?ve a"
    r"|\b(?:overdrawn|in the red|in credit) by|\bminus)\W{0,3}(?:\w+\W{1,3})?$",
    re.I,
)
_APPROX = re.compile(
    r"\b(?:about|around|roughly|nearly|almost|approx(?:imately|\.)?|just (?:under|over|below|above)"
    r"|a (?:bit|little) (?:under|over|less than|more than)|(?:under|over|less than|more than))\s*$",
    re.I,
)


def _about(text: str, start: int, value: Decimal, amount: Decimal) -> bool:
    """ "just under £1,285" for £1,284.50: an amount said roughly, within 2% (or £5) of a balance of £100+."""
    if amount < 100 or not _APPROX.search(text[max(0, start - 25) : start]):
        return False
    return abs(value - amount) <= max(Decimal(5), amount * Decimal("0.02"))


# --- words and addresses -------------------------------------------------------------------------
ABBREVIATIONS = {
    "rd": "road",
    "st": "street",
    "str": "street",
    "ave": "avenue",
    "av": "avenue",
    "ln": "lane",
    "dr": "drive",
    "cres": "crescent",
    "cl": "close",
    "ct": "court",
    "crt": "court",
    "pl": "place",
    "sq": "square",
    "gdns": "gardens",
    "gdn": "garden",
    "tce": "terrace",
    "terr": "terrace",
    "gr": "grove",
    "gro": "grove",
    "pk": "park",
    "hse": "house",
    "apt": "flat",
    "apartment": "flat",
    "mt": "mount",
    "wy": "way",
    "wlk": "walk",
    "hts": "heights",
    "mws": "mews",
}
_EXPANSIONS = set(ABBREVIATIONS.values())
_WORD = re.compile(r"[A-Za-z0-9]+")
_GENERIC_LINE = re.compile(r"^(flat|studio|unit|apartment|apt|room)\s*\w{1,4}$", re.I)


def _norm_token(token: str) -> str:
    token = token.lower()
    return ABBREVIATIONS.get(token, token)


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(_norm_token(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]


def _sequence_spans(tokens: list[tuple[str, int, int]], wanted: tuple[str, ...]) -> list[tuple[int, int]]:
    n = len(wanted)
    spans = []
    for i in range(len(tokens) - n + 1):
        if tokens[i][0] == wanted[0] and all(tokens[i + k][0] == wanted[k] for k in range(1, n)):
            spans.append((tokens[i][1], tokens[i + n - 1][2]))
    return spans


EMAIL = re.compile(r"[\w.+\-']+@[\w\-]+(?:\.[\w\-]+)+")
_LAST4 = LAST4  # "ending in 4321": the same reading as the desk's last-four answers


# A value inside another address or organisation's details is not the customer's.
_OTHER_ADDRESS = re.compile(r"\bp\.?\s?o\.?\s?box\b|\bfreepost\b", re.I)
_ORGANISATION_AFTER = re.compile(
    r"\s+(?:city council|council|branch|office|head office|hospital|university|college|station|airport|building society"
    r"|ltd|limited|plc|depot|store|centre|center|contact centre|service centre|team)\b",
    re.I,
)
# A sentence that places the customer somewhere: "you're in Leeds", "your address", "sent to", "lives".
_SAYS_WHERE = re.compile(
    r"\b(?:your|you|you(?:'|’)(?:re|ve)|ur|u|address|live[sd]?|living|based|registered|sent|send|post(?:ed)?|deliver(?:ed)?"
    r"|moved|home)\b",
    re.I,
)
_PLACE_FIELDS = {"town", "address_line1", "address_line2", "postcode_part"}
_NAMES_PART = {
    "account_number_start": re.compile(r"\baccount\b|\ba/c\b", re.I),
    "account_number_end": re.compile(r"\baccount\b|\ba/c\b", re.I),
    "sort_code_start": re.compile(r"\bsort ?code\b", re.I),
    "sort_code_end": re.compile(r"\bsort ?code\b", re.I),
}
# A cheap test before PART_OF's patterns: one of these in the text (lower case) for any of them to match.
_PART_WORDS = (
    *("post", "live", "living", "address", "area", "born", "birth", "d.o.b", "dob", "baby", "year you"),
    *("account", "a/c", "acc", "sort"),
)


def _has_letter_and_digit(value: str) -> bool:
    return any(c.isalpha() for c in value) and any(c.isdigit() for c in value)


_MONTH_STEMS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _may_name_a_month(text: str) -> bool:
    low = text.lower()  # (substring tests: faster than one pattern of alternatives)
    return any(m in low for m in _MONTH_STEMS)


def _may_be_part(text: str) -> bool:
    low = text.lower()
    return any(w in low for w in _PART_WORDS)


_WHOLE_OF = {
    "postcode_part": {"postcode"},
    "birth_year": {"date_of_birth"},
    "birth_month": {"date_of_birth"},
    "account_number_start": {"account_number"},
    "account_number_end": {"account_number", "account_number_last4"},
    "sort_code_start": {"sort_code"},
    "sort_code_end": {"sort_code"},
}
_PARTS = (
    "postcode_part",
    "birth_year",
    "birth_month",
    "account_number_start",
    "account_number_end",
    "sort_code_start",
    "sort_code_end",
)


SPOKEN_MEMO = 4096  # rewritten texts kept per session (a session is a few hundred messages)


class CustomerMatcher:
    """Finds one customer's known values in text. Build once per session; ``find`` per message.

    Each text is read as written and, when something in it is said in words (``spoken.rewrite``), as
    typed; both readings are searched once for every field. Parts of a value (the outward code, the year
    of birth, leading or trailing digits) count only where the sentence presents them as the customer's,
    except in what the caller says (``caller=True``), where names also match in any case.
    """

    def __init__(self, customer: Mapping[str, str]) -> None:
        self.customer = customer
        self.dob = parse_date(customer.get("date_of_birth", "")) if customer.get("date_of_birth") else None
        self.postcode = normalise_postcode(customer.get("postcode", ""))
        self.outward = outward_code(self.postcode)
        self.email = customer.get("email", "").lower()
        self.digit_targets: dict[str, set[str]] = {}
        for field in ("account_number", "sort_code"):
            if len(digits(customer.get(field, ""))) >= 6:
                self.digit_targets[field] = {digits(customer[field])}
        if customer.get("phone") and (variants := _phone_variants(customer["phone"])):
            self.digit_targets["phone"] = variants
        self.last4 = digits(customer.get("account_number", ""))[-4:]
        self.parts = _digit_parts(customer)
        sort = digits(customer.get("sort_code", ""))
        # (the first pair names the bank, the same for every customer: only the last pair is theirs)
        self.sort_pairs = {"sort_code_end": sort[-2:]} if len(sort) == 6 else {}
        self.balance = _balance(customer.get("balance", ""))
        self.balance_digits = digits(f"{self.balance:.2f}") if self.balance is not None and self.balance % 1 else ""
        # One pattern per side for every value said in single words, so each text is scanned once: the
        # memorable word, the names, the email's local part and the town. A learner's lower-case "rose" or
        # "mark" is a word, not a name, unless after a title ("mr okafor") or not an English word at all;
        # what the caller says counts in any case ("janes mum").
        learner: dict[str, str] = {}  # (the longest first: an email's local part holds the first name)
        local = customer.get("email", "").lower().partition("@")[0]
        if len(local) >= 4 and local not in {n.lower() for n in _names(customer).values()}:
            learner["email_local"] = rf"(?i:(?<![\w.+\-]){re.escape(local)}(?![\w+\-]|\.\w|@))"
        caller = dict(learner)
        word = customer.get("memorable_word", "")
        if len(word) >= 3:
            learner["memorable_word"] = caller["memorable_word"] = rf"(?i:\b{re.escape(word)}\b)"
        for field, name in _names(customer).items():
            said = re.escape(name).replace(r"\-", r"[\-\s]?")  # "Ellis-Morgan", typed "ellis morgan" too
            titled = "|".join(f"(?<=\\b{re.escape(t)} )" for t in _TITLES)
            learner[field] = rf"(?<![\w'-]){said}(?![\w-])|(?i:(?:{titled}){said})(?![\w-])"
            if not is_word(name):
                learner[field] = rf"(?i:(?<![\w'-]){said})(?![\w-])"
            caller[field] = rf"(?i:(?<![\w'-]){said})(?=(?:['’]?s)?(?![\w-]))"
        town = customer.get("town", "").strip()
        if town:
            said = rf"(?<![\w-]){re.escape(town)}(?![\w-])"
            learner["town"], caller["town"] = (said if " " not in town else f"(?i:{said})"), f"(?i:{said})"
        self.words = {side: _one_pattern(patterns) for side, patterns in (("learner", learner), ("caller", caller))}
        # A cheap test first: the pattern can only match a text holding one of these (lower case).
        values = [local, word, town, *_names(customer).values()]
        # (a double-barrelled name by its first part: "Ellis-Morgan" may be typed "ellis morgan")
        self.word_values = tuple({v.lower().partition("-")[0] for v in values if v and len(v) >= 2})
        self.sequences = _word_sequences(customer)
        # A cheap pre-check: tokenise only texts containing a distinctive word of a name or address.
        self._keywords = _keywords(self.sequences)
        self._before = ""
        self._spoken: dict[str, Spoken | None] = {}

    def find(self, text: str, caller: bool = False, before: str = "") -> list[Match]:
        """Every known value in ``text``; overlapping shorter matches inside longer ones are dropped.

        ``caller``: the text is what the caller said (names in any case; parts without a "your").
        ``before``: the caller's message just before, which may say what a part is part of ("which
        postcode have you got?" then "one in BD7, that right?").
        """
        plain = ascii_digits(text)
        self._before = before
        found = self._scan(plain, caller)
        spoken = self.spoken(plain)
        if spoken is not None:
            found.extend((f, *spoken.span(s, e)) for f, s, e in self._scan(spoken.text, caller, said=True))
        found = [f for f in found if f[0] not in _PLACE_FIELDS or not self._elsewhere(plain, f[1], f[2])]
        return _drop_nested(found, text)

    def spoken(self, text: str) -> Spoken | None:
        """``spoken.rewrite(text)``, once per text in this session (several rules read each message)."""
        if text not in self._spoken:
            if len(self._spoken) >= SPOKEN_MEMO:
                self._spoken.clear()
            self._spoken[text] = rewrite(ascii_digits(text))
        return self._spoken[text]

    def _scan(self, text: str, caller: bool, said: bool = False) -> list[tuple[str, int, int]]:
        """Every value in ``text``; ``said``: the text is a spoken reading (amounts in digits only)."""
        found: list[tuple[str, int, int]] = []
        if _ANY_DIGIT.search(text) is not None:
            self._find_numbers(text, found, said)
        if self.postcode:
            _add(
                found,
                "postcode",
                [
                    (m.start(), m.end())
                    for m in POSTCODE.finditer(text)
                    if normalise_postcode(m.group()) == self.postcode
                ],
            )
        if self.email and "@" in text:
            _add(
                found,
                "email",
                [(m.start(), m.end()) for m in EMAIL.finditer(text) if m.group().lower().rstrip(".") == self.email],
            )
        self._find_words(text, found, caller)
        self._find_parts(text, found, caller)
        return found

    def _find_numbers(self, text: str, found: list[tuple[str, int, int]], said: bool = False) -> None:
        """The values written with digits: date of birth, account and sort code, phone, last four, balance."""
        if self.dob:
            _add(found, "date_of_birth", _date_matches(text, self.dob))
        for groups in _digit_groups(text):
            for field, targets in self.digit_targets.items():
                _add(found, field, [(s - (s > 0 and text[s - 1] == "+"), e) for s, e in _group_spans(groups, targets)])
            if said and self.balance_digits:  # "nine-twelve forty" said for £912.40
                _add(found, "balance", _group_spans(groups, {self.balance_digits}))
        if self.last4:
            _add(
                found,
                "account_number_last4",
                [m.span(1) for m in _LAST4.finditer(text) if digits(m.group(1)) == self.last4],
            )
        if self.balance is not None:
            _add(found, "balance", _money_matches(text, self.balance))

    def _find_words(self, text: str, found: list[tuple[str, int, int]], caller: bool) -> None:
        """The values written in words: memorable word, names, email's local part, address lines, town."""
        pattern = self.words["caller" if caller else "learner"]
        towns: list[tuple[int, int]] = []
        low = text.lower()
        if pattern is not None and any(v in low for v in self.word_values):
            for m in pattern.finditer(text):
                if m.lastgroup == "town":
                    towns.append(m.span())
                elif m.lastgroup:
                    found.append((m.lastgroup, *m.span()))
        if self.sequences and self._keywords.search(text):
            tokens = _tokens(text)
            for field, variants in self.sequences.items():
                for wanted in variants:
                    _add(found, field, _sequence_spans(tokens, wanted))
        if towns and not caller:  # the town alone is the customer's only where it is said to be ("you're in Leeds")
            sentences_ = sentences(text)
            towns = [(a, b) for a, b in towns if _SAYS_WHERE.search(_sentence(text, a, sentences_))]
        _add(found, "town", towns)

    def _find_parts(self, text: str, found: list[tuple[str, int, int]], caller: bool) -> None:
        """Parts of a value: the outward code, sector or area of the postcode, the year or month of birth,
        leading or trailing digits of the account number or sort code; each where it is presented as
        the customer's (anything the caller says counts as said)."""
        before = self._before
        if caller and not (len(text) <= 24 or _may_be_part(text)):
            return  # a caller gives a part as a short answer ("LS1") or names it ("my postcode starts…")
        if caller and _ANY_DIGIT.search(text) is None and MONTH.search(text) is None:
            return  # every part the caller can give has a digit or a month in it
        # An outward code ("RG1", "NP20") has the postcode's shape: it says what it is part of by itself.
        outward = not caller and bool(self.outward) and self.outward in text.upper()
        if not caller and not outward and not _may_be_part(text) and not (before and _may_be_part(before)):
            return
        if caller:  # what the caller gave whole gives its parts already (context.IMPLIES)
            whole = {f for f, _, _ in found}
            wanted = {part for part in _PARTS if not whole & _WHOLE_OF[part]}
        else:
            wanted = {part for part in _PARTS if PART_OF[part].search(text) or PART_OF[part].search(before)}
            wanted |= {"postcode_part"} if outward else set()
        if not wanted:
            return
        candidates = self._part_candidates(text, wanted)
        if caller:
            found.extend(candidates)
            found.extend(self._date_said_in_pieces(text))
            return
        spans = sentences(text)
        verdicts: dict[tuple[str, int, bool], bool] = {}  # per sentence: "LS1 LS1 LS1 …" is read once
        for field, start, end in candidates:
            shaped = field == "postcode_part" and _has_letter_and_digit(text[start:end])
            a, b = next(((a, b) for a, b in spans if a <= start < b), (-1, len(text)))  # (-1: the whole text)
            if (field, a, shaped) not in verdicts:
                verdicts[field, a, shaped] = presented_as_yours(field, text[max(a, 0) : b], before, shaped)
            if verdicts[field, a, shaped]:
                found.append((field, start, end))

    def _part_candidates(self, text: str, wanted: set[str]) -> list[tuple[str, int, int]]:
        """Every span of ``text`` that is a wanted part of the customer's values, wherever it stands."""
        out: list[tuple[str, int, int]] = []
        if self.outward and "postcode_part" in wanted:
            sector, area = self.postcode[:-2], re.match(r"[A-Z]+", self.postcode)
            codes = OUTWARD.finditer(text)
            out.extend(
                ("postcode_part", *m.span()) for m in codes if normalise_postcode(m.group()) in (self.outward, sector)
            )
            out.extend(
                ("postcode_part", m.start(1), m.end(2) if m[2] else m.end(1))
                for m in AREA.finditer(text)
                if area and (m[1] + (m[2] or "")).upper() == area.group()
            )
        if self.dob and "birth_year" in wanted and (_ANY_DIGIT.search(text) or _may_name_a_month(text)):
            out.extend(self._birth_parts(text))
        if _ANY_DIGIT.search(text) is None:
            return out
        digit_parts = [(f, v) for f, v in self.parts.items() if f in wanted]
        named = [(f, v) for f, v in digit_parts if _NAMES_PART[f].search(text)]
        digit_parts = named or digit_parts  # "your sort code ends 12-34": the sort code's, not the account's
        edge = EDGE.search(text) is not None
        for m in DIGIT_GROUP.finditer(text):
            said = digits(m.group())
            if len(said) == 3 and not edge:
                continue  # three digits are a part only beside "ending", "last", "finishing"
            out.extend((field, *m.span()) for field, values in digit_parts if said in values)
        if self.sort_pairs and {"sort_code_start", "sort_code_end"} & wanted:
            for m in EDGE_PAIR.finditer(text):
                out.extend((field, *m.span(1)) for field, pair in self.sort_pairs.items() if m[1] == pair)
        return out

    def _birth_parts(self, text: str) -> list[tuple[str, int, int]]:
        """The year (also "born in 85") or month of birth, or the whole date written as DDMMYY."""
        dob = self.dob
        if dob is None:
            return []
        out = [("birth_year", *m.span()) for m in YEAR.finditer(text) if int(m.group()) == dob.year]
        out.extend(("birth_year", *m.span()) for m in SHORT_YEAR.finditer(text) if int(m[1]) == dob.year % 100)
        months = MONTH.finditer(text)
        out.extend(("birth_month", *m.span()) for m in months if MONTHS.get(m.group().lower()) == dob.month)
        compact = f"{dob.day:02d}{dob.month:02d}{dob.year % 100:02d}"
        out.extend(("date_of_birth", *m.span()) for m in COMPACT_DATE.finditer(text) if m.group() == compact)
        return out

    def _date_said_in_pieces(self, text: str) -> list[tuple[str, int, int]]:
        """The caller's date of birth said in pieces ("August nineteen ninety... the ninth"): the day, month
        and year all in one message."""
        dob = self.dob
        if dob is None:
            return []
        month = next((m for m in MONTH.finditer(text) if MONTHS.get(m.group().lower()) == dob.month), None)
        if month is None:
            return []
        year = next((m for m in YEAR.finditer(text) if int(m.group()) == dob.year), None)
        day = re.search(rf"(?<![\d/.\-]){dob.day}(?:st|nd|rd|th)?(?![\d/.\-])", text)
        if year is None or month is None or day is None:
            return []
        spans = (year.span(), month.span(), day.span())
        return [("date_of_birth", min(a for a, _ in spans), max(b for _, b in spans))]

    def _elsewhere(self, text: str, start: int, end: int) -> bool:
        """Whether the place at ``start:end`` belongs to another address or organisation: a PO box or
        another postcode near it, or an organisation's word after it ("Leeds branch")."""
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        window = text[max(line_start, start - 60) : min(line_end if line_end >= 0 else len(text), end + 30)]
        if _OTHER_ADDRESS.search(window) or _ORGANISATION_AFTER.match(text, end):
            return True
        return any(normalise_postcode(m.group()) != self.postcode for m in POSTCODE.finditer(window))


_TITLES = ("mr", "mrs", "ms", "miss", "mx", "dr", "mr.", "mrs.", "ms.", "dr.")


def _one_pattern(patterns: dict[str, str]) -> re.Pattern[str] | None:
    """One pattern whose named groups are the fields (``lastgroup`` says which matched)."""
    return re.compile("|".join(f"(?P<{field}>{p})" for field, p in patterns.items())) if patterns else None


def _sentence(text: str, pos: int, spans: list[tuple[int, int]]) -> str:
    return next((text[a:b] for a, b in spans if a <= pos < b), text)


def _names(customer: Mapping[str, str]) -> dict[str, str]:
    """First, middle and last name (single words of at least two letters)."""
    names = {f: customer.get(f, "").strip() for f in ("first_name", "last_name")}
    full = (customer.get("full_name") or "").split()
    if len(full) >= 3 and full[0] == names["first_name"] and full[-1] == names["last_name"]:
        names["middle_name"] = " ".join(full[1:-1])
    return {f: n for f, n in names.items() if len(n) >= 2}


def _digit_parts(customer: Mapping[str, str]) -> dict[str, set[str]]:
    """Leading and trailing digits that identify the account number (3 or more) or sort code (4)."""
    parts: dict[str, set[str]] = {}
    account, sort = digits(customer.get("account_number", "")), digits(customer.get("sort_code", ""))
    if len(account) >= 6:
        parts["account_number_start"] = {account[:n] for n in range(4, len(account))}
        parts["account_number_end"] = {account[-n:] for n in range(3, len(account))}
    if len(sort) == 6:
        parts["sort_code_start"], parts["sort_code_end"] = {sort[:4]}, {sort[-4:]}
    return parts


def _add(found: list[tuple[str, int, int]], field: str, spans: Iterable[tuple[int, int]]) -> None:
    found.extend((field, s, e) for s, e in spans)


def _balance(value: str) -> Decimal | None:
    """The balance as a positive amount worth looking for (under £1 is too common to count), or None."""
    if not value:
        return None
    try:
        balance = abs(Decimal(value.replace(",", "").replace("£", "")))
    except InvalidOperation:
        return None
    return balance if balance >= 1 else None


def _word_sequences(customer: Mapping[str, str]) -> dict[str, list[tuple[str, ...]]]:
    """Field -> the token sequences that say it: the full name, and each address line (also without
    its house number)."""
    sequences: dict[str, list[tuple[str, ...]]] = {}
    full = customer.get("full_name") or " ".join(filter(None, (customer.get("first_name"), customer.get("last_name"))))
    full_tokens = tuple(t for t, _, _ in _tokens(full))
    if len(full.split()) >= 2 and full_tokens:  # a name of symbols alone has no words to find
        sequences["full_name"] = [full_tokens]
    for field in ("address_line1", "address_line2"):
        value = customer.get(field, "").strip()
        if not value or _GENERIC_LINE.match(value):
            continue
        toks = tuple(t for t, _, _ in _tokens(value))
        if not toks:  # e.g. an address line of emoji or punctuation: no words to find
            continue
        variants = [toks]
        if len(toks) >= 3 and toks[0][0].isdigit():
            variants.append(toks[1:])  # the street without the house number
        sequences[field] = variants
    return sequences


def _keywords(sequences: dict[str, list[tuple[str, ...]]]) -> re.Pattern[str]:
    """The most distinctive word of each sequence (and its abbreviations), as one pattern."""
    words: set[str] = set()
    for variants in sequences.values():
        for seq in variants:
            plain = [t for t in seq if t not in _EXPANSIONS]
            word = max(plain or seq, key=len)
            words.add(word)
            words.update(k for k, v in ABBREVIATIONS.items() if v == word)
    return re.compile("|".join(map(re.escape, sorted(words))) or "(?!)", re.I)


def _drop_nested(found: list[tuple[str, int, int]], text: str) -> list[Match]:
    found.sort(key=lambda f: (f[1], -(f[2] - f[1]), f[0]))
    kept: list[Match] = []
    for field, start, end in found:
        if any(k.start <= start and end <= k.end for k in kept):
            continue
        kept.append(Match(field, start, end, text[start:end]))
    return kept
