"""What every rule needs, folded once from a session: ID&V status and what the caller had said."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import cached_property
from typing import Any, Mapping

from .document import DocumentEvent, SessionDocument
from .language import is_refusal, sentence_at, sentences
from .matching import CustomerMatcher, Match
from .spoken import NUMBER_WORD

NOT_VERIFIED, VERIFIED, LOCKED = "not_verified", "verified", "locked"
# ID&V factor -> the customer fields whose values are its answers.
FACTOR_FIELDS = {
    "date_of_birth": ("date_of_birth", "birth_year", "birth_month"),
    "postcode": ("postcode", "postcode_part"),
    "memorable_word_characters": ("memorable_word",),
    # the answer is the last four digits: the whole number, or its first digits, are not the answer
    "account_number_last4": ("account_number_last4", "account_number_end"),
}
# A correct ID&V answer gives the caller's knowledge of these fields (characters give no whole word).
ANSWER_GIVES: dict[str, tuple[str, ...]] = {
    "date_of_birth": ("date_of_birth",),
    "postcode": ("postcode",),
    "account_number_last4": ("account_number_last4",),
}
# Giving one value also gives these (the caller who says their full name has said their first name).
# (In order: what one gives, the next may give in turn.)
IMPLIES = {
    "full_name": ("first_name", "last_name", "middle_name"),
    "account_number": ("account_number_last4", "account_number_start", "account_number_end"),
    "account_number_last4": ("account_number_end",),
    "date_of_birth": ("birth_year", "birth_month"),
    "postcode": ("postcode_part",),
    "sort_code": ("sort_code_start", "sort_code_end"),
    "email": ("email_local",),
}
FIELD_LABELS = {
    "full_name": "full name",
    "first_name": "first name",
    "middle_name": "middle name",
    "last_name": "surname",
    "date_of_birth": "date of birth",
    "birth_year": "year of birth",
    "birth_month": "month of birth",
    "address_line1": "address",
    "address_line2": "address",
    "town": "town",
    "postcode": "postcode",
    "postcode_part": "postcode (its first part)",
    "email": "email address",
    "email_local": "email address (the part before the @)",
    "phone": "phone number",
    "account_number": "account number",
    "account_number_last4": "last four digits of the account number",
    "account_number_start": "account number (its first digits)",
    "account_number_end": "account number (its last digits)",
    "sort_code": "sort code",
    "sort_code_start": "sort code (its first digits)",
    "sort_code_end": "sort code (its last digits)",
    "memorable_word": "memorable word",
    "balance": "balance",
}


# Events that end a run of the learner's messages (a value split across them no longer joins up).
BREAKS = {"message.received", "idv.answer", "idv.result", "contact.closed"}
SPLIT_FIELDS = {
    "phone",
    "account_number",
    "sort_code",
    "postcode",
    "email",
    "date_of_birth",
    "account_number_last4",
    "balance",
}


_EDGE = re.compile(rf"[\w@.+\-/£,]*(?:\d|@|\.)[\w@.+\-/£,]*|{NUMBER_WORD}", re.I)
SPLIT_WORDS = 8  # words each side of the join that are read


def split_matches(matcher: CustomerMatcher, first: str, second: str, caller: bool = False) -> list[Match]:
    """Values typed over two messages in a row: the end of ``first`` and the start of ``second`` together
    make a value that neither holds alone. Only the words at the join are read, and each side must be a
    fragment of a value (a word with a digit, an @ or a dot, or a number word, at the join), so that
    joining two unrelated sentences does not make one."""
    head_words, tail_words = first[-100:].split()[-SPLIT_WORDS:], second[:100].split()[:SPLIT_WORDS]
    if not head_words or not tail_words:
        return []
    if not _EDGE.fullmatch(head_words[-1]) or not _EDGE.fullmatch(tail_words[0].rstrip(",.!?")):
        return []
    head, tail = " ".join(head_words), " ".join(tail_words)
    # Typed on: "£3,0" then "50.00", "07700" then "900123", "jane.smith42" then "@example.com".
    typed_on = head[-1] in "0123456789@.,£-/" and (tail[0].isdigit() or tail[0] in "@.") or tail[0] in "@."
    glue = "" if typed_on else " "
    joined = f"{head}{glue}{tail}"
    cut = len(head)
    out = []
    for m in matcher.find(joined, caller):
        if m.field in SPLIT_FIELDS and m.start < cut < m.end:
            left, right = joined[m.start : cut], joined[cut + len(glue) : m.end]
            if len(re.sub(r"\W", "", left)) >= 2 and len(re.sub(r"\W", "", right)) >= 2:
                out.append(m)
    return out


@dataclass(frozen=True)
class Step:
    """One event with the state just before it."""

    event: DocumentEvent
    status: str  # ID&V status: not_verified, verified or locked
    failures: int  # failed ID&V answers so far
    given: frozenset[str]  # customer fields the caller has already said in this contact


@dataclass(frozen=True)
class Disclosure:
    """A customer value in a learner's message (or split over two in a row: ``seqs``) that the caller
    had not given, outside a refusal."""

    step: Step
    match: Match
    seqs: tuple[int, ...]


def _imply(given: set[str]) -> None:
    """Add what the fields in ``given`` give in turn (a full name gives the first name)."""
    for field, implied in IMPLIES.items():
        if field in given:
            given.update(implied)


def _short_form_said(first: str, text: str) -> bool:
    """Whether the caller called themselves by a short form of their first name ("Mo" for Mohammed,
    "Dan" for Daniel): a capitalised word of two or more letters that the name starts with."""
    if len(first) < 3 or first[:2] not in text:
        return False
    return any(first.startswith(w) and len(w) < len(first) for w in re.findall(r"\b[A-Z][a-z]+\b", text))


@dataclass
class Progress:
    """ID&V and what the caller has said, as it stands before the next event: what ``Context`` folds over
    a whole session and ``fold`` keeps between events (``to_json``/``from_json`` for storing it)."""

    status: str = NOT_VERIFIED
    failures: int = 0
    given: set[str] = dc_field(default_factory=set)
    said: frozenset[str] = frozenset()  # ``given`` as the steps keep it (new only when it grows)
    heard: str = ""  # the caller's message just before, for a value split over two

    def step(self, ev: DocumentEvent) -> Step:
        """The step for ``ev``: the event with the state just before it."""
        if len(self.said) != len(self.given):
            _imply(self.given)
            self.said = frozenset(self.given)
        return Step(ev, self.status, self.failures, self.said)

    def advance(self, ctx: Context, ev: DocumentEvent) -> None:
        """Take ``ev`` into account (after ``step(ev)``)."""
        if ev.type == "message.received":
            self.given.update(ctx._said_by_caller(self.heard, ev.data["text"]))
            self.heard = ev.data["text"]
        elif ev.type == "message.sent":
            self.heard = ""
        elif ev.type == "idv.answer":
            if ev.data.get("match") is True:
                self.given.update(ANSWER_GIVES.get(ev.data["factor"], ()))  # a required key
            self.given.update(m.field for m in ctx.matcher.find(str(ev.data.get("given") or ""), caller=True))
            if self.status == NOT_VERIFIED and ev.data.get("match") is not True:
                self.failures += 1
                if self.failures >= ctx.policy.lockout_attempts:
                    self.status = LOCKED
        elif ev.type == "idv.result":
            self.status = VERIFIED if ev.data["passed"] else LOCKED

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "failures": self.failures,
            "given": sorted(self.given),
            "said": sorted(self.said),
            "heard": self.heard,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Progress:
        return cls(raw["status"], raw["failures"], set(raw["given"]), frozenset(raw["said"]), raw["heard"])


@dataclass
class Window:
    """What a learner's message is read with for disclosures: the learner's message just before it, if
    nothing came between (a value split over two), and the caller's last message."""

    before: tuple[int, str] | None = None  # (seq, text)
    heard: str = ""

    def disclosures(self, ctx: Context, step: Step) -> list[Disclosure]:
        """The disclosures ``step`` makes, then ``step`` taken into account."""
        if step.event.type != "message.sent":
            self.before = None if step.event.type in BREAKS else self.before
            self.heard = step.event.data["text"] if step.event.type == "message.received" else self.heard
            return []
        found = []
        text = step.event.data["text"]
        spans: list[tuple[int, int]] | None = None
        refusals: dict[str, bool] = {}  # per sentence: a long message may hold many values
        for m in ctx.matcher.find(text, before=self.heard):
            if m.field in step.given:
                continue
            spans = sentences(text) if spans is None else spans
            sentence = sentence_at(text, m.start, spans)
            if sentence not in refusals:
                refusals[sentence] = is_refusal(sentence)
            if not refusals[sentence]:
                found.append(Disclosure(step, m, (step.event.seq,)))
        if self.before is not None:
            for m in split_matches(ctx.matcher, self.before[1], text):
                if m.field not in step.given:
                    found.append(Disclosure(step, m, (self.before[0], step.event.seq)))
        self.before = (step.event.seq, text)
        return found


class Context:
    """A session with its steps folded; rules read from this instead of re-walking the events.

    ``carry`` is where a rule that reads the steps in order keeps what it needs across them (JSON values,
    under its rule id): the fold (``fold.py``) runs per-event rules one step at a time and keeps it.
    """

    def __init__(self, session: SessionDocument) -> None:
        self.session = session
        self.policy = session.policy
        self.matcher = CustomerMatcher(session.customer)
        self.carry: dict[str, Any] = {}
        self.steps = self._fold()

    def _fold(self) -> list[Step]:
        steps: list[Step] = []
        progress = Progress()
        for ev in self.session.events:
            steps.append(progress.step(ev))
            progress.advance(self, ev)
        return steps

    def _said_by_caller(self, before: str, text: str) -> set[str]:
        """The customer fields the caller's message gives (with the end of their message just before)."""
        fields = {m.field for m in self.matcher.find(text, caller=True)}
        if _short_form_said(str(self.session.customer.get("first_name") or ""), text):
            fields.add("first_name")  # signed "Mo": the learner's "Mohammed" tells them nothing new
        return fields | {m.field for m in split_matches(self.matcher, before, text, caller=True)}

    def of_type(self, *types: str) -> list[Step]:
        return [s for s in self.steps if s.event.type in types]

    @cached_property
    def closed(self) -> DocumentEvent | None:
        return next((s.event for s in self.steps if s.event.type == "contact.closed"), None)

    @cached_property
    def disclosures(self) -> list[Disclosure]:
        """Customer values the learner wrote to the caller that the caller had not already given."""
        window = Window()
        return [d for step in self.steps for d in window.disclosures(self, step)]

    @cached_property
    def factor_fields(self) -> set[str]:
        return {f for factor in self.policy.idv_factors for f in FACTOR_FIELDS.get(factor, ())}
