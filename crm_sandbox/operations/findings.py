"""Live findings: the rules engine's fold carried on over a contact's new events, and the result stored.

Every operation that appends events calls ``refresh_findings`` itself, last, in its own transaction
(``ContactOperation.refresh_findings``): there is no hook that does it behind the operation's back.
"""

from collections.abc import Iterable

from sqlalchemy import select

from crm_sandbox.compliance.fold import settle
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Finding
from crm_sandbox.operations.rule_states import current_state


def finding_key(rule: str, events: Iterable[int]) -> str:
    return f"{rule}@{','.join(map(str, events))}"


def refresh_findings(contact: Contact) -> None:
    """Fold the contact's new events into its rules state and store the findings settled from it (what
    ``evaluate`` gives on the exported session): new findings added, vanished ones inactive."""
    results = {finding_key(f.rule, f.events): f for f in settle(current_state(contact))}
    stored = {
        f.key: f
        for f in db.session.execute(
            select(Finding).where(Finding.contact_id == contact.id, Finding.source == "rules")
        ).scalars()
    }
    for key, f in results.items():
        row = stored.get(key)
        if row is None:
            db.session.add(
                Finding(
                    contact_id=contact.id,
                    key=key,
                    rule=f.rule,
                    severity=f.severity,
                    events=list(f.events),
                    evidence=f.evidence,
                    explanation=f.explanation,
                    reference=f.reference,
                )
            )
        else:
            row.active, row.evidence, row.explanation = True, f.evidence, f.explanation
    for key, row in stored.items():
        if key not in results:
            row.active = False
    db.session.flush()


def active_findings(contact_id: int) -> list[Finding]:
    return list(
        db.session.execute(
            select(Finding).where(Finding.contact_id == contact_id, Finding.active).order_by(Finding.id)
        ).scalars()
    )
