"""A naive rules engine: the peer ``bench_rules.py`` times ``crm_sandbox.compliance.evaluate`` against.

Written plainly, as a first version would be: each rule is one function that walks the session's events
once, in order, keeping its own ID&V status and what the caller has said when it needs them. Nothing is
shared between rules (no ``Context``) and nothing is cached; nothing is slowed down on purpose either.
It gives the same findings as the engine on every corpus session and played scenario
(tests/compliance/test_naive_baseline.py).

It reuses the project's pure value helpers rather than copying them: the customer matcher and card
number finder (``compliance/matching.py``, which reads spoken values with ``spoken.py``, ``normalise.py``
and ``idv_answers.py``), the sentence and vocabulary helpers of ``compliance/language.py``, the
split-value reader ``context.split_matches``, the rules' own patterns and labels, and ``finding``.
What it writes itself is each rule's control flow.

Run: ``python bench/naive_rules.py SESSION.json`` prints the findings as JSON.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crm_sandbox.compliance.context import (  # noqa: E402
    ANSWER_GIVES,
    BREAKS,
    FACTOR_FIELDS,
    FIELD_LABELS,
    IMPLIES,
    _short_form_said,
    split_matches,
)
from crm_sandbox.compliance.document import SessionDocument, parse_amount, parse_session  # noqa: E402
from crm_sandbox.compliance.findings import RuleFinding, finding  # noqa: E402
from crm_sandbox.compliance.language import (  # noqa: E402
    ASK_FOR_IT,
    ASK_LEAD,
    CARD_NUMBER_ASK,
    CATEGORY_RE,
    CVV,
    CVV_VALUE,
    LAST_FOUR,
    NEGATED_ASK,
    PARTIAL,
    SECRETS,
    asked_categories,
    is_refusal,
    placeholders,
    sentence_at,
    sentences,
    special_categories,
)
from crm_sandbox.compliance.matching import CustomerMatcher, find_card_numbers  # noqa: E402
from crm_sandbox.compliance.normalise import digits  # noqa: E402
from crm_sandbox.compliance.rules.collection import (  # noqa: E402
    _CARD_WORDS,
    _PLEASE,
    _RECORDED,
    _SECURE_CHANNEL,
    CATEGORY_LABELS,
    CONTACT,
    FACTOR_CATEGORIES,
    FIELD_CATEGORIES,
    IDENTIFICATION,
    PAYMENT,
)
from crm_sandbox.compliance.rules.digital import CHECK, FIELD_WORDS, PUBLIC_OK  # noqa: E402
from crm_sandbox.compliance.rules.disclosure import _CHARACTER, _GUESS, _ORDINALS, _POSITION  # noqa: E402
from crm_sandbox.compliance.rules.ending import is_warning  # noqa: E402
from crm_sandbox.compliance.rules.handover import NOT_NEEDED  # noqa: E402

NOT_VERIFIED, VERIFIED, LOCKED = "not_verified", "verified", "locked"


# --- ID&V status and what the caller has said, kept by each rule that needs them ------------------------


class Walk:
    """The ID&V status, failed answers and fields the caller has given, as a rule walks the events."""

    def __init__(self, session: SessionDocument, matcher: CustomerMatcher, given: bool = True) -> None:
        self.session, self.matcher, self.track_given = session, matcher, given  # (only status: given=False)
        self.status, self.failures, self.given, self.heard = NOT_VERIFIED, 0, set[str](), ""

    def before(self) -> None:
        """Call before looking at an event: what the caller gave also gives what it implies."""
        for field, implied in IMPLIES.items():
            if field in self.given:
                self.given.update(implied)

    def after(self, ev: Any) -> None:
        """Call after looking at an event: take it into account."""
        if ev.type in ("message.received", "idv.answer") and self.track_given:
            self.said(ev)
        elif ev.type == "message.sent":
            self.heard = ""  # (the caller's message just before, for a value split over two)
        if ev.type == "idv.answer":
            if self.status == NOT_VERIFIED and ev.data.get("match") is not True:
                self.failures += 1
                if self.failures >= self.session.policy.lockout_attempts:
                    self.status = LOCKED
        elif ev.type == "idv.result":
            self.status = VERIFIED if ev.data["passed"] else LOCKED

    def said(self, ev: Any) -> None:
        """What the caller's message or ID&V answer gives."""
        if ev.type == "message.received":
            text = ev.data["text"]
            self.given.update(m.field for m in self.matcher.find(text, caller=True))
            if _short_form_said(str(self.session.customer.get("first_name") or ""), text):
                self.given.add("first_name")
            self.given.update(m.field for m in split_matches(self.matcher, self.heard, text, caller=True))
            self.heard = text
        else:
            if ev.data.get("match") is True:
                self.given.update(ANSWER_GIVES.get(ev.data["factor"], ()))
            self.given.update(m.field for m in self.matcher.find(str(ev.data.get("given") or ""), caller=True))


def disclosures(session: SessionDocument, matcher: CustomerMatcher) -> list[tuple[str, Any, tuple[int, ...]]]:
    """One walk over the events: (ID&V status, match, seqs) for every customer value the learner wrote
    that the caller had not given, outside a refusal (a value split over two messages in a row too)."""
    walk = Walk(session, matcher)
    out = []
    before = None  # the learner's message just before, if nothing came between
    heard = ""  # the caller's last message
    for ev in session.events:
        walk.before()
        if ev.type == "message.sent":
            text = ev.data["text"]
            for m in matcher.find(text, before=heard):
                if m.field not in walk.given and not is_refusal(sentence_at(text, m.start, sentences(text))):
                    out.append((walk.status, m, (ev.seq,)))
            if before is not None:
                for m in split_matches(matcher, before.data["text"], text):
                    if m.field not in walk.given:
                        out.append((walk.status, m, (before.seq, ev.seq)))
            before = ev
        else:
            if ev.type in BREAKS:
                before = None
            if ev.type == "message.received":
                heard = ev.data["text"]
        walk.after(ev)
    return out


def factor_fields(session: SessionDocument) -> set[str]:
    return {f for factor in session.policy.idv_factors for f in FACTOR_FIELDS.get(factor, ())}


# --- the rules -----------------------------------------------------------------------------------------


def disclosure_before_verification(session: SessionDocument, matcher: CustomerMatcher) -> list[RuleFinding]:
    out = []
    factors = factor_fields(session)
    for status, m, seqs in disclosures(session, matcher):
        if status == LOCKED or (status == NOT_VERIFIED and m.field not in factors):
            when = "after verification had failed" if status == LOCKED else "before verification had passed"
            out.append(
                finding(
                    "disclosure-before-verification",
                    seqs,
                    m.text,
                    f"You revealed the customer's {FIELD_LABELS[m.field]} {when}. Until the caller "
                    "passes security, do not confirm or give out anything held on the account.",
                )
            )
    return out


def leading_verification_question(session: SessionDocument, matcher: CustomerMatcher) -> list[RuleFinding]:  # noqa: C901 (one plain loop)
    out = []
    factors = factor_fields(session)
    for status, m, seqs in disclosures(session, matcher):
        if status == NOT_VERIFIED and m.field in factors:
            out.append(
                finding(
                    "leading-verification-question",
                    seqs,
                    m.text,
                    f"You stated the customer's {FIELD_LABELS[m.field]} while verifying them. Ask an open "
                    'question ("What is your date of birth?") so the caller has to supply the answer.',
                )
            )
    word = session.customer.get("memorable_word", "").lower()
    if not word or "memorable_word_characters" not in session.policy.idv_factors:
        return out
    # A character of the memorable word told before verification: "the first letter is P", or one
    # character asked for and then "Is it P?" before the caller answers.
    walk = Walk(session, matcher, given=False)
    asked: list[int] = []
    for ev in session.events:
        if ev.type == "message.received":
            asked = []
        if ev.type == "message.sent" and walk.status == NOT_VERIFIED:
            text = ev.data["text"]
            if not is_refusal(text):  # (a refusal names no character, and asks for none)
                for c in _CHARACTER.finditer(text):
                    index = _index(c["pos"] or c["pos2"], word)
                    if 0 < index <= len(word) and word[index - 1] == (c["ch"] or c["ch2"]).lower():
                        out.append(_told(ev.seq, c.group()))
                spoken = matcher.spoken(text)
                for g in _GUESS.finditer(spoken.text if spoken else text):
                    if len(asked) == 1 and 0 < asked[0] <= len(word) and word[asked[0] - 1] == g["ch"].lower():
                        out.append(_told(ev.seq, g.group()))
                asked = [_index(p["pos"], word) for p in _POSITION.finditer(text)] or asked
        walk.after(ev)
    return out


def _index(pos: str, word: str) -> int:
    pos = pos.lower()
    return len(word) if pos == "last" else _ORDINALS.get(pos) or int(digits(pos))


def _told(seq: int, said: str) -> RuleFinding:
    return finding(
        "leading-verification-question",
        [seq],
        said,
        "You told the caller a character of the memorable word. Ask for the characters and let the caller supply them.",
    )


def disclosure_to_third_party(session: SessionDocument, matcher: CustomerMatcher) -> list[RuleFinding]:
    if session.caller.relationship != "third_party" or session.caller.authorised:
        return []
    return [
        finding(
            "disclosure-to-third-party",
            seqs,
            m.text,
            f"You gave the customer's {FIELD_LABELS[m.field]} to a third party who has no authority "
            "on the account. Passing security does not make a third party entitled to the data: check for a "
            "power of attorney or mandate first.",
        )
        for _status, m, seqs in disclosures(session, matcher)
    ]


def change_before_verification(session: SessionDocument, matcher: CustomerMatcher) -> list[RuleFinding]:
    out = []
    walk = Walk(session, matcher, given=False)
    for ev in session.events:
        if ev.type in ("record.updated", "refund.issued") and walk.status != VERIFIED:
            when = "after verification had failed" if walk.status == LOCKED else "before verification had passed"
            if ev.type == "record.updated":
                field = str(ev.data["field"])
                evidence, what = f"{field} = {ev.data['value']}", f"changed the customer's {field.replace('_', ' ')}"
                why = "A change of contact details before verification is the classic account-takeover step"
            else:
                amount = parse_amount(ev.data["amount"], "amount")
                kind = "goodwill credit" if ev.data.get("kind") == "goodwill" else "refund"
                evidence, what = f"{kind} £{amount:,.2f}", f"issued a {kind} of £{amount:,.2f}"
                why = "Money paid to an account for a caller nobody has verified may be paid to an impostor"
            out.append(
                finding(
                    "change-before-verification",
                    [ev.seq],
                    evidence,
                    f"You {what} {when}. {why}: verify first, then act.",
                )
            )
        walk.after(ev)
    return out


def verification_lockout_ignored(session: SessionDocument, matcher: CustomerMatcher) -> list[RuleFinding]:
    limit = session.policy.lockout_attempts
    late = []
    walk = Walk(session, matcher, given=False)
    for ev in session.events:
        if ev.type == "idv.answer" and (walk.status == LOCKED or walk.failures >= limit):
            late.append(ev)
        walk.after(ev)
    if not late:
        return []
    return [
        finding(
            "verification-lockout-ignored",
            [ev.seq for ev in late],
            f"{late[0].data.get('factor')}: {late[0].data.get('given')}",
            f"You carried on with security questions after {limit} failed answers "
            "(or after verification had failed). Once verification locks, stop, explain that you cannot go "
            "further, and offer the alternatives.",
        )
    ]


def _allowed(session: SessionDocument) -> set[str]:
    allowed = set(session.scenario.needed_data) | IDENTIFICATION | PAYMENT
    for factor, cat in FACTOR_CATEGORIES.items():
        if factor in session.policy.idv_factors:
            allowed.add(cat)
    return allowed


def _over(seq: int, evidence: str, cat: str, verb: str) -> RuleFinding:
    secret = cat in SECRETS
    why = (
        "Policy asks for selected characters only: never ask for or record a full password, PIN or memorable word."
        if secret
        else "Only collect and record what this contact's purpose needs."
    )
    whose = "" if cat == "other_people" else "the customer's "
    label = CATEGORY_LABELS.get(cat, cat.replace("_", " "))
    return finding(
        "over-collection",
        [seq],
        evidence,
        f"You {verb} {whose}{label}, which this contact does not need. {why}",
        severity="high" if secret else None,
    )


def over_collection(session: SessionDocument, matcher: CustomerMatcher) -> list[RuleFinding]:  # noqa: C901 (one plain loop)
    allowed = _allowed(session)
    word = session.customer.get("memorable_word", "")
    out = []
    for ev in session.events:
        if ev.type == "message.sent":
            text = ev.data["text"]
            named: list[str] = []  # secrets the sentence before named, for a "tell me it" in this one
            for a, b in sentences(text):
                sentence = text[a:b]
                asked = {cat for cat, _, _ in asked_categories(sentence)}
                if named and ASK_FOR_IT.search(sentence) and not NEGATED_ASK.search(sentence):
                    asked.update(named)
                for cat in sorted(asked - allowed):
                    out.append(_over(ev.seq, sentence.strip(), cat, "asked for"))
                named = []
                low = sentence.lower()
                if "memorable" in low or "pass" in low or "pin" in low:
                    named = [c for c in SECRETS if CATEGORY_RE[c].search(sentence) and not PARTIAL.search(sentence)]
        elif ev.type in ("note.added", "note.amended"):
            text = ev.data["text"]
            for cat, pattern in _RECORDED.items():
                if cat not in allowed and (m := pattern.search(text)):
                    out.append(_over(ev.seq, m.group(), cat, "recorded"))
            if word and "memorable_word" not in allowed and not _RECORDED["memorable_word"].search(text):
                if m := re.search(rf"\b{re.escape(word)}\b", text, re.I):
                    out.append(_over(ev.seq, m.group(), "memorable_word", "recorded"))
        elif ev.type == "record.updated":
            cat = FIELD_CATEGORIES.get(str(ev.data["field"]).lower())
            has = [f for f, v in session.customer.items() if v and FIELD_CATEGORIES.get(f.lower()) == cat]
            if cat in CONTACT and has and not session.scenario.needed_data:
                continue  # correcting a contact detail the record already holds
            if cat and cat not in allowed:
                out.append(_over(ev.seq, f"{ev.data['field']} = {ev.data['value']}", cat, "recorded"))
    return out


def payment_card_data(session: SessionDocument, matcher: CustomerMatcher) -> list[RuleFinding]:  # noqa: C901 (one plain loop)
    out = []
    for ev in session.events:
        if ev.type not in ("message.sent", "note.added", "note.amended", "record.updated"):
            continue
        data = ev.data
        text = str(data.get("value") if ev.type == "record.updated" else data["text"])
        if ev.type == "message.sent" and any(w in text.lower() for w in _CARD_WORDS):
            for a, b in sentences(text):
                sentence = text[a:b]
                if NEGATED_ASK.search(sentence) or _SECURE_CHANNEL.search(sentence):
                    continue
                if not (ASK_LEAD.search(sentence) or "?" in sentence or _PLEASE.search(sentence)):
                    continue
                if CVV.search(sentence) or (CARD_NUMBER_ASK.search(sentence) and not LAST_FOUR.search(sentence)):
                    out.append(
                        finding(
                            "payment-card-data",
                            [ev.seq],
                            sentence.strip(),
                            "You asked for the full card number or the security code. Card "
                            "payments go through the secure payment line, never the chat, call "
                            "notes or this system.",
                        )
                    )
        spans = find_card_numbers(text)
        spoken = matcher.spoken(text)
        if spoken is not None:
            for a, b in find_card_numbers(spoken.text):
                if spoken.span(a, b) not in spans:
                    spans.append(spoken.span(a, b))
        for start, end in spans:
            out.append(
                finding(
                    "payment-card-data",
                    [ev.seq],
                    text[start:end],
                    "A full card number was written here. Show at most the last four "
                    "digits; never write the full number into messages, notes or records.",
                )
            )
        for m in CVV_VALUE.finditer(text):
            if set(m.group(1)) != {"*"}:
                out.append(
                    finding(
                        "payment-card-data",
                        [ev.seq],
                        m.group(),
                        "A card security code was written here. It must never be stored, even in notes.",
                    )
                )
        for item in data.get("card_data") or ():
            what = "card number" if item.get("kind") == "card_number" else "card security code"
            out.append(
                finding(
                    "payment-card-data",
                    [ev.seq],
                    str(item.get("masked", "")),
                    f"A full {what} was typed here (the sandbox stored it masked). Card "
                    "payments go through the secure payment line; never type card data "
                    "into messages, notes or records.",
                )
            )
    return out


def special_category_data(session: SessionDocument, matcher: CustomerMatcher) -> list[RuleFinding]:
    out = []
    for ev in session.events:
        if ev.type not in ("note.added", "note.amended", "record.updated"):
            continue
        text = str(ev.data.get("value") if ev.type == "record.updated" else ev.data["text"])
        seen = set()
        for name, start, end in special_categories(text):
            if name not in seen:
                seen.add(name)
                out.append(
                    finding(
                        "special-category-data",
                        [ev.seq],
                        text[start:end],
                        f"The note records {name} details, which are special category data. Record only the "
                        "support the customer needs (e.g. 'prefers written contact'), not the condition or "
                        "belief behind it.",
                    )
                )
    return out


def record_access_without_contact(session: SessionDocument, matcher: CustomerMatcher) -> list[RuleFinding]:
    seen: dict[str, list[int]] = {}
    for ev in session.events:
        if ev.type == "customer.viewed" and str(ev.data["customer_id"]) != session.customer_id:
            seen.setdefault(str(ev.data["customer_id"]), []).append(ev.seq)
    return [
        finding(
            "record-access-without-contact",
            seqs,
            other,
            f"You opened the record of customer {other}, who is not part of this contact. Only open the "
            "records you need for the customer in front of you.",
        )
        for other, seqs in seen.items()
    ]


def late_log(session: SessionDocument, matcher: CustomerMatcher) -> list[RuleFinding]:
    closed = None
    notes = []
    for ev in session.events:
        if ev.type == "contact.closed" and closed is None:
            closed = ev
        elif ev.type in ("note.added", "note.amended"):
            notes.append(ev)
    if closed is None:
        return []
    limit = session.policy.late_log_minutes
    out = []
    for ev in notes:
        minutes = (ev.at - closed.at).total_seconds() / 60
        if minutes > limit:
            out.append(
                finding(
                    "late-log",
                    [ev.seq],
                    f"{minutes:.0f} minutes after closing",
                    f"This note was written {minutes:.0f} minutes after the contact closed (the limit is "
                    f"{limit:g}). Write notes during the contact or straight after, while they are accurate.",
                )
            )
    return out


def missing_log(session: SessionDocument, matcher: CustomerMatcher) -> list[RuleFinding]:
    closed, noted = None, False
    for ev in session.events:
        if ev.type == "contact.closed" and closed is None:
            closed = ev
        noted = noted or ev.type == "note.added"
    if closed is None or noted:
        return []
    return [
        finding(
            "missing-log",
            [closed.seq],
            "no note",
            "The contact was closed without an interaction note. Record what the caller wanted, what you "
            "did and what happens next, so the next adviser can pick it up.",
        )
    ]


def beyond_authority(session: SessionDocument, matcher: CustomerMatcher) -> list[RuleFinding]:
    limit = session.policy.authority_limit
    out = []
    for ev in session.events:
        if ev.type == "refund.issued":
            amount = parse_amount(ev.data["amount"], "amount")
            if amount > limit:
                out.append(
                    finding(
                        "beyond-authority",
                        [ev.seq],
                        f"£{amount:,.2f}",
                        f"You issued £{amount:,.2f}, above your authority limit of £{limit:,.2f}. Refer larger "
                        "refunds or credits to a supervisor.",
                    )
                )
    return out


def missed_escalation(session: SessionDocument, matcher: CustomerMatcher) -> list[RuleFinding]:
    if not session.scenario.requires_escalation:
        return []
    escalated = []
    closed = None
    for ev in session.events:
        if ev.type == "contact.closed" and closed is None:
            closed = ev
        elif ev.type == "escalated":
            escalated.append(ev.seq)
    if closed is None or any(seq < closed.seq for seq in escalated):
        return []
    return [
        finding(
            "missed-escalation",
            [closed.seq],
            session.scenario.title or session.scenario.id,
            "This contact needed escalating (it is beyond an adviser's remit) and it was closed without "
            "one. Refer it to a supervisor or the specialist team before closing.",
        )
    ]


def unpersonalised_template(session: SessionDocument, matcher: CustomerMatcher) -> list[RuleFinding]:
    out = []
    for ev in session.events:
        if ev.type == "message.sent":
            text = ev.data["text"]
            for start, end in placeholders(text):
                out.append(
                    finding(
                        "unpersonalised-template",
                        [ev.seq],
                        text[start:end],
                        f"Your message still contains the placeholder {text[start:end]}. Fill in or remove "
                        "every placeholder before sending a template.",
                    )
                )
    return out


def handover_oversharing(session: SessionDocument, matcher: CustomerMatcher) -> list[RuleFinding]:
    out = []
    word = str(session.customer.get("memorable_word") or "")
    for ev in session.events:
        if ev.type != "handover.written":
            continue
        text = str(ev.data["text"])
        kinds: dict[str, tuple[str, str]] = {}
        for m in matcher.find(text):
            if m.field in NOT_NEEDED:
                kinds.setdefault(NOT_NEEDED[m.field], (FIELD_LABELS.get(m.field, m.field), "medium"))
        if word and re.search(rf"\b{re.escape(word)}\b", text, re.I):
            kinds.setdefault("memorable word", ("memorable word", "medium"))
        if find_card_numbers(text):
            kinds.setdefault("card number", ("card number", "high"))
        for name, start, end in special_categories(text):
            kinds.setdefault(f"{name} details", (text[start:end], "high"))
        for kind, (evidence, severity) in kinds.items():
            out.append(
                finding(
                    "handover-oversharing",
                    [ev.seq],
                    evidence,
                    f"The handover note to the {ev.data['team']} gives the customer's {kind}, which "
                    "the next team does not need: they verify the customer again and read the record. Pass "
                    "on the customer's name, what they need and what you have done; a colleague's note that "
                    "over-shared is not copied onward.",
                    severity,
                )
            )
    return out


def ended_without_warning(session: SessionDocument, matcher: CustomerMatcher) -> list[RuleFinding]:
    out = []
    warned_at = None
    heard_since = False
    for ev in session.events:
        if ev.type == "message.sent" and is_warning(str(ev.data["text"])):
            warned_at, heard_since = ev.seq, False
        elif ev.type == "message.received" and warned_at is not None:
            heard_since = True
        elif ev.type == "call.ended" and warned_at is None:
            out.append(
                finding(
                    "ended-without-warning",
                    [ev.seq],
                    "no warning",
                    "The call was ended without a warning. The policy: tell the caller clearly what must "
                    "stop and that the call will end if it continues; end it only if it does.",
                )
            )
        elif ev.type == "call.ended" and not heard_since:
            out.append(
                finding(
                    "ended-without-warning",
                    [warned_at, ev.seq],
                    "ended straight after the warning",
                    "The call was ended straight after the warning, before the caller could stop. Give "
                    "them the chance to carry on properly first.",
                )
            )
    return out


def public_reply_personal_data(session: SessionDocument, matcher: CustomerMatcher) -> list[RuleFinding]:
    out = []
    for ev in session.events:
        if ev.type != "message.sent" or ev.data.get("public") is not True:
            continue
        fields: list[str] = []
        for m in matcher.find(ev.data["text"]):
            word = FIELD_WORDS.get(m.field, m.field.replace("_", " "))
            if m.field not in PUBLIC_OK and word not in fields:
                fields.append(word)
        if fields:
            out.append(
                finding(
                    "public-reply-personal-data",
                    [ev.seq],
                    ", ".join(fields),
                    f"Your public reply repeats the customer's {', '.join(fields)}, which everyone can read. Reply "
                    "publicly without any personal details and move the conversation to a private message.",
                )
            )
    return out


def guidance_not_checked(session: SessionDocument, matcher: CustomerMatcher) -> list[RuleFinding]:
    out = []
    pending = before = last = None
    checked = False
    for ev in session.events:
        if ev.type == "message.sent":
            before, last = pending, ev.seq
            checked = CHECK.search(str(ev.data["text"])) is not None
            if checked:
                pending = None
        elif ev.type == "caller.screen":
            moved = ev.data["message_seq"]
            earlier = before if moved == last else pending
            if earlier is not None and earlier != moved:
                out.append(
                    finding(
                        "guidance-not-checked",
                        [earlier],
                        "the next step given before checking this one",
                        "You moved the customer on to the next step without checking they had followed the "
                        "last one. After each instruction, check what they can see or whether it worked before "
                        "giving the next.",
                    )
                )
            before = None
            pending = None if moved == last and checked else moved
    return out


RULES = (
    disclosure_before_verification,
    leading_verification_question,
    disclosure_to_third_party,
    change_before_verification,
    over_collection,
    payment_card_data,
    special_category_data,
    verification_lockout_ignored,
    record_access_without_contact,
    late_log,
    missing_log,
    beyond_authority,
    missed_escalation,
    unpersonalised_template,
    handover_oversharing,
    ended_without_warning,
    public_reply_personal_data,
    guidance_not_checked,
)


def evaluate(session: SessionDocument | dict[str, Any]) -> list[RuleFinding]:
    """Every finding for ``session``, sorted as the engine sorts them."""
    doc = parse_session(session)
    matcher = CustomerMatcher(doc.customer)
    found: set[RuleFinding] = set()
    for rule in RULES:
        found.update(rule(doc, matcher))
    return sorted(found, key=lambda f: f.sort_key)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        print(json.dumps([f.to_dict() for f in evaluate(json.load(fh))], indent=2, ensure_ascii=False))
