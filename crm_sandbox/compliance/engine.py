"""Every rule, and running them over a session: ``evaluate(session) -> list[RuleFinding]``, sorted and deterministic."""

from __future__ import annotations

from typing import Any, Callable

from . import rules
from .context import Context
from .document import SessionDocument, parse_session
from .findings import RuleFinding

Rule = Callable[[Context], list[RuleFinding]]

RULES: dict[str, Rule] = {
    "disclosure-before-verification": rules.disclosure_before_verification,
    "leading-verification-question": rules.leading_verification_question,
    "disclosure-to-third-party": rules.disclosure_to_third_party,
    "change-before-verification": rules.change_before_verification,
    "over-collection": rules.over_collection,
    "payment-card-data": rules.payment_card_data,
    "special-category-data": rules.special_category_data,
    "verification-lockout-ignored": rules.verification_lockout_ignored,
    "record-access-without-contact": rules.record_access_without_contact,
    "late-log": rules.late_log,
    "missing-log": rules.missing_log,
    "beyond-authority": rules.beyond_authority,
    "missed-escalation": rules.missed_escalation,
    "unpersonalised-template": rules.unpersonalised_template,
    "handover-oversharing": rules.handover_oversharing,
    "ended-without-warning": rules.ended_without_warning,
    "public-reply-personal-data": rules.public_reply_personal_data,
    "guidance-not-checked": rules.guidance_not_checked,
}


def evaluate(session: SessionDocument | dict[str, Any], only: list[str] | None = None) -> list[RuleFinding]:
    """Every finding for ``session`` (a SessionDocument or the parsed JSON dict), sorted by first event then rule:
    the fold (``fold.py``) over all its events, settled.

    Raises SessionFormatError if a dict is not a valid session.
    """
    from .fold import fold, settle  # (fold.py runs the rules named here)

    return settle(fold(session, only))


def evaluate_whole(session: SessionDocument | dict[str, Any], only: list[str] | None = None) -> list[RuleFinding]:
    """Every rule run once on the whole session's Context: the definition the fold is tested against
    (``tests/compliance/test_fold.py``); ``evaluate`` gives the same findings."""
    ctx = Context(parse_session(session))
    found: set[RuleFinding] = set()
    for rule_id, rule in RULES.items():
        if only is None or rule_id in only:
            found.update(rule(ctx))
    return sorted(found, key=lambda f: f.sort_key)


def findings_json(session: SessionDocument | dict[str, Any]) -> list[dict[str, Any]]:
    """``evaluate`` as plain dicts, ready for ``json.dumps``."""
    return [f.to_dict() for f in evaluate(session)]
