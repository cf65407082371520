"""The caller's own measure (issue 19, item 6): filler rate and repeat rates on the labelled adviser messages.

Run from the checkout: ``PYTHONPATH=$PWD python tests/scenarios/measure_caller.py`` (``--file PATH`` measures
another labelled set, e.g. ``tests/scenarios/adviser_messages_holdout.yaml``; ``-v`` lists every miss). Each scenario's
messages (``tests/scenarios/adviser_messages.yaml``) are played as one long conversation against a fixed
customer, in file order (a contact that the caller would end carries on, to keep the conversation long);
the adviser passes ID&V after their first request for memorable-word characters.

- **Filler rate**: of the messages labelled with a question or request (kind ``q``), the share whose
  reply holds nothing but back-channel lines ("Okay, thanks.", "Mm-hm, go on.", "Sorry, I didn't follow").
  Read from the text alone, whatever the caller says about itself.
- **Word-for-word repeats**: the share of replies holding a sentence the caller already said in the
  contact, when the adviser did not ask for a repeat.
- **Same information again**: the share of replies holding a sentence that says nearly the same as an
  earlier one in other words (``difflib`` ratio at least 0.75, not identical), when not asked for a repeat.
- **Answered**: for a caller that reports which intents it answered (``CallerReply.answered``), the
  share of question/request labels it answered; a caller that does not report them shows ``n/a``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

import yaml

from crm_sandbox.scenarios.caller import reply
from crm_sandbox.scenarios.library import load_library

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = Path(__file__).with_name("adviser_messages.yaml")
CUSTOMER = {
    "ref": "cust-00042",
    "title": "Mrs",
    "first_name": "Priya",
    "middle_name": "Anne",
    "last_name": "Shah",
    "date_of_birth": "1985-03-12",
    "address_line1": "27 Mill Road",
    "address_line2": "",
    "town": "Exampleton",
    "postcode": "LS1 4AP",
    "email": "priya.shah12@example.com",
    "phone": "07700 900123",
    "account_number": "12345678",
    "sort_code": "99-12-34",
    "memorable_word": "butterfly",
    "balance": "1284.50",
    "product": "Everyday Current Account",
}
BACKCHANNEL = {
    "okay, thanks.",
    "sure, i'll wait.",
    "right, okay.",
    "okay.",
    "mm-hm, go on.",
    "alright, thank you.",
    "great, thank you.",
    "okay, i'm still here.",
    "no problem, take your time.",
}
DIDNT_FOLLOW = re.compile(
    r"^(?:sorry|i'm sorry|pardon)[,.]? (?:i didn't (?:follow|understand|catch)|what do you mean)", re.I
)
SIMILAR = 0.75


def load_messages(path: Path = MESSAGES) -> tuple[dict[str, str], dict[str, list[dict]]]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return doc["kinds"], doc["messages"]


def sentences(text: str) -> list[str]:
    """The sentences of a reply, lower-cased with spaces squeezed (the email wrapper dropped)."""
    text = re.sub(r"^Hello,\s*|\s*Kind regards,.*$", "", text.strip(), flags=re.S)
    parts = re.split(r"(?<=[.!?])\s+|\n+", text)
    return [re.sub(r"\s+", " ", p).strip().lower() for p in parts if p.strip()]


def is_filler(text: str) -> bool:
    said = sentences(text)
    return not said or all(s in BACKCHANNEL or DIDNT_FOLLOW.match(s) for s in said)


@dataclass
class Figures:
    questions: int = 0
    fillers: int = 0
    replies: int = 0
    verbatim: int = 0
    same_info: int = 0
    labels: int = 0
    answered: int = 0
    reports_answers: bool = True
    misses: list[tuple[str, str, str, str]] = field(default_factory=list)  # scenario, text, label, reply

    def rate(self, part: int, whole: int) -> float:
        return 100.0 * part / whole if whole else 0.0

    def lines(self) -> list[str]:
        answered = f"{self.rate(self.answered, self.labels):.1f} %" if self.reports_answers else "n/a"
        return [
            f"messages with a question or request: {self.questions}",
            f"filler rate on questions and requests: {self.rate(self.fillers, self.questions):.1f} %",
            f"replies: {self.replies}",
            f"word-for-word repeat rate: {self.rate(self.verbatim, self.replies):.1f} %",
            f"same information again: {self.rate(self.same_info, self.replies):.1f} %",
            f"question/request labels answered (caller's own report): {answered}",
        ]


def _event(history: list[dict], type_: str, actor: str, data: dict) -> None:
    history.append({"seq": len(history) + 1, "type": type_, "actor": actor, "data": data})


def play_scenario(scenario: dict, messages: list[dict], kinds: dict[str, str], figures: Figures) -> None:
    history: list[dict] = []
    said: list[str] = []
    verified = False
    for message in messages:
        text, labels = message["text"], message["intents"]
        _event(history, "message.sent", "learner", {"text": text})
        answer = reply(scenario, CUSTOMER, history, text)
        _event(history, "message.received", "caller", {"text": answer.text})
        _count(figures, scenario["id"], text, labels, kinds, answer, said)
        said += sentences(answer.text)
        if "chars" in labels and not verified:
            _event(history, "idv.result", "system", {"passed": True})
            verified = True


def _count(figures: Figures, sid: str, text: str, labels: list[str], kinds: dict, answer: object, said: list) -> None:
    reply_text = getattr(answer, "text", "")
    questions = [label for label in labels if kinds.get(label) == "q"]
    figures.replies += 1
    if questions:
        figures.questions += 1
        if is_filler(reply_text):
            figures.fillers += 1
            figures.misses.append((sid, text, "filler", reply_text))
    answered = getattr(answer, "answered", None)
    if answered is None:
        figures.reports_answers = False
    else:
        figures.labels += len(questions)
        for label in questions:
            if label in answered:
                figures.answered += 1
            else:
                figures.misses.append((sid, text, label, reply_text))
    if "repeat" in labels:
        return
    now = sentences(reply_text)
    if any(s in said for s in now if s not in BACKCHANNEL):
        figures.verbatim += 1
        figures.misses.append((sid, text, "word-for-word repeat", reply_text))
    elif any(SequenceMatcher(None, s, old).ratio() >= SIMILAR for s in now for old in said if s != old):
        figures.same_info += 1
        figures.misses.append((sid, text, "same information", reply_text))


def measure(path: Path = MESSAGES) -> Figures:
    kinds, by_scenario = load_messages(path)
    scenarios = {f.id: f.scenario for f in load_library(str(ROOT / "seed")) if f.valid}
    figures = Figures()
    for sid, messages in by_scenario.items():
        play_scenario(scenarios[sid], messages, kinds, figures)
    return figures


def main(argv: list[str]) -> int:
    path = Path(argv[argv.index("--file") + 1]) if "--file" in argv[:-1] else MESSAGES
    figures = measure(path)
    print("\n".join(figures.lines()))
    if "-v" in argv:
        for sid, text, label, reply_text in figures.misses:
            print(f"  [{sid}] {label}: {text!r} -> {reply_text!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
