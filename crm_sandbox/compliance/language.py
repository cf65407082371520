"""Phrase patterns for learner writing: sentences, refusals, requests for data, special categories."""

from __future__ import annotations

import re

from . import vocabulary
from .words import Typos

# (", please <verb> …" starts a new request: "Before I can discuss the account, please confirm …"; a closing
# ", please?" does not: "Could you tell me your date of birth, please?")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+|,\s*(?=(?:but|however|although|though)\b|please\s+[a-z])", re.I)


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences in ``text``."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def sentence_at(text: str, pos: int, spans: list[tuple[int, int]] | None = None) -> str:
    for start, end in spans or sentences(text):
        if start <= pos < end:
            return text[start:end]
    return text


_NEG = r"(?:can(?:'|’)?t|cannot|can not|unable to|not able to|won(?:'|’)?t|will not|not allowed to|not permitted to|must(?:n(?:'|’)?t| not)|could(?:n(?:'|’)?t| not)|shouldn(?:'|’)?t|don(?:'|’)?t|do not|am not going to|i'm not going to|never)"
REFUSAL = re.compile(
    rf"\b{_NEG}\b[^.?!]{{0,50}}?\b(?:share|give|tell|discuss|disclose|confirm|reveal|go into|access|provide|read|release|say|talk about|pass on|divulge|show|look at|go through)\b"
    r"|\buntil\b[^.?!]{0,40}?\b(?:pass(?:ed)?|complete[ds]?|got through|get through|verif(?:y|ied)|security|checks?)\b"
    r"|\bnot without\b|\bbefore (?:i|we) can (?:discuss|share|go)",
    re.I,
)


def is_refusal(sentence: str) -> bool:
    return bool(REFUSAL.search(sentence))


# A request: "what's your ...", "can I take your ...", "could you give me your ...", "I'll need your ...".
_ASK_LEAD = (
    r"(?:what(?:'s|’s|s| is| was| are| would be)|which is|can i (?:just |also |quickly )?(?:take|have|get|grab|ask for|check|confirm|note|jot down|ask)"
    r"|could i (?:just |also |quickly )?(?:take|have|get|grab|ask for|check|confirm|ask)|may i (?:take|have|ask for|ask)|can we (?:take|have|get)"
    r"|(?:can|could|would|will) (?:you|u) (?:please |pls )?(?:just )?(?:give|tell|provide|confirm|read|let me have|send|type|spell|pop|share|verify|supply|let me know|quote|put)"
    r"|please (?:give|provide|tell|confirm|read|send|type|share|pop|supply|let me know|quote|enter)"
    r"|i(?:'ll|’ll| will| would|'d|’d)? (?:just )?(?:also )?need(?: to (?:take|have|get|know|check))?|i(?:'m|’m| am) going to need|we(?:'ll| will)? need|(?:i|we) require"
    r"|do you (?:have|know)|if you could (?:give|tell|read|provide|confirm)|tell me|give me|let me (?:have|take)|send (?:me|us|over)|read out|read (?:me|us)|quote"
    r"|(?:just|only|also) need (?:the|your|ur|yr)|go ahead (?:with|and (?:give|read|tell)))"
)
ASK_LEAD = re.compile(rf"\b{_ASK_LEAD}\b", re.I)
_WHO = r"(?:your|ur|yr|the|an?|any|a contact|a valid)"

CATEGORY_TERMS: dict[str, str] = {
    "name": r"(?:full )?name",
    "date_of_birth": r"date of birth|d\.?o\.?b\.?|birthday",
    "address": r"(?:(?:home|postal|full|current|new|first line of (?:your |the )?)\s*)?address(?!\w)",
    "postcode": r"post ?code|postal code",
    "email": r"e-?mail(?: address)?",
    "phone": r"(?:(?:tele)?phone|mobile|landline|contact|home) (?:phone )?number|mobile|landline|number (?:we can|to) (?:reach|call|contact)",
    "account_number": r"(?:full |bank )?account number",
    "sort_code": r"sort ?code",
    "memorable_word": r"(?:full |whole |entire |complete )?(?:memor[aei]b(?:le|el)|memerable|mem) (?:word|phrase)",
    "password": r"(?:full |whole |online banking |login |log-in |complete )?(?:pass(?:word|code)|passwd|pword|pw|p/w)",
    "pin": r"(?:full |card |four[- ]digit |4[- ]digit )?pin(?: number| code)?",
    "national_insurance_number": r"national insurance(?: number)?|n\.?i\.? number|nino",
    "bank_details": r"(?:other |external )?bank(?: account)? details|details (?:for|of) (?:your|the) (?:other )?bank",
    "income": r"(?:annual |monthly |household |take[- ]home )?(?:income|salary|earnings|wages)|(?:take[- ]home|monthly|weekly|rate of) pay",
    "employer": r"employer|place of work|job title|occupation",
    "health": r"health(?: condition)?s?|medical (?:condition|history|details)s?|medications?|diagnosis|disabilit(?:y|ies)|illness(?:es)?",
}
CATEGORY_RE = {cat: re.compile(rf"\b{_WHO}?\s*(?:{term})\b", re.I) for cat, term in CATEGORY_TERMS.items()}
ANY_CATEGORY = re.compile(r"\b(?:" + "|".join(rf"(?:{term})" for term in CATEGORY_TERMS.values()) + ")", re.I)
# Asks that need no noun ("when were you born?", "who do you work for?"): seed/vocabulary/over_collection.yaml.
STANDALONE_ASKS = vocabulary.named_groups(vocabulary.standalone_asks())
_ASKS_GATE = vocabulary.Gate(
    [p for items in vocabulary.standalone_asks().values() for p in items] + vocabulary.full_secret()
)
_PEOPLE, _DETAILS = vocabulary.other_people()
# Another person's details: "your husband's date of birth", "what's your mum's number".
OTHER_PEOPLE = re.compile(
    rf"\b(?:your|his|her|their|the)\s+(?:{'|'.join(map(vocabulary.phrase_pattern, _PEOPLE))})(?:['’]s|s['’]|s)?\s+"
    rf"(?:{'|'.join(map(vocabulary.phrase_pattern, sorted(_DETAILS, key=len, reverse=True)))})",
    re.I,
)
# "tell me it": a request for whatever the sentence before named ("…the 6 digit passcode? tell me it").
ASK_FOR_IT = re.compile(r"\b(?:tell|give|read|say|type|send|pop)\s+(?:me\s+|us\s+)?(?:it|that|them)\b", re.I)
_NOT_BEFORE = re.compile(r"\b(?:not|never|no|without)\s+(?:\w+\s+){0,2}$", re.I)
# "one letter at a time": a request for part of a secret that gets all of it.
FULL_SECRET = vocabulary.any_of(vocabulary.full_secret())
PARTIAL = re.compile(
    r"\b(?:characters?|letters?|digits? (?:of|from)|numbers? \d|\d(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|last (?:two|three|four|2|3|4))\b",
    re.I,
)
NEGATED_ASK = re.compile(
    r"\b(?:never|don(?:'|’)?t|do not|won(?:'|’)?t|will not|no need|not need|needn(?:'|’)?t|not ask|shouldn(?:'|’)?t|without)\b",
    re.I,
)


_WORDS = re.compile(r"[A-Za-z0-9']+")
SECRETS = ("memorable_word", "password", "pin")
_NOT_POSTAL = re.compile(r"(?:e-?mail|web|ip|website)\s*$", re.I)


_FILLER = {
    "and",
    "your",
    "the",
    "a",
    "an",
    "please",
    "also",
    "then",
    "lastly",
    "finally",
    "so",
    "ok",
    "okay",
    "great",
    "thanks",
    "thank",
    "you",
    "just",
    "current",
    "full",
    "next",
    "now",
    "right",
    "lovely",
    "perfect",
}


# Words at least one of which any request for data contains: a cheap test before the patterns.
_GATE = (
    "name",
    "birth",
    "d.o.b",
    "dob",
    "address",
    "post",
    "mail",
    "phone",
    "mobile",
    "landline",
    "number",
    "account",
    "sort",
    "memorable",
    "pass",
    "pw",
    "p/w",
    "pin",
    "insurance",
    "nino",
    "bank",
    "income",
    "salary",
    "earn",
    "wage",
    "pay",
    "employ",
    "work",
    "occupation",
    "job",
    "health",
    "medic",
    "diagnos",
    "disabil",
    "illness",
    "born",
    "old are",
    "live",
    "reside",
    "make",
    "paid",
    "take home",
    "wrong",
)


def _bare_question(sentence: str, m: re.Match) -> bool:
    """A question that is only the category words and filler: "And your postcode, please?"."""
    rest = sentence[: m.start()] + " " + sentence[m.end() :]
    return all(w.lower() in _FILLER for w in _WORDS.findall(rest))


def asked_categories(sentence: str) -> list[tuple[str, int, int]]:
    """(category, start, end) for each data category the sentence asks the caller for.

    A request is an asking phrase ("what's your", "can I take", "could you give me") before the
    category's words, or a short question that is little more than the words ("And your postcode?").
    """
    low = sentence.lower()
    gate = any(k in low for k in _GATE)
    people = any(p in low for p in _PEOPLE)
    vocabulary_gate = _ASKS_GATE.open(sentence)
    if not (gate or people or vocabulary_gate):
        return []
    if NEGATED_ASK.search(sentence):
        return []
    found = _asks_without_nouns(sentence) if vocabulary_gate else []
    lead = ASK_LEAD.search(sentence)
    question = "?" in sentence
    if people and (lead or question) and (theirs := OTHER_PEOPLE.search(sentence)):
        found.append(("other_people", theirs.start(), theirs.end()))
    if not gate:
        return _without_theirs(found)
    if not (lead or question) or not ANY_CATEGORY.search(sentence):
        return _without_theirs(found)
    for cat, pattern in CATEGORY_RE.items():
        if any(f[0] == cat for f in found):
            continue
        if ask := _category_ask(sentence, cat, pattern, lead):
            found.append((cat, ask.start(), ask.end()))
    return _without_theirs(found)


def _asks_without_nouns(sentence: str) -> list[tuple[str, int, int]]:
    """Asks the vocabulary lists: a whole secret ("letter by letter"), and asks with no category noun."""
    found: list[tuple[str, int, int]] = []
    whole = FULL_SECRET.search(sentence)  # "spell out your memorable word", "letter by letter"
    if whole and not _NOT_BEFORE.search(sentence[: whole.start()]):  # "…, not the whole thing!"
        found.extend((cat, whole.start(), whole.end()) for cat in SECRETS if CATEGORY_RE[cat].search(sentence))
    for m in STANDALONE_ASKS.finditer(sentence):
        if m.lastgroup and all(f[0] != m.lastgroup for f in found):
            found.append((m.lastgroup, m.start(), m.end()))
    return found


def _without_theirs(found: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Drop the categories asked about another person (reported once, as other_people)."""
    if not found or all(cat != "other_people" for cat, _, _ in found):
        return found
    theirs = [(a, b) for cat, a, b in found if cat == "other_people"]
    return [f for f in found if f[0] == "other_people" or not any(a <= f[1] < b for a, b in theirs)]


def _category_ask(
    sentence: str, cat: str, pattern: re.Pattern[str], lead: re.Match[str] | None
) -> re.Match[str] | None:
    """The first place after the asking phrase (or anywhere in a bare question) that asks for ``cat``."""
    weak_lead = lead is not None and re.match(r"do you|have you", lead.group(), re.I) is not None
    for m in pattern.finditer(sentence, lead.end() if lead else 0):
        if not lead and not _bare_question(sentence, m):
            continue
        if cat == "address" and _NOT_POSTAL.search(sentence[: m.start() + m.group().lower().rfind("address")]):
            continue
        if cat in SECRETS and (weak_lead or (PARTIAL.search(sentence) and not FULL_SECRET.search(sentence))):
            continue
        return m
    return None


# Special category data (UK GDPR Art 9) written into notes: seed/vocabulary/special_categories.yaml.
_SPECIAL = vocabulary.special_categories()
SPECIAL_CATEGORIES: dict[str, re.Pattern] = {name: vocabulary.any_of(words) for name, words in _SPECIAL.items()}
_SPECIAL_GATE = vocabulary.Gate([w for words in _SPECIAL.values() for w in words])
_SPECIAL_TYPOS = Typos(w for words in _SPECIAL.values() for w in words)


def special_categories(text: str) -> list[tuple[str, int, int]]:
    """(category, start, end) of each special category word in ``text``, typed right or with one slip
    ("hosptial", "miscarrage")."""
    found: list[tuple[str, int, int]] = []
    if _SPECIAL_GATE.open(text):
        for name, pattern in SPECIAL_CATEGORIES.items():
            for m in pattern.finditer(text):
                found.append((name, m.start(), m.end()))
    mended = _SPECIAL_TYPOS.mend(text)
    if mended is not None:
        seen = {name for name, _, _ in found}
        for name, pattern in SPECIAL_CATEGORIES.items():
            if name not in seen:
                found.extend((name, *mended.span(*m.span())) for m in pattern.finditer(mended.text))
    return found


PLACEHOLDER = re.compile(
    r"(?<![!\]])\[\s*(?:insert\s+)?[A-Za-z][A-Za-z _/\-]{1,40}\](?![(\[])|\{\{?\s*[A-Za-z_][A-Za-z0-9_ .]{0,40}\}\}?|<<\s*[A-Za-z][^<>\n]{0,40}>>"
    r"|%[A-Za-z_]{2,30}%|\bX{2,}/X{2,}/X{2,4}\b|\b(?:INSERT|CUSTOMER|FIRST|LAST)_?NAME\b"
)
# "Dear XXXX," "Dear ________," "Hi <first name>": a blank left for a name or a detail (looked for only
# in a text with "XXX", "___" or "<" in it).
BLANK = re.compile(
    r"(?<![\w*])X{3,}(?![\w*])|_{3,}|<\s*(?:[A-Za-z]+[ _])*(?i:name|first|surname|customer|amount|date|ref(?:erence)?"
    r"|address|account|number|details?)(?:[ _][A-Za-z]+)*\s*>"
)
_NOT_PLACEHOLDER = re.compile(r"^\[(?:sic|sic\.|redacted|inaudible|pause|laughs|silence)\]$", re.I)


# A menu path written with brackets: "go to [Settings] > [Security]" names buttons, not blanks.
_MENU_STEP = re.compile(r"\s*(?:>|→|»|->|=>)\s*")


def _menu_step(text: str, start: int, end: int) -> bool:
    return bool(_MENU_STEP.match(text, end)) or bool(re.search(r"(?:>|→|»)\s*$", text[max(0, start - 4) : start]))


def placeholders(text: str) -> list[tuple[int, int]]:
    found = [
        m.span()
        for m in PLACEHOLDER.finditer(text)
        if not _NOT_PLACEHOLDER.match(m.group()) and not (m.group()[0] == "[" and _menu_step(text, *m.span()))
    ]
    if "XXX" in text or "___" in text or "<" in text:
        found.extend(m.span() for m in BLANK.finditer(text) if m.span() not in found)
    return sorted(found)


# Payment cards: asking for the full number or the security code, or writing the code down.
CARD_NUMBER_ASK = re.compile(
    r"\b(?:(?:long|full|whole|16[- ]digit|sixteen[- ]digit|complete) (?:card )?number|card number|number on (?:the front of )?(?:your|the) card|"
    r"card details|debit card number|credit card number|pan"
    r"|(?:16|sixteen)[- ](?:digits?|numbers?)|(?:digits|numbers) (?:across|along|on) the front)\b",
    re.I,
)
CVV = re.compile(
    r"\b(?:cvv2?|cvc2?|cv2|csc|card security code|(?:card )?sec\.? code|security code on (?:the back of )?(?:your|the) card|(?:three|3)[- ]digit (?:security )?(?:code|number)"
    r"|(?:last )?(?:three|3)(?: (?:digits|numbers))? on the back|(?:security )?(?:digits|numbers?|code) on the back(?: of (?:your|the) card)?"
    r"|(?:by|on|next to) the signature (?:strip|panel|box))\b",
    re.I,
)
CVV_VALUE = re.compile(rf"(?:{CVV.pattern})\W{{0,12}}(?:is|was|:|=|-|of)?\W{{0,3}}(\d{{3,4}})\b", re.I)
LAST_FOUR = re.compile(r"\b(?:last|final) (?:four|4)(?: digits)?\b|\bending(?: in| with)?\b|\bends (?:in|with)\b", re.I)
