"""The :class:`RuleFinding` a rule reports, and each rule's severity and reference.

A finding as computed; the stored row that records it for a contact is ``crm_sandbox.models.Finding``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

# rule id -> (severity, reference)
RULE_INFO: dict[str, tuple[str, str]] = {
    "disclosure-before-verification": (
        "high",
        "UK GDPR Art 5(1)(f) and Art 32 (integrity and confidentiality); ID&V policy: nothing is "
        "discussed before verification passes",
    ),
    "leading-verification-question": (
        "medium",
        "ID&V policy: ask open questions, never state the answer; UK GDPR Art 5(1)(f)",
    ),
    "disclosure-to-third-party": (
        "high",
        "UK GDPR Art 5(1)(f) and Art 6 (no lawful basis to disclose to a third party); "
        "third-party policy: nothing without authority such as a registered power of attorney",
    ),
    "change-before-verification": (
        "high",
        "UK GDPR Art 5(1)(f) and Art 32; ID&V policy: no changes, refunds or credits on an account before verification",
    ),
    "over-collection": (
        "medium",
        "UK GDPR Art 5(1)(c) (data minimisation); ID&V policy: never a full password, PIN or memorable word",
    ),
    "payment-card-data": (
        "high",
        "PCI DSS v4.0 Req 3.3.1 (no card security code after authorisation), Req 3.4.1 (mask the "
        "card number) and Req 3.5.1 (card number unreadable wherever stored)",
    ),
    "special-category-data": ("high", "UK GDPR Art 9 (special category data) and Art 5(1)(c) (data minimisation)"),
    "verification-lockout-ignored": (
        "high",
        "ID&V policy: verification locks after the failed-answer limit; UK GDPR Art 32",
    ),
    "record-access-without-contact": (
        "high",
        "UK GDPR Art 5(1)(b) (purpose limitation), Art 5(1)(f) and Art 32: records are opened only "
        "for the contact in hand",
    ),
    "late-log": ("low", "Record-keeping policy: notes are contemporaneous; UK GDPR Art 5(1)(d) (accuracy)"),
    "missing-log": (
        "medium",
        "Record-keeping policy: every contact has an interaction note; assessment criterion: "
        "keeps accurate and complete records",
    ),
    "beyond-authority": (
        "medium",
        "Authority policy: refunds and credits above the limit need a supervisor; assessment "
        "criterion: works within the limits of own authority",
    ),
    "missed-escalation": (
        "medium",
        "Escalation policy; assessment criterion: refers matters beyond own remit to the right person",
    ),
    "unpersonalised-template": (
        "low",
        "Communication standards: templates are completed and personalised before sending; "
        "assessment criterion: communicates clearly and accurately",
    ),
    "handover-oversharing": (
        "medium",
        "UK GDPR Art 5(1)(c) (data minimisation) and Art 5(1)(f); referral policy: a handover note carries "
        "what the next team needs, never security answers; assessment criterion: adherence to data protection "
        "protocols with referred customers",
    ),
    "ended-without-warning": (
        "medium",
        "Abusive-caller policy: warn the caller clearly, and end the call only if the behaviour continues; "
        "assessment criterion: deals with difficult situations calmly and follows procedures",
    ),
    "public-reply-personal-data": (
        "high",
        "UK GDPR Art 5(1)(f) (integrity and confidentiality); social-media policy: personal details are never "
        "repeated in public, the conversation moves to a private channel",
    ),
    "guidance-not-checked": (
        "low",
        "Unit: guiding customers through on-line processes; to avoid: \u201cusing jargon or complex instructions "
        "without checking understanding, leading to frustration\u201d",
    ),
}


@dataclass(frozen=True)
class RuleFinding:
    rule: str
    severity: str
    events: tuple[int, ...]
    evidence: str
    explanation: str
    reference: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "events": list(self.events),
            "evidence": self.evidence,
            "explanation": self.explanation,
            "reference": self.reference,
        }

    @property
    def sort_key(self) -> tuple[int, str, tuple[int, ...], str]:
        return (self.events[0] if self.events else 0, self.rule, self.events, self.evidence)


def finding(
    rule: str, events: Iterable[int], evidence: str, explanation: str, severity: str | None = None
) -> RuleFinding:
    """A finding for ``rule`` with its standard severity and reference."""
    default, reference = RULE_INFO[rule]
    return RuleFinding(
        rule=rule,
        severity=severity or default,
        events=tuple(events),
        evidence=evidence,
        explanation=explanation,
        reference=reference,
    )
