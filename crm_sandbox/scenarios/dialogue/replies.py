"""Wording the caller's reply: one answer per question or request, in persona, never a sentence twice.

``Composer`` works over the scripted caller's context (``scenarios/caller.py``, ``_Context``: the scenario,
the customer, the history, the verification answers and the scenario's placeholders). Each clause of the
adviser's message is matched against the scenario's intents, then the shared library's; each intent gets
an answer: a fact the caller has, an honest "I don't know", a question back, or a reaction to the mood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from crm_sandbox.scenarios.dialogue.intents import (
    Intent,
    all_intents,
    dialogue,
    library,
    nearest,
    normalised,
    read,
    vocabulary,
)
from crm_sandbox.scenarios.dialogue.patterns import RX
from crm_sandbox.scenarios.dialogue.state import DialogueState, sentences, squeeze
from crm_sandbox.scenarios.dialogue.text import is_question

VERIFICATION = ("name", "chars", "full_secret", "dob", "postcode", "address", "account")
CLOSING = ("anything_else", "goodbye")


@dataclass
class Part:
    intent: str
    text: str
    ends: bool = False  # the caller ends the contact with it (a scenario rule's ``ends``)


@dataclass
class Composer:
    ctx: Any  # scenarios.caller._Context
    parts: list[Part] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.scenario = self.ctx.scenario
        self.state = DialogueState(self.scenario, self.ctx.history, self.ctx.message)
        self.intents = [i for i in all_intents(self.scenario) if self._conditions_hold(i)]
        self.text = normalised(self.ctx.message, vocabulary(self.intents))
        self.lines = library().get("lines") or {}
        self.fallbacks: set[str] = set()  # "I told you already" lines given in this reply
        self.repeat_asked = False  # "what was that email again?": the answer may be said again
        self.reaction: str | None = None  # the scenario's one scripted reaction to a statement, if any

    # -- choosing words ----------------------------------------------------------------------------
    def fresh(self, text: str) -> bool:
        """Not said before in the contact (unless the adviser asked for a repeat), nor already in this reply."""
        used = {s for p in self.parts for s in sentences(p.text)}
        if not text or set(sentences(text)) & used:
            return False
        return self.repeat_asked or not self.state.already_said(text)

    def pick(self, options: list[str] | tuple[str, ...]) -> str | None:
        for option in options:
            text = self.sentence(self.ctx.fill(self.slots(option)))
            if text and "{" not in text and self.fresh(text):
                return text
        return None

    def sentence(self, text: str) -> str:
        """Capitalised (unless the persona types in lower case) and ending in punctuation, once."""
        text = re.sub(r"(?<![.])\.\.(?![.])", ".", re.sub(r"([!?])\.(?!\.)", r"\1", text.strip()))
        if not text:
            return text
        if dialogue(self.scenario).get("style") == "lower":
            return re.sub(r"(^|[.!?] )([A-Z])(?=[a-z ,'])", lambda m: m.group(1) + m.group(2).lower(), text)
        if "@" not in text.split(" ")[0]:
            text = text[0].upper() + text[1:]
        return text if text[-1] in ".!?" else text + "."

    def line(self, name: str) -> str:
        """A line of the library (``lines:``); once all are used, a counted variant (still never repeated)."""
        options = self.lines.get(name) or []
        found = self.pick(options)
        if found:
            return found
        template = _COUNTED.get(name, "Sorry, I didn't follow, {n} times now.")
        n = len(options) + 1
        while not self.fresh(template.format(n=n)) and n < 10_000:
            n += 1
        return template.format(n=n)

    def again(self, text: str) -> str:
        """A verification answer asked for again: given again, in one new sentence."""
        lead = self.line("already_said").rstrip(".?! ")
        first = text.split(" ")[0]
        keep = text[:2] in ("I ", "I'") or not text[:1].isalpha() or first.isupper() or any(c.isdigit() for c in first)
        return f"{lead}: {text if keep else text[:1].lower() + text[1:]}"

    def slots(self, text: str) -> str:
        """``{slots.NAME}``: the scenario's ``dialogue.slots``, else the library's for the channel."""
        if "{slots." not in text:
            return text
        mine = dialogue(self.scenario).get("slots") or {}
        shared = library().get("slots") or {}
        for name in set(mine) | set(shared):
            value = mine.get(name)
            if value is None:
                value = (shared.get(name) or {}).get(self.ctx.channel, "")
            text = text.replace("{slots." + name + "}", str(value))
        return text

    def slot(self, name: str) -> str:
        return self.slots("{slots." + name + "}").strip()

    # -- conditions --------------------------------------------------------------------------------
    def _conditions_hold(self, intent: Intent) -> bool:
        if not self.ctx._state_ok(intent.state):
            return False
        rule = intent.rule
        after = rule.get("after")
        if after and not set([after] if isinstance(after, str) else after) & self.ctx.event_types:
            return False
        return not (rule.get("min_turn") and self.ctx.turn < int(rule["min_turn"]))

    # -- the reply ---------------------------------------------------------------------------------
    def detected(self) -> list[tuple[str, list[Intent]]]:
        return read(self.ctx.message, self.intents)

    def add(self, intent: str, text: str | None) -> None:
        if text:
            self.parts.append(Part(intent, text))

    def answer(self, intent: Intent, clause: str) -> str | None:
        """The answer to one intent, in persona; None for a statement that needs no reaction."""
        options = self.options(intent)
        handler = getattr(self, "_" + intent.name, None)
        if handler is not None:
            return handler(clause, options)
        found = self.pick(options)
        if found:
            return found
        if intent.kind != "question":
            return None
        return self.fallback(intent.name, bool(options))

    def options(self, intent: Intent) -> list[str]:
        """The words for ``intent``: the scenario's ``dialogue.say``; for a library intent the scenario has
        a slot of that name for, none (the slot answers, ``fallback``); for a library intent whose name the
        scenario's own intent shares (the library's patterns heard it, the scenario's did not), the
        scenario's words; else the intent's own."""
        own = (dialogue(self.scenario).get("say") or {}).get(intent.name)
        if own:
            return [own] if isinstance(own, str) else list(own)
        if not intent.scenario and intent.name in _slots(self.scenario):
            return []
        twin = next((i for i in self.intents if i.scenario and i.name == intent.name and i.say), None)
        return list((twin or intent).say) if not intent.scenario else list(intent.say)

    def fallback(self, name: str, answered_before: bool) -> str:
        """A question the caller has no (new) answer to: a fact from the slots, or honesty."""
        own_words = any(i.scenario and i.name == name and i.say for i in self.intents)
        shared = name in (library().get("slots") or {}) and not own_words  # the library's default: only when
        slot = self.slot(name) if shared or name in _slots(self.scenario) else ""  # the scenario has no words
        slot = self.sentence(self.ctx.fill(slot))
        if slot and self.fresh(slot):
            return slot
        facts = self.ctx.answer_facts_for(name)
        if facts and self.fresh(facts):
            return facts
        text = self.line("already_said" if answered_before or slot or facts else "dont_know")
        if answered_before or slot or facts:
            self.fallbacks.add(text)
        return text

    # -- handlers for the intents that need the scenario or the history -----------------------------
    def _spell(self, clause: str, options: list[str]) -> str:
        """Spelling asked for: the thing named, spelled out, from what the caller said or the record."""
        self.repeat_asked = True  # spelling it out says it again, as asked
        self.parts.append(Part("repeat", ""))
        word = spelled_target(clause, self.state, self.ctx)
        if not word:
            return self.line("didnt_follow")
        letters = "-".join(ch.upper() for ch in word if ch.isalnum())
        return self.pick([f"Of course: {letters}. {word}.", f"It's {letters}, {word}."]) or self.line("already_said")

    def _need(self, clause: str, options: list[str]) -> str:
        return self.pick([self.ctx.need_text(), self.slot("need_short"), self.slot("outcome")]) or self.fallback(
            "need", True
        )

    def _outcome(self, clause: str, options: list[str]) -> str:
        return self.pick(
            [*options, self.slot("outcome"), self.ctx.need_text(), self.slot("need_short")]
        ) or self.fallback("outcome", True)

    def _repeat(self, clause: str, options: list[str]) -> str:
        last = self.state.last_reply
        if not last:
            return self.line("dont_know")
        self.repeat_asked = True  # a repeat asked for: the one time the caller says it again
        prefixes = [p for p in self.lines.get("repeat_prefix") or [] if p.strip() not in self.state.said]
        return (prefixes[0] if prefixes else "") + last

    def _refusal(self, clause: str, options: list[str]) -> str | None:
        return self.pick([*options, self.ctx.on_refusal(), *self.ctx.refusal_reactions()])

    def _card_warning(self, clause: str, options: list[str]) -> str | None:
        return self.pick([*options, "Oh, sorry! I didn't realise. I won't do that again."])

    def _greeting(self, clause: str, options: list[str]) -> str | None:
        return None  # a greeting alone is answered by the caller's need (see ``compose``)

    def _goodbye(self, clause: str, options: list[str]) -> str | None:
        return None

    def _anything_else(self, clause: str, options: list[str]) -> str | None:
        return None


_STREET = re.compile(
    r"\b([A-Z][a-z]+(?: [A-Z][a-z]+)?) (?:Street|Lane|Road|Avenue|Row|Close|Drive|Way|Court|Place|Crescent|Gardens|"
    r"Terrace|Grove|Hill|Park|Square|Walk|Mews)\b"
)


def spelled_target(clause: str, state: Any, ctx: Any) -> str:
    """What "can you spell ...?" asks for: the street the caller last named, the town, the name or email
    on file, else the longest capitalised word of the caller's last reply."""
    said = [str(e["data"].get("text", "")) for e in ctx.history if e.get("actor") == "caller" and e.get("data")]
    customer = ctx.customer
    if re.search(r"street|road|lane|avenue|address|house", clause):
        for text in reversed(said):
            if m := _STREET.search(text):
                return m.group(1)
        return re.sub(r"^\d+\s*", "", str(customer.get("address_line1", "")))
    if re.search(r"\btown|city|village", clause):
        return str(customer.get("town", ""))
    if re.search(r"surname|last name|family name", clause):
        return str(customer.get("last_name", ""))
    if re.search(r"\bname\b", clause):
        return str(customer.get("first_name", "")) + " " + str(customer.get("last_name", ""))
    if re.search(r"e-?mail", clause):
        return str(customer.get("email", ""))
    last = said[-1] if said else ""
    words = re.findall(r"(?<![.!?] )(?<!^)\b[A-Z][a-z]{3,}\b", last)
    return max(words, key=len) if words else ""


_COUNTED = {  # {n}: how many times the caller has had to say it
    "didnt_follow": "Sorry, I haven't followed you {n} times now.",
    "dont_know": "That's {n} things now I can't tell you, sorry.",
    "already_said": "I've been asked that {n} times now",
    "impatient": "I've said {n} times now that I'm losing patience.",
    "distrust": "I've said {n} times I'm not sure about this.",
    "other_language": "Sorry, English only, I've said it {n} times.",
    "too_long": "That's {n} very long messages. What do you need from me?",
    "closing_again": "Goodbye, for the {n}th time.",
}


def _slots(scenario: dict) -> dict:
    return dialogue(scenario).get("slots") or {}


def compose(ctx: Any) -> tuple[list[Part], bool]:
    """The parts of the caller's reply (after the verification answers, which ``ctx`` gives) and whether
    the caller ends the contact."""
    composer = Composer(ctx)
    detected = composer.detected()
    # a scenario rule marked priority stands in for the verification answer it names ("is that the long
    # number on my card?" instead of an account number; ``replaces: [postcode]`` for another name)
    replaced = {n for _, found in detected for i in found if i.priority for n in [i.name, *i.rule.get("replaces", [])]}
    verification = [(n, t) for n, t in ctx.tagged_verification_answers(composer.text) if n not in replaced]
    asked_again = bool(verification) and any(i.name == "repeat" for _, found in detected for i in found)
    composer.repeat_asked = asked_again  # "give me that account number again": the verification answer, again
    for name, text in verification:
        composer.add(name, text if composer.fresh(text) else composer.again(text))
    answered = {name for name, _ in verification} | ({"repeat"} if asked_again else set())
    if asked_again:
        composer.parts.append(Part("repeat", ""))
    names = {i.name for _, found in detected for i in found}
    if names & set(CLOSING) and not (names & {"refusal"}):
        composer.parts += [Part(n, t) for n, t in ctx.confirmations()[:1]]
        asked = "anything_else" in names
        closing = composer.pick([ctx.closing_line(asked), *ctx.closing_lines(asked)]) or composer.line("closing_again")
        composer.add("anything_else" if asked else "goodbye", closing)
        return composer.parts, True
    matched = {i.name for _, found in detected for i in found}
    # one scripted reaction to what the adviser says: the scenario's first rule that applies (its order)
    composer.reaction = next(
        (i.name for i in composer.intents if i.scenario and i.kind == "statement" and i.name in matched), None
    )
    for name, text in ctx.confirmations()[:1]:  # "I've logged your complaint": the caller's reaction first
        if composer.reaction is None and composer.fresh(text):
            composer.add(name, text)
            answered |= {i.name for _, found in detected for i in found if i.kind == "statement" and not i.scenario}
    for clause, found in detected:
        if not found and is_question(clause) and not _verification_question(clause):
            found = _nearest_reading(composer, clause, answered)
        _answer_clause(composer, clause, found, answered)
    _react_when_silent(composer, detected, answered)
    _react_to_mood(composer)
    drop_repeats(composer)
    return [p for p in composer.parts if p.text or p.intent], any(p.ends for p in composer.parts)


def _answer_clause(composer: Composer, clause: str, found: list[Intent], answered: set[str]) -> None:
    """Each intent of the clause answered once; "I told you that already" only when nothing new is said."""
    scenario_hit, before = False, len(composer.parts)
    fallbacks: list[Part] = []
    names = {i.name for i in found}
    if "confirm_understanding" in names:  # "so you want X, is that right?": a yes, not X again
        found = [i for i in found if i.name == "confirm_understanding" or i.kind != "question"]
    if "repeat" in names and any(i.kind == "question" and i.name != "repeat" for i in found):
        composer.repeat_asked = True  # "what was that email again?": the email, again
        found = [i for i in found if i.name != "repeat"]
        composer.parts.append(Part("repeat", ""))  # the repeat asked for is answered by the others' answers
    for intent in found:
        if _skip(composer, intent, clause, found, answered, scenario_hit):
            continue
        text = composer.answer(intent, clause)
        if text and not intent.scenario and text in (composer.lines.get("dont_know") or []):
            intent, text = _scenario_instead(composer, intent, clause, text, answered)
        if not text:
            continue
        answered.add(intent.name)
        if text in composer.fallbacks:
            fallbacks.append(Part(intent.name, text))
            scenario_hit = scenario_hit or intent.scenario
            continue
        composer.parts.append(Part(intent.name, text, intent.ends))
        scenario_hit = scenario_hit or intent.scenario
    if fallbacks and len(composer.parts) == before:
        composer.parts.append(fallbacks[0])
        composer.parts += [Part(p.intent, "") for p in fallbacks[1:]]  # answered together


def _verification_question(clause: str) -> bool:
    """An ID&V question: answered by the verification answers, never read as anything else."""
    return any(RX[n].search(clause) for n in ("name", "dob", "postcode", "address_line", "account", "chars", "secret"))


def _skip(composer: Composer, intent: Intent, clause: str, found: list[Intent], answered: set, hit: bool) -> bool:
    if intent.name in answered or (intent.name in VERIFICATION and not intent.scenario):
        return True
    if intent.scenario and intent.kind == "statement" and intent.name != composer.reaction:
        return True  # one scripted reaction to what the adviser says; every question still answered
    # the scenario's own answer to these words stands for the library's
    return hit and not intent.scenario and intent.kind == "question" and _overlaps(intent, clause, found)


SURE = 1.0  # how much a question must share with one intent's telling words to be read as it (``nearest``)
UNSURE = 0.5  # sharing less than SURE but at least this: the caller asks back


def _nearest_reading(composer: Composer, clause: str, answered: set[str]) -> list[Intent]:
    """A question no pattern matched: read as the intent whose words it shares (at least ``SURE``), or,
    sharing only one, the caller asks back ("Sorry, I didn't follow. Do you mean ...?")."""
    intent, hits = nearest(clause, composer.intents)
    if intent is None or intent.name in answered or (intent.name in VERIFICATION and not intent.scenario):
        return []
    if hits >= SURE:
        return [intent]
    if hits < UNSURE:
        return []
    options = [f"Sorry, I didn't follow. Do you mean {m}?" for m in _meanings(intent)]
    composer.add("question", composer.pick(options))
    return []


def _meanings(intent: Intent) -> list[str]:
    """How the caller puts an intent back to the adviser: its ``means`` (data); none, no question back."""
    means = intent.rule.get("means") or ((library().get("intents") or {}).get(intent.name) or {}).get("means")
    return [str(means)] if means else []


def _scenario_instead(composer: Composer, intent: Intent, clause: str, text: str, answered: set[str]) -> tuple:
    """A general question the caller cannot answer ("when ...?" with no date to give): the scenario's own
    question that the clause's telling words point to, if one does ("when did you last log in?")."""
    own = [i for i in composer.intents if i.scenario and i.name not in answered and i.name not in VERIFICATION]
    better, score = nearest(clause, own)
    if better is None or score < SURE:
        return intent, text
    found = composer.answer(better, clause)
    return (better, found) if found and found not in (composer.lines.get("dont_know") or []) else (intent, text)


def _overlaps(intent: Intent, clause: str, found: list[Intent]) -> bool:
    """The library intent reads words a scenario question of the clause reads too."""
    mine = intent.span(clause)
    if mine is None:
        return True
    for other in found:
        theirs = other.span(clause) if other.scenario and other.kind == "question" else None
        if theirs and mine[0] < theirs[1] and theirs[0] < mine[1]:
            return True
    return False


def drop_repeats(composer: Composer) -> None:
    """The last safety net: no sentence the caller already said, unless a repeat was asked for."""
    if composer.repeat_asked or any(p.intent == "repeat" for p in composer.parts):
        return
    for part in composer.parts:
        kept = [s for s in _split(part.text) if squeeze(s) not in composer.state.said]
        part.text = " ".join(kept)
    if composer.parts and not any(p.text for p in composer.parts):
        composer.parts[0].text = composer.line("already_said")


def _split(text: str) -> list[str]:
    return [p for p in re.split(r"(?<=[.!?])\s+", text.strip()) if p]


LOW = 25  # below this, the caller says how they feel


def _react_to_mood(composer: Composer) -> None:
    """The caller's patience or trust has just fallen below ``LOW``: they say so."""
    before, now = composer.state.mood_before, composer.state.mood_now
    if now.patience < LOW <= before.patience:
        composer.add("mood", composer.line("impatient"))
    elif now.trust < LOW <= before.trust:
        composer.add("mood", composer.line("distrust"))


def _react_when_silent(composer: Composer, detected: list[tuple[str, list[Intent]]], answered: set[str]) -> None:
    """Nothing answered yet: the confirmations of an action, the caller's need after a greeting, or honesty."""
    if composer.parts:
        return
    names = {i.name for _, found in detected for i in found}
    if "greeting" in names and composer.ctx.turn <= 2:
        composer.add("need", composer._need("", []))
    elif any(is_question(c) for c, found in detected if not found):
        composer.add("question", composer.line("didnt_follow" if len(composer.text) < 8 else "dont_know"))
    elif not names:  # a statement the caller has nothing to say to: a back-channel line, fresh each time
        composer.add("filler", composer.ctx.filler() or composer.line("didnt_follow"))
