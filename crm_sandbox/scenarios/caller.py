"""The scripted caller: a deterministic, offline customer that answers the learner.

Pure Python: no Flask, no database, no randomness. The same scenario, customer, history and message
always give the same reply. The app records the learner's message and the caller's reply as events.

How a reply is chosen:

1. The scenario's ``caller.replies`` rules marked ``priority: true`` (first match wins).
2. Verification questions, all answered in one reply (full name, date of birth, postcode, first line
   of the address, characters of the memorable word, last four digits of the account number, a request
   for the full password/PIN/memorable word), plus "anything else?" / goodbye, which end the contact.
3. The scenario's other ``caller.replies`` rules (``when`` keywords, regexes or ``intent:NAME``).
4. Generic intents: confirmations of an action, a card-data warning, a refusal, scenario facts (new
   address, amount, new email), the caller's need (greeting / "how can I help?"), hold, thanks.
5. Otherwise a short filler chosen from the history length.

Optional scenario keys this module reads (the library's schema rules are unchanged):

``brief`` (top level)
    3-5 sentences for an assessor who role-plays the caller (not used here; shown by the app).
``facts`` (top level, or ``caller.facts``)
    Scenario values the caller may say, used as ``{facts.NAME}``. Generic intents use ``new_address``,
    ``new_town``, ``new_postcode`` (asked for the new address), ``new_email`` and ``amount``.
``caller.need``
    What the caller says when asked how the learner can help (default: the opening again).
``caller.introduces``
    A third party's answer to "who am I speaking to?" (default "It's {caller_name}.").
``caller.naive``
    true: the caller gives the full memorable word or password when asked (a learner breach).
``caller.wrong``
    Factor -> the exact wrong answer to give (e.g. ``postcode: "{facts.new_postcode}"``); otherwise a
    plausible wrong value is derived deterministically.
``caller.on_refusal``
    The reaction when the learner declines (cannot discuss, failed security...).
``caller.acks``
    ``update`` / ``refund`` / ``escalation`` / ``complaint``: the reply when the learner confirms it.
``caller.closing``
    The line when the learner asks "anything else?" or says goodbye (ends the contact).
``caller.replies``
    ``[{when: [...], say: "...", ends, once, priority, state, after, min_turn}]``. ``when`` entries are
    plain words/phrases (whole-word, case-insensitive), regular expressions, or ``intent:NAME``
    (a key of ``RX``, or ``intent:any``). Rules are tried in order after the verification answers,
    unless ``priority: true`` (tried first). ``state``: verified | not_verified | locked;
    ``after``: event type(s) that must be in the history; ``once``: say it only once.
``caller.volunteers``
    ``[{at_turn: N, say: "...", state}]``: added once to the reply from the learner's Nth message on
    (e.g. the vulnerable customer's diagnosis, the card's security code).

Placeholders: ``{first_name} {middle_name} {last_name} {full_name} {formal_name} {title} {postcode}
{town} {address} {address_line1} {email} {phone} {balance} {account_last4} {sort_code} {product}
{caller_name} {caller_first_name} {spouse} {parent} {they} {them} {their}`` (capitalised forms too)
and ``{facts.NAME}``. Unknown tokens are left as they are.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import date
from typing import Sequence, TypeVar

from crm_sandbox.compliance.matching import POSTCODE
from crm_sandbox.compliance.normalise import normalise_postcode, parse_date
from crm_sandbox.formatting import money
from crm_sandbox.scenarios.dialogue import replies
from crm_sandbox.scenarios.dialogue import screen as screen_rules
from crm_sandbox.scenarios.dialogue import text as text_rules
from crm_sandbox.scenarios.dialogue.patterns import RX

# What a screen reaction answers, as the caller measure counts it (tests/scenarios/adviser_messages.yaml).
SCREEN_ANSWERS = {"advanced": "instruction", "lost": "instruction", "jargon": "jargon", "describe": "screen"}


@dataclass(frozen=True)
class CallerReply:
    text: str
    ends: bool = False  # True when the caller says goodbye / hangs up
    answered: tuple[str, ...] = ()  # the intents the reply answers or reacts to, in order
    screen: screen_rules.Step | None = None  # the step the caller's simulated screen moved to, if it moved


# --------------------------------------------------------------------------------------------------
# Small helpers

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
ORDINAL_WORDS = {
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
}


T = TypeVar("T")


def _stable(*parts: object) -> int:
    """A stable non-negative hash (``hash()`` changes between runs; this does not)."""
    return zlib.crc32("\x1f".join(str(p) for p in parts).encode("utf-8"))


def _pick(options: Sequence[T], *key: object) -> T:
    return options[_stable(*key) % len(options)]


def ordinal(n: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _scenario_caller(scenario: dict) -> dict:
    return scenario.get("caller") or {}


def _facts(scenario: dict) -> dict:
    facts = dict(scenario.get("facts") or {})
    facts.update(_scenario_caller(scenario).get("facts") or {})
    return facts


def _rules(scenario: dict, key: str) -> list[dict]:
    rules = list(_scenario_caller(scenario).get(key) or []) + list(scenario.get(key) or [])
    return [r for r in rules if isinstance(r, dict)]


def _pronouns(customer: dict) -> dict:
    """Words for the account holder, from their title: ``{spouse}``, ``{parent}``, ``{they}``..."""
    title = (customer.get("title") or "").rstrip(".").lower()
    if title == "mr":
        words = {"spouse": "husband", "parent": "dad", "they": "he", "them": "him", "their": "his"}
    elif title in ("mrs", "miss", "ms"):
        words = {"spouse": "wife", "parent": "mum", "they": "she", "them": "her", "their": "her"}
    else:
        words = {"spouse": "partner", "parent": "parent", "they": "they", "them": "them", "their": "their"}
    words.update({k.capitalize(): v.capitalize() for k, v in list(words.items())})
    return words


def _values(scenario: dict, customer: dict) -> dict:
    """Every placeholder value for ``fill``."""
    c = {k: ("" if v is None else str(v)) for k, v in customer.items()}
    full = " ".join(p for p in (c.get("first_name", ""), c.get("last_name", "")) if p)
    address_parts = [c.get(k, "") for k in ("address_line1", "address_line2", "town", "postcode")]
    values = {
        **c,
        "full_name": full,
        "formal_name": " ".join(p for p in (c.get("title", ""), c.get("last_name", "")) if p),
        "address": ", ".join(p for p in address_parts if p),
        "account_last4": c.get("account_number", "")[-4:],
        "dob": spoken_date(c.get("date_of_birth", ""), 0) if c.get("date_of_birth") else "",
        **_pronouns(customer),
    }
    return values


_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)?)\}", re.I)


def fill(text: str, scenario: dict, customer: dict, _depth: int = 0) -> str:
    """Replace ``{first_name}``, ``{facts.amount}``, ``{caller_name}``... Unknown tokens stay as they are."""
    values = _values(scenario, customer)
    facts = _facts(scenario)

    def sub(m: re.Match) -> str:
        key = m.group(1)
        if key.startswith("facts."):
            value = facts.get(key[6:])
            if value is None:
                return m.group(0)
            value = str(value)
            shown = money(value)
            if m.start() and m.string[m.start() - 1] == "£" and shown.startswith("£"):
                value = shown[1:]  # "£{facts.amount}" with amount 50 reads "£50.00"
            return fill(value, scenario, customer, _depth + 1) if _depth < 3 else value
        if key in ("caller_name", "caller_first_name"):
            name = caller_name(scenario, customer)
            return name if key == "caller_name" else name.split(" ")[0]
        return values.get(key, m.group(0))

    return _PLACEHOLDER.sub(sub, str(text))


def unfilled_placeholders(text: str) -> list[str]:
    """The ``{tokens}`` left in ``text`` (used by the tests to check the YAML)."""
    return [m.group(0) for m in _PLACEHOLDER.finditer(text)]


# --------------------------------------------------------------------------------------------------
# Public API


def caller_name(scenario: dict, customer: dict) -> str:
    """How the caller introduces themselves: the holder's name, or the scenario's ``caller.name``."""
    name = str(_scenario_caller(scenario).get("name") or "holder")
    if name == "holder":
        return " ".join(p for p in (customer.get("first_name"), customer.get("last_name")) if p)
    if "{caller_name" in name:  # would recurse
        return name
    return fill(name, scenario, customer)


def opening_message(scenario: dict, customer: dict) -> str:
    """The caller's first message, placeholders filled."""
    return fill(_scenario_caller(scenario).get("opening", ""), scenario, customer).strip()


def reply(scenario: dict, customer: dict, history: list[dict], message: str) -> CallerReply:
    """The caller's reply to the learner's newest ``message``, given the contact's ``history``."""
    ctx = _Context(scenario, customer, history or [], message or "")
    text, ends, answered = ctx.respond()
    text = ctx.add_volunteered(text, ends)
    if ctx.channel == "email" and text:
        text = f"Hello,\n\n{text}\n\nKind regards,\n{caller_name(scenario, customer)}"
    return CallerReply(text=text, ends=ends, answered=answered, screen=ctx.screen_step)


# --------------------------------------------------------------------------------------------------
# Spoken answers


def spoken_date(iso: str, variant: int) -> str:
    """A date as a person would say or type it, in one of several UK forms (all parseable)."""
    d = date.fromisoformat(iso)
    forms = (
        f"{ordinal(d.day)} {MONTH_NAMES[d.month - 1]} {d.year}",
        f"{d.day:02d}/{d.month:02d}/{d.year}",
        f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}",
        f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}",
        f"{ordinal(d.day)} {MONTH_NAMES[d.month - 1][:3]} {d.year}",
    )
    return forms[variant % len(forms)]


def wrong_date(iso: str, key: str) -> str:
    """A plausible but wrong date of birth (a slip of memory or a guess), always different."""
    d = date.fromisoformat(iso)
    day = min(d.day, 28)
    candidates = [
        date(d.year + 1, d.month, day),
        date(d.year, d.month % 12 + 1, day),
        date(d.year - 1, d.month, day),
        date(d.year, d.month, day % 28 + 1),
    ]
    if d.day <= 12 and d.day != d.month:  # day and month swapped, the classic mix-up
        candidates.append(date(d.year, d.day, d.month))
    candidates = [c for c in candidates if c != d]
    return _pick(candidates, key).isoformat()


def wrong_postcode(postcode: str, key: str) -> str:
    """A postcode-shaped answer that does not match (an old address, a typo)."""
    compact = normalise_postcode(postcode)
    if len(compact) < 5:
        return "BK7 3QN"
    outward, inward = compact[:-3], compact[-3:]
    shift = 1 + _stable(key) % 8
    digit = str((int(inward[0]) + shift) % 10) if inward[0].isdigit() else "4"
    letters = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in inward codes
    tail = "".join(letters[(letters.index(ch) + shift) % len(letters)] if ch in letters else "A" for ch in inward[1:])
    answer = f"{outward} {digit}{tail}"
    if normalise_postcode(answer) == compact:
        answer = f"{outward} {(int(digit) + 1) % 10}{tail}"
    return answer


def wrong_letter(ch: str, key: str) -> str:
    if not ch.isalpha():
        return "e"
    shift = 1 + _stable(key) % 24
    return chr((ord(ch.lower()) - 97 + shift) % 26 + 97)


def wrong_digits(digits: str, key: str) -> str:
    shift = 1 + _stable(key) % 8
    out = "".join(str((int(ch) + shift) % 10) if ch.isdigit() else ch for ch in digits)
    return out if out != digits else digits[::-1] + "1"


# --------------------------------------------------------------------------------------------------
# Intents


# Characters asked for without naming the memorable word ("the 2nd and 5th letters", "character 3"):
# "a letter confirming it within 5 working days" is not such a question.
CHARS_ASKED = re.compile(
    r"charact|(?:\d(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last)"
    r"(?:\s*(?:,|and|&)\s*\w+)*\s+letters?\b|letters?\s+(?:\d|one|two|three|four|five|six|seven|eight|nine)",
    re.I,
)
_CARDINAL_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_POSITION = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\b|\b(" + "|".join(ORDINAL_WORDS) + r")\b|\b(last|final)\b"
    r"|\b(" + "|".join(_CARDINAL_WORDS) + r")\b",
    re.I,
)
_NOT_POSITION = re.compile(
    r"last\s+(?:\w+\s+)?(?:digits|numbers)|last\s+(?:four|4|three|3|two|2)\b|(?:four|4) digits"
    r"|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\b\d{3,}\b",
    re.I,
)


def parse_positions(message: str) -> list[int]:
    """Character positions asked for: "2nd and 5th", "second and fifth", "characters 3 and 7",
    "the 1st, 4th". "last" is returned as -1 (the caller knows the length). Order kept, no repeats.

    Only the sentences that mention characters, letters or the memorable word are read, so a date or
    "the last four digits" asked in the same message is not mistaken for a position.
    """
    clauses = [c for c in re.split(r"[?!;\n]|\.(?!\d)", message) if RX["chars"].search(c) or RX["secret"].search(c)]
    positions: list[int] = []
    for clause in clauses:
        clause = _NOT_POSITION.sub(" ", clause)
        has_ordinal = bool(re.search(r"\d(?:st|nd|rd|th)\b|\b(?:" + "|".join(ORDINAL_WORDS) + r")\b", clause, re.I))
        for m in _POSITION.finditer(clause):
            if m.group(1):
                n = int(m.group(1))
            elif m.group(2):
                n = ORDINAL_WORDS[m.group(2).lower()]
            elif m.group(3):
                n = -1
            else:
                # "characters three and seven": cardinal words only count after "character(s)"/"letter(s)"
                # and when no real ordinal was used ("two characters, the 2nd and 5th" -> 2, 5).
                if has_ordinal or not re.search(
                    r"(?:charact\w*|letters?)\s+(?:\w+\s+){0,3}$", clause[: m.start()], re.I
                ):
                    continue
                n = _CARDINAL_WORDS[m.group(4).lower()]
            if n != 0 and n not in positions:
                positions.append(n)
    return positions


def _extract_date(message: str) -> date | None:
    """A date written in the learner's message (a leading question), if any."""
    patterns = (
        r"\d{4}-\d{1,2}-\d{1,2}",
        r"\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}",
        r"\d{1,2}(?:st|nd|rd|th)?(?:\s+of)?\s+[a-z]{3,9}\.?,?\s+\d{2,4}",
        r"[a-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}",
    )
    for pattern in patterns:
        for m in re.finditer(pattern, message, re.I):
            if parsed := parse_date(m.group(0)):
                return parsed
    return None


# --------------------------------------------------------------------------------------------------
# The conversation


class _Context:
    def __init__(self, scenario: dict, customer: dict, history: list[dict], message: str):
        self.scenario, self.customer, self.history, self.message = scenario, customer, history, message
        self.caller = _scenario_caller(scenario)
        self.knows = self.caller.get("knows") or {}
        self.channel = scenario.get("channel", "chat")
        self.relationship = self.caller.get("relationship", "account_holder")
        self.naive = bool(self.caller.get("naive"))
        self.key = (scenario.get("id", ""), customer.get("ref", ""))
        sent = [e for e in history if e.get("type") == "message.sent"]
        already_in = (
            bool(sent)
            and ((sent[-1].get("data") or {}).get("text") == message)
            and history[-1].get("type") == "message.sent"
        )
        self.turn = len(sent) + (0 if already_in else 1)  # this message's number among the learner's
        self.said = [str((e.get("data") or {}).get("text", "")) for e in history if e.get("type") == "message.received"]
        self.event_types = {e.get("type") for e in history}
        self.screen_step: screen_rules.Step | None = None
        last = history[-1] if history else {}
        self.public = last.get("type") == "message.sent" and (last.get("data") or {}).get("public") is True

    # -- state -------------------------------------------------------------------------------------
    @property
    def idv_status(self) -> str:
        status = "not_verified"
        for e in self.history:
            if e.get("type") == "idv.result":
                status = "verified" if (e.get("data") or {}).get("passed") else "locked"
        return status

    def _state_ok(self, state: str | None) -> bool:
        """``state``: verified | not_verified (includes locked) | locked; empty = any."""
        if not state:
            return True
        if state == "not_verified":
            return self.idv_status != "verified"
        return state == self.idv_status

    def fill(self, text: str) -> str:
        return fill(text, self.scenario, self.customer).strip()

    def _already_said(self, text: str) -> bool:
        """Said before, read letter by letter (card data in the caller's words is masked once recorded)."""
        core = re.sub(r"[^a-z]", "", text.lower())
        return bool(core) and any(core in re.sub(r"[^a-z]", "", s.lower()) for s in self.said)

    # -- scenario rules ----------------------------------------------------------------------------
    def _matches(self, rule: dict) -> bool:
        if not self._state_ok(rule.get("state")):
            return False
        after = rule.get("after")
        if after and not set([after] if isinstance(after, str) else after) & self.event_types:
            return False
        if rule.get("min_turn") and self.turn < int(rule["min_turn"]):
            return False
        if rule.get("once") and self._already_said(self.fill(rule.get("say", ""))):
            return False
        when = rule.get("when") or []
        if isinstance(when, str):
            when = [when]
        return any(self._trigger(str(w)) for w in when)

    def _trigger(self, trigger: str) -> bool:
        if trigger.startswith("intent:"):
            name = trigger[7:]
            if name == "any":
                return True
            return name in RX and bool(RX[name].search(self.message))
        if re.fullmatch(r"[\w' \-]+", trigger):  # a plain keyword or phrase: match whole words
            return bool(re.search(r"(?<!\w)" + re.escape(trigger) + r"(?!\w)", self.message, re.I))
        try:
            return bool(re.search(trigger, self.message, re.I))
        except re.error:
            return trigger.lower() in self.message.lower()

    # -- main --------------------------------------------------------------------------------------
    def respond(self) -> tuple[str, bool, tuple[str, ...]]:
        """The caller's reply to the learner's message, whether it ends the contact, and what it answered."""
        msg = self.message
        if not text_rules.has_words(msg) or text_rules.looks_foreign(msg):
            line = "other_language" if text_rules.has_words(msg) else "didnt_follow"
            return replies.Composer(self).line(line), False, ("question",)
        if self.public:
            return self.public_reaction(), False, ("public_reply",)
        reaction = screen_rules.react(self.scenario, self.history, msg)
        if reaction is not None and reaction.text:
            self.screen_step = reaction.step
            return self.screen_words(reaction), False, (SCREEN_ANSWERS[reaction.kind],)
        parts, ends = replies.compose(self)
        return " ".join(p.text for p in parts if p.text), ends, tuple(p.intent for p in parts)

    def screen_words(self, reaction: screen_rules.Reaction) -> str:
        """What the caller says about their screen, never a sentence twice (said before: said differently)."""
        composer = replies.Composer(self)
        if reaction.options:
            return composer.pick(list(reaction.options)) or composer.line("didnt_follow")
        said = [p for p in re.split(r"(?<=[.!?])\s+", self.fill(reaction.text)) if p]
        fresh = [p for p in said if composer.fresh(p)]
        return " ".join(fresh) if fresh else composer.again(said[-1])

    def public_reaction(self) -> str:
        """The customer's answer to a public reply to their post: they will not give details in public; an
        invitation to a private message moves them there (``social:`` in the scenario)."""
        social = self.scenario.get("social") or {}

        def heard(key: str) -> bool:
            return any(re.search(str(p), self.message, re.I) for p in social.get(key) or [])

        if heard("asks"):
            return self.fill(str(social.get("refuse", "")))
        if heard("invite"):
            return self.fill(str(social.get("moved", "")))
        options = [str(o) for o in social.get("public") or []] or ["What happens now?"]
        fresh = [o for o in options if not self._already_said(self.fill(o))]
        return self.fill((fresh or options)[-1 if not fresh else 0])

    # -- what the composer asks of the scenario --------------------------------------------------------
    def confirmations(self) -> list[tuple[str, str]]:
        """The acknowledgements of an action the learner says they took ("I've updated your address")."""
        names = ("confirm_complaint", "confirm_refund", "confirm_update", "confirm_escalation")
        return [(name, self.ack(name)) for name in names if RX[name].search(self.message)]

    def need_text(self) -> str:
        return self.need()

    def on_refusal(self) -> str:
        return self.fill(self.caller.get("on_refusal") or "")

    def refusal_reactions(self) -> tuple[str, ...]:
        return REFUSAL_REACTIONS

    def closing_line(self, asked: bool) -> str:
        return self.closing(asked)

    def closing_lines(self, asked: bool) -> tuple[str, ...]:
        """Other ways to close, for a contact that goes on after the caller said goodbye."""
        return CLOSINGS if asked else ("Thanks, bye!", "Bye now.", "Okay, goodbye.")

    def answer_facts_for(self, intent: str) -> str | None:
        """A scenario fact that answers ``intent`` (the new address, the new email, the amount), if any."""
        facts = _facts(self.scenario)
        if intent == "amount" and "amount" in facts:
            return self.fill(f"It's {money(facts['amount'])}.")
        if intent in ("email", "new_email") and "new_email" in facts and RX["new_detail"].search(self.message):
            return self.fill(f"It's {facts['new_email']}.")
        return None

    def tagged_verification_answers(self, normalised: str) -> list[tuple[str, str]]:
        """Every verification answer, named by intent; the learner's typos are read as meant
        ("memorable wrod") when the message as typed asks for nothing."""
        found = self.verification_answers()
        raw, self.message = self.message, normalised
        try:
            mended = self.verification_answers()
        finally:
            self.message = raw
        names = {name for name, _ in found}
        return found + [(name, text) for name, text in mended if name not in names]

    def verification_answers(self) -> list[tuple[str, str]]:
        """Answers to every verification question in the message, in a natural order, named by intent."""
        msg = self.message
        parts: list[tuple[str, str]] = []
        answered_secret = False
        if RX["name"].search(msg):
            parts.append(("name", self.answer_name()))
        if RX["chars"].search(msg) and (RX["secret"].search(msg) or CHARS_ASKED.search(msg)):
            parts.append(("chars", self.answer_characters()))
            answered_secret = True
        elif RX["secret"].search(msg) and RX["full_secret"].search(msg) and not RX["card_warning"].search(msg):
            parts.append(("full_secret", self.answer_full_secret()))
            answered_secret = True
        if RX["dob"].search(msg):
            parts.append(("dob", self.answer_dob()))
        new_detail = bool(RX["new_detail"].search(msg) or RX["confirm_update"].search(msg))
        if RX["postcode"].search(msg) and not new_detail:
            parts.append(("postcode", self.answer_postcode()))
        if RX["address_line"].search(msg) and not new_detail:
            parts.append(("address", self.answer_address()))
        if RX["account"].search(msg) and not answered_secret:
            parts.append(("account", self.answer_account()))
        return [p for p in parts if p[1]]

    # -- volunteered lines -------------------------------------------------------------------------
    def add_volunteered(self, text: str, ends: bool) -> str:
        if ends:
            return text
        for rule in _rules(self.scenario, "volunteers"):
            say = self.fill(rule.get("say", ""))
            if not say or self._already_said(say) or say in text:
                continue
            if self.turn < int(rule.get("at_turn", 1)):
                continue
            if not self._state_ok(rule.get("state")):
                continue
            return f"{text} {say}".strip() if text else say
        return text

    # -- answers -----------------------------------------------------------------------------------
    def know(self, factor: str) -> str:
        return self.knows.get(factor, "unknown")

    def wrong_value(self, factor: str) -> str | None:
        wrong = (self.caller.get("wrong") or {}).get(factor)
        return self.fill(str(wrong)) if wrong else None

    def dont_know(self, what: str) -> str:
        return _pick(
            (
                "Sorry, I don't have that to hand.",
                f"Sorry, I don't know {what}, I'm afraid.",
                f"Oh, I'm not sure about {what}. Sorry, I don't have that to hand.",
            ),
            *self.key,
            what,
        )

    def answer_name(self) -> str:
        name = caller_name(self.scenario, self.customer)
        if self.caller.get("name", "holder") == "holder":
            middle = self.customer.get("middle_name") or ""
            first, last = self.customer.get("first_name", ""), self.customer.get("last_name", "")
            full = " ".join(p for p in (first, middle, last) if p)
            return _pick((f"It's {full}.", f"{full}.", f"My name's {full}."), *self.key, "name")
        intro = self.caller.get("introduces") or "It's {caller_name}."
        return self.fill(intro.replace("{caller_name}", name))

    def answer_dob(self) -> str:
        dob = self.customer.get("date_of_birth", "")
        know = self.know("date_of_birth")
        leading = _extract_date(self.message)
        variant = _stable(*self.key, "dob")
        if leading is not None:  # "Is your date of birth 12 March 1985?"
            if self.relationship == "impostor" or know == "unknown":
                return "Yes, that's right."
            actual = dob if know == "correct" else wrong_date(dob, "|".join(self.key))
            if leading.isoformat() == actual:
                return "Yes, that's right."
            return f"No, it's {spoken_date(actual, variant)}."
        if know == "correct":
            value = spoken_date(dob, variant)
        elif know == "wrong":
            value = self.wrong_value("date_of_birth") or spoken_date(wrong_date(dob, "|".join(self.key)), variant)
        else:
            return self.dont_know("the date of birth")
        prefix = (
            "Their date of birth is"
            if self.relationship == "third_party"
            else _pick(("It's", "Sure, it's", "My date of birth is"), *self.key, "dob-prefix")
        )
        return f"{prefix} {value}."

    def answer_postcode(self) -> str:
        postcode = self.customer.get("postcode", "")
        know = self.know("postcode")
        leading = POSTCODE.search(self.message)
        if leading:
            if self.relationship == "impostor" or know == "unknown":
                return "Yes, that's the one."
            actual = (
                postcode
                if know == "correct"
                else (self.wrong_value("postcode") or wrong_postcode(postcode, "|".join(self.key)))
            )
            if normalise_postcode(leading.group(0)) == normalise_postcode(actual):
                return "Yes, that's the one."
            return f"No, it's {actual}."
        if know == "correct":
            value = postcode
        elif know == "wrong":
            value = self.wrong_value("postcode") or wrong_postcode(postcode, "|".join(self.key))
        else:
            return self.dont_know("the postcode")
        return _pick((f"It's {value}.", f"{value}.", f"The postcode is {value}."), *self.key, "postcode")

    def answer_address(self) -> str:
        line1 = self.customer.get("address_line1", "")
        know = self.know("postcode")  # the address goes with the postcode
        if know == "correct":
            value = line1
        elif know == "wrong":
            value = self.wrong_value("address_line1") or _wrong_address_line(line1, "|".join(self.key))
        else:
            return self.dont_know("the address")
        return _pick((f"It's {value}.", f"{value}.", f"First line is {value}."), *self.key, "address")

    def answer_account(self) -> str:
        number = str(self.customer.get("account_number", ""))
        know = self.know("account_number_last4")
        if RX["sort_code"].search(self.message) and not re.search(r"account number|digits|last", self.message, re.I):
            if know == "correct":
                return f"The sort code is {self.customer.get('sort_code', '')}."
            return self.dont_know("the sort code")
        if know == "correct":
            value = number
        elif know == "wrong":
            value = self.wrong_value("account_number_last4") or wrong_digits(number, "|".join(self.key))
        else:
            return self.dont_know("the account number")
        if re.search(r"last|four|4", self.message, re.I):
            return f"The last four are {value[-4:]}."
        return f"The account number is {value}."

    def answer_characters(self) -> str:
        word = str(self.customer.get("memorable_word", "")).lower()
        positions = parse_positions(self.message)
        know = self.know("memorable_word_characters")
        if know == "unknown":
            return self.dont_know("the memorable word")
        if not positions:
            return "Which characters do you need?"
        resolved = [len(word) if p == -1 else p for p in positions]
        too_long = [p for p in resolved if p > len(word)]
        if too_long:
            return f"Hmm, my memorable word hasn't got {too_long[0]} letters."
        letters = []
        for p in resolved:
            ch = word[p - 1]
            if know == "wrong":
                ch = wrong_letter(ch, f"{'|'.join(self.key)}|{p}")
            letters.append((p, ch))
        style = _stable(*self.key, "chars") % 3
        if style == 0:
            body = " and ".join(f"the {ordinal(p)} is {ch.upper()}" for p, ch in letters)
            return body[0].upper() + body[1:] + "."
        if style == 1:
            return ", ".join(ch.upper() for _, ch in letters) + "."
        return "Let me think... " + " and ".join(f"{ch.upper()}" for _, ch in letters) + "."

    def answer_full_secret(self) -> str:
        word = str(self.customer.get("memorable_word", ""))
        asks_pin = bool(re.search(r"\bpin\b", self.message, re.I)) and not re.search(
            r"memorable|password|passcode", self.message, re.I
        )
        if self.naive:
            if asks_pin:
                return "My PIN? It's the same one I use at the cash machine... should I really say it?"
            if re.search(r"password|passcode", self.message, re.I):
                year = str(self.customer.get("date_of_birth", ""))[:4]
                return f"Oh, it's {word}{year[-2:]}. I use it for everything, to be honest."
            return f"It's {word}."
        if self.relationship == "third_party":
            return "I don't know that, it's not my account."
        return _pick(
            (
                "I was told never to give out my whole password or PIN, even to the bank. "
                "Can I give you some characters instead?",
                "Hang on, I don't think I should give you the full thing. You usually ask for a couple of letters.",
            ),
            *self.key,
            "secret",
        )

    def answer_facts(self) -> str | None:
        facts = _facts(self.scenario)
        msg = self.message
        if "new_address" in facts and RX["new_detail"].search(msg) and re.search(r"address|postcode|where", msg, re.I):
            address = ", ".join(str(facts[k]) for k in ("new_address", "new_town", "new_postcode") if facts.get(k))
            return self.fill(f"It's {address}.")
        if "new_email" in facts and RX["email"].search(msg):
            return self.fill(f"It's {facts['new_email']}.")
        if "amount" in facts and RX["amount"].search(msg):
            return self.fill(f"It's {money(facts['amount'])}.")
        return None

    def need(self) -> str:
        need = self.caller.get("need")
        if need:
            return self.fill(need)
        return "As I said: " + self.fill(self.caller.get("opening", ""))

    def ack(self, intent: str) -> str:
        custom = (self.caller.get("acks") or {}).get(intent.replace("confirm_", ""))
        if custom:
            return self.fill(custom)
        return {
            "confirm_update": "Brilliant, thank you.",
            "confirm_refund": "That's great, thank you. How long will it take to reach my account?",
            "confirm_escalation": "Okay. When can I expect to hear back?",
            "confirm_complaint": "Thank you. I just want it sorted out properly.",
        }[intent]

    def closing(self, asked: bool) -> str:
        custom = self.caller.get("closing")
        if custom:
            return self.fill(custom)
        if asked:
            return _pick(
                (
                    "No, that's everything, thank you for your help. Bye!",
                    "No, that's all, thanks. Bye now.",
                    "That's it, thanks very much. Goodbye.",
                ),
                *self.key,
                "closing",
            )
        return "Thanks, bye!"

    def filler(self) -> str:
        """A back-channel line for a statement that needs no answer (a fresh one each time)."""
        start = len(self.history) % len(FILLERS)
        for option in FILLERS[start:] + FILLERS[:start]:
            if not self._already_said(option):
                return option
        return ""


CLOSINGS = (
    "No, that's everything, thank you for your help. Bye!",
    "No, that's all, thanks. Bye now.",
    "That's it, thanks very much. Goodbye.",
)
FILLERS = ("Okay, thanks.", "Sure, I'll wait.", "Right, okay.", "Okay.", "Mm-hm, go on.", "Alright, thank you.")
REFUSAL_REACTIONS = (
    "Oh. Right. So what can I do instead?",
    "That's a bit frustrating, but okay. What are my options?",
    "Fine. How else can I get this sorted?",
)


def _wrong_address_line(line1: str, key: str) -> str:
    m = re.match(r"(?:Flat \d+\s*)?(\d+)(.*)", line1)
    if m:
        number = int(m.group(1))
        return f"{number + 1 + _stable(key) % 9}{m.group(2)}"
    return "12 Quillfeather Lane"
