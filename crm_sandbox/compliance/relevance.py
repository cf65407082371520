"""Evidence by relevance: which events of a session evidence each kind of criterion.

A criterion (``seed/criteria.yaml``) names evidence kinds; each kind is computed here ONCE, from the
session document alone (pure: no app, no database), so the review, the reports and the pack link the same
events. A kind links the events that bear on it, never every message of a contact:

- ``greeting``: the learner's first message.
- ``verification``: the ID&V answers checked and the result, and the learner's messages that ask a
  verification question before the caller is verified (the same detection of a request for data that
  the collection rules use, ``language.asked_categories`` and its category terms, plus questions that
  ask who is calling).
- ``logging``: notes added and amended, and the close (with its outcome).
- ``escalation``: complaints raised, escalations, refunds, and the learner's messages that tell the
  customer what happens next.
- ``spelling``: the learner's messages with spelling evidence (the review's spelling check, passed in).
- ``templates``: the learner's messages sent from a canned response.
- ``resolution``: the learner's closing messages (those after the caller's last-but-one message, and
  any that check the customer's understanding or whether anything else is needed) and the close.
- ``need``: the learner's questions about the need (questions that ask for no personal data) and the
  actions taken on the account (updates, refunds, complaints, escalations).
- ``knowledge``: the learner's searches, records opened and knowledge-base articles read (not the
  system's unmasking of the record after verification).
- ``guidance``: the learner's messages that explain what they are doing or guide the customer through
  steps.
- ``recording``: what was written to the record: notes, amendments, field updates, refunds processed.
- ``complaint``: the complaint raised and what followed it: notes, escalations, refunds and the
  messages telling the customer what happens next.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .context import VERIFIED, Context, Step
from .document import SessionDocument
from .language import ASK_LEAD, CATEGORY_RE, NEGATED_ASK, PARTIAL, asked_categories, sentences

EVIDENCE_KINDS = (
    "greeting",
    "verification",
    "logging",
    "escalation",
    "spelling",
    "templates",
    "resolution",
    "need",
    "knowledge",
    "guidance",
    "recording",
    "complaint",
)
# Data a learner asks for to identify and verify the caller.
VERIFICATION_CATEGORIES = {
    "name",
    "date_of_birth",
    "postcode",
    "address",
    "account_number",
    "memorable_word",
    "password",
}
ACTIONS = ("record.updated", "refund.issued", "complaint.raised", "escalated")
NOTES = ("note.added", "note.amended")

_A = r"(?:'|’)"
NEXT_STEPS = re.compile(
    rf"\b(?:what happens next|next steps?"
    rf"|(?:will|{_A}ll) (?:then |now |also )?(?:be in touch|contact you|call you|ring you|e-?mail you|write to you"
    rf"|get back to you|be contacted|hear|receive|get a|respond|reply|review|investigate|look into|deal with"
    rf"|pick (?:this|it) up|be sent|arrive|come back to you|update you)"
    rf"|within (?:\d+|one|two|three|five|seven|ten|a|an) (?:working |calendar |business )?(?:days?|weeks?|months?|hours?)"
    rf"|(?:passed|passing|referred|referring|escalated|escalating|transferred|transferring|handed|handing)"
    rf"(?: (?:this|it|your \w+))?(?: (?:on|over|up))? to)",
    re.I,
)
GUIDANCE = re.compile(
    rf"\b(?:i(?:{_A}ve| have) (?:just |now )?(?:checked|looked|found|updated|changed|sent|raised|logged|recorded|noted"
    rf"|added|issued|made|set up|reset|arranged|passed|escalated|opened|cancelled|refunded)"
    rf"|i(?:{_A}m| am) (?:just |now )?(?:checking|looking|updating|changing|sending|raising|logging|recording|noting"
    rf"|adding|issuing|opening|resetting|arranging|going to)"
    rf"|i(?:{_A}ll| will) (?:just |now )?(?:check|look|update|change|send|raise|log|record|note|add|issue|open|set up"
    rf"|reset|arrange|pass|cancel|refund)"
    rf"|let me (?:just )?(?:check|look|see|find|pull up|bring up)"
    rf"|step (?:\d|one|two|three)|(?:click|tap|select|press) (?:on )?|go to (?:the|your)|log (?:in|on)(?:to| to)"
    rf"|sign in to|in the app)",
    re.I,
)
CHECKS_UNDERSTANDING = re.compile(
    r"\b(?:anything else|something else|any other (?:questions?|queries|way)|(?:does|did|has|have) (?:that|this) "
    r"(?:help|helped|answer|answered|make sense|sort|sorted|resolve|resolved)|is (?:that|this|everything) "
    r"(?:ok|okay|alright|all right|clear)|are you happy|(?:does|do) (?:that|you) (?:all )?make sense)",
    re.I,
)
_QUESTION_START = re.compile(
    r"^\W*(?:how|what|why|when|which|where|who|could you|can you|would you|will you|is there|are there|is it|are you"
    r"|do you|did you|have you|has)\b",
    re.I,
)


def _sent(ctx: Context) -> list[Step]:
    return ctx.of_type("message.sent")


def _text(step: Step) -> str:
    return str(step.event.data.get("text") or "")


def _seqs(steps: list[Step]) -> tuple[int, ...]:
    return tuple(sorted({s.event.seq for s in steps}))


# Identifying the caller: "Who am I speaking to?", "Are you the account holder?"
IDENTIFIES = re.compile(
    rf"\bwho (?:am i|are you|(?:do|have) i) (?:speaking|talking|got)(?: to| with)?\b|\bare you the (?:account ?holder|customer)\b"
    rf"|\bwho(?:{_A}s| is) (?:calling|this)\b",
    re.I,
)


def asks_verification(sentence: str) -> bool:
    """The sentence asks the caller to identify themselves or for a verification answer: a request for
    data the collection rules recognise (``asked_categories``), or a question or request that names a
    verification item ("Could you also confirm your postcode?", "the 2nd and 5th characters of your
    memorable word"), or asks who is calling."""
    if IDENTIFIES.search(sentence):
        return True
    if any(cat in VERIFICATION_CATEGORIES for cat, _, _ in asked_categories(sentence)):
        return True
    if NEGATED_ASK.search(sentence) or not ("?" in sentence or ASK_LEAD.search(sentence)):
        return False
    return any(CATEGORY_RE[cat].search(sentence) for cat in VERIFICATION_CATEGORIES) or bool(
        PARTIAL.search(sentence) and CATEGORY_RE["memorable_word"].search(sentence)
    )


def _verification_questions(ctx: Context) -> list[Step]:
    return [
        s
        for s in _sent(ctx)
        if s.status != VERIFIED and any(asks_verification(_text(s)[a:b]) for a, b in sentences(_text(s)))
    ]


def _is_need_question(sentence: str) -> bool:
    if "?" not in sentence and not _QUESTION_START.search(sentence):
        return False
    if CHECKS_UNDERSTANDING.search(sentence) or asked_categories(sentence) or asks_verification(sentence):
        return False
    return True


def _need_questions(ctx: Context) -> list[Step]:
    return [s for s in _sent(ctx) if any(_is_need_question(_text(s)[a:b]) for a, b in sentences(_text(s)))]


def _matching(ctx: Context, pattern: re.Pattern[str]) -> list[Step]:
    return [s for s in _sent(ctx) if pattern.search(_text(s))]


def _closing(ctx: Context) -> list[Step]:
    """The learner's messages in the last exchange before the close (after the caller's last-but-one
    message), and any that check understanding or whether anything else is needed."""
    checks = _matching(ctx, CHECKS_UNDERSTANDING)
    closed = ctx.closed
    if closed is None:
        return checks
    heard = [s.event.seq for s in ctx.of_type("message.received") if s.event.seq < closed.seq]
    after = heard[-2] if len(heard) >= 2 else (heard[-1] if heard else 0)
    return checks + [s for s in _sent(ctx) if after < s.event.seq < closed.seq]


def _complaint(ctx: Context) -> list[Step]:
    raised = ctx.of_type("complaint.raised")
    if not raised:
        return []
    first = raised[0].event.seq
    follow = ctx.of_type(*NOTES, "escalated", "refund.issued") + _matching(ctx, NEXT_STEPS)
    return raised + [s for s in follow if s.event.seq >= first]


def evidence(session: SessionDocument, spelling: Mapping[int, Any] | None = None) -> dict[str, tuple[int, ...]]:
    """Event seqs per evidence kind (every kind in EVIDENCE_KINDS, each sorted).

    ``spelling``: learner message seq -> the words the spelling check flagged (the review's check; the
    rules engine has no dictionary).
    """
    ctx = Context(session)
    flagged = set(spelling or {})
    sent = _sent(ctx)
    kinds: dict[str, Callable[[], list[Step]]] = {
        "greeting": lambda: sent[:1],
        "verification": lambda: ctx.of_type("idv.answer", "idv.result") + _verification_questions(ctx),
        "logging": lambda: ctx.of_type(*NOTES, "contact.closed"),
        "escalation": lambda: (
            ctx.of_type("complaint.raised", "escalated", "refund.issued") + _matching(ctx, NEXT_STEPS)
        ),
        "spelling": lambda: [s for s in sent if s.event.seq in flagged],
        "templates": lambda: [s for s in sent if s.event.data.get("template_id")],
        "resolution": lambda: _closing(ctx) + ctx.of_type("contact.closed"),
        "need": lambda: _need_questions(ctx) + ctx.of_type(*ACTIONS),
        "knowledge": lambda: [
            s for s in ctx.of_type("customer.searched", "customer.viewed", "kb.viewed") if s.event.actor != "system"
        ],
        "guidance": lambda: _matching(ctx, GUIDANCE),
        "recording": lambda: ctx.of_type(*NOTES, "record.updated", "refund.issued"),
        "complaint": lambda: _complaint(ctx),
    }
    return {kind: _seqs(kinds[kind]()) for kind in EVIDENCE_KINDS}


def linked(evidence_by_kind: Mapping[str, tuple[int, ...]], kinds: tuple[str, ...] | list[str]) -> list[int]:
    """The seqs that evidence any of ``kinds``, in order."""
    return sorted({seq for kind in kinds for seq in evidence_by_kind.get(kind, ())})
