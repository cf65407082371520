"""What the caller remembers of a contact, rebuilt from its history: what the adviser asked, what the caller
said (sentence by sentence), the ID&V state and the mood."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from crm_sandbox.scenarios.dialogue import mood as mood_rules


def sentences(text: str) -> list[str]:
    """A reply's sentences, as the caller compares them (lower case, spaces squeezed)."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", text or "")
    return [squeeze(p) for p in parts if p.strip()]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def letters(text: str) -> str:
    """Only the letters and digits (punctuation and spacing ignored)."""
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


@dataclass
class DialogueState:
    scenario: dict
    history: list[dict]
    message: str

    @cached_property
    def adviser_messages(self) -> list[str]:
        """The adviser's earlier messages (the current one excluded even when already in the history)."""
        sent = [str((e.get("data") or {}).get("text", "")) for e in self.history if e.get("type") == "message.sent"]
        if sent and self.history and self.history[-1].get("type") == "message.sent" and sent[-1] == self.message:
            sent = sent[:-1]
        return sent

    @cached_property
    def caller_messages(self) -> list[str]:
        return [str((e.get("data") or {}).get("text", "")) for e in self.history if e.get("type") == "message.received"]

    @cached_property
    def said(self) -> set[str]:
        return {s for text in self.caller_messages for s in sentences(_unwrap(text))}

    @cached_property
    def said_letters(self) -> str:
        return "\n".join(letters(t) for t in self.caller_messages)

    def already_said(self, text: str) -> bool:
        """Any sentence of ``text`` was said before (or, read letter by letter, all of it was)."""
        if any(p in self.said for p in sentences(text)):
            return True
        core = letters(text)
        return len(core) >= 12 and core in self.said_letters

    @cached_property
    def mood_before(self) -> mood_rules.Mood:
        return mood_rules.replay(self.scenario, self.adviser_messages)

    @cached_property
    def mood_now(self) -> mood_rules.Mood:
        mood = self.mood_before
        for change in mood_rules.changes(self.scenario, self.adviser_messages, self.message):
            mood = mood.moved(change)
        return mood

    @property
    def last_reply(self) -> str:
        return _unwrap(self.caller_messages[-1]) if self.caller_messages else ""


def _unwrap(text: str) -> str:
    """An email reply without its greeting and signature."""
    return re.sub(r"^Hello,\s*|\s*Kind regards,.*$", "", text.strip(), flags=re.S)
