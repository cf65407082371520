"""What every rule needs, folded once from a session: ID&V status and what the caller had said."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .document import DocumentEvent, SessionDocument
from .language import is_refusal, sentence_at, sentences
from .matching import CustomerMatcher, Match

NOT_VERIFIED, VERIFIED, LOCKED = "not_verified", "verified", "locked"
# ID&V factor -> the customer fields whose values are its answers.
FACTOR_FIELDS = {
    "date_of_birth": ("date_of_birth",),
    "postcode": ("postcode",),
    "memorable_word_characters": ("memorable_word",),
    "account_number_last4": ("account_number_last4", "account_number"),
}
# A correct ID&V answer gives the caller's knowledge of these fields (characters give no whole word).
ANSWER_GIVES: dict[str, tuple[str, ...]] = {
    "date_of_birth": ("date_of_birth",),
    "postcode": ("postcode",),
    "account_number_last4": ("account_number_last4",),
}
# Giving one value also gives these (the caller who says their full name has said their first name).
IMPLIES = {"full_name": ("first_name", "last_name"), "account_number": ("account_number_last4",)}
FIELD_LABELS = {
    "full_name": "full name",
    "first_name": "first name",
    "last_name": "surname",
    "date_of_birth": "date of birth",
    "address_line1": "address",
    "address_line2": "address",
    "town": "town",
    "postcode": "postcode",
    "email": "email address",
    "phone": "phone number",
    "account_number": "account number",
    "account_number_last4": "last four digits of the account number",
    "sort_code": "sort code",
    "memorable_word": "memorable word",
    "balance": "balance",
}


@dataclass(frozen=True)
class Step:
    """One event with the state just before it."""

    event: DocumentEvent
    status: str  # ID&V status: not_verified, verified or locked
    failures: int  # failed ID&V answers so far
    given: frozenset[str]  # customer fields the caller has already said in this contact


@dataclass(frozen=True)
class Disclosure:
    """A customer value in a learner's message that the caller had not given, outside a refusal."""

    step: Step
    match: Match


class Context:
    """A session with its steps folded; rules read from this instead of re-walking the events."""

    def __init__(self, session: SessionDocument) -> None:
        self.session = session
        self.policy = session.policy
        self.matcher = CustomerMatcher(session.customer)
        self.steps = self._fold()

    def _fold(self) -> list[Step]:
        steps: list[Step] = []
        status, failures, given = NOT_VERIFIED, 0, set[str]()
        for ev in self.session.events:
            steps.append(Step(ev, status, failures, frozenset(given)))
            if ev.type == "message.received":
                given.update(m.field for m in self.matcher.find(ev.data["text"]))
            elif ev.type == "idv.answer":
                if ev.data.get("match") is True:
                    given.update(ANSWER_GIVES.get(ev.data["factor"], ()))  # a required key
                given.update(m.field for m in self.matcher.find(str(ev.data.get("given") or "")))
                if status == NOT_VERIFIED and ev.data.get("match") is not True:
                    failures += 1
                    if failures >= self.policy.lockout_attempts:
                        status = LOCKED
            elif ev.type == "idv.result":
                status = VERIFIED if ev.data["passed"] else LOCKED
            for field, implied in IMPLIES.items():
                if field in given:
                    given.update(implied)
        return steps

    def of_type(self, *types: str) -> list[Step]:
        return [s for s in self.steps if s.event.type in types]

    @cached_property
    def closed(self) -> DocumentEvent | None:
        return next((s.event for s in self.steps if s.event.type == "contact.closed"), None)

    @cached_property
    def disclosures(self) -> list[Disclosure]:
        """Customer values the learner wrote to the caller that the caller had not already given."""
        found = []
        for step in self.of_type("message.sent"):
            text = step.event.data["text"]
            matches = [m for m in self.matcher.find(text) if m.field not in step.given]
            if not matches:
                continue
            spans = sentences(text)
            for m in matches:
                sentence = sentence_at(text, m.start, spans)
                if not is_refusal(sentence):
                    found.append(Disclosure(step, m))
        return found

    @cached_property
    def factor_fields(self) -> set[str]:
        return {f for factor in self.policy.idv_factors for f in FACTOR_FIELDS.get(factor, ())}
