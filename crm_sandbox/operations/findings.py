"""Live findings: the rules engine re-run on a contact's session whenever events are appended to it."""
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from crm_sandbox.compliance import evaluate
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Finding
from crm_sandbox.events.append import TOUCHED
from crm_sandbox.queries.session_export import session_document

def finding_key(rule: str, events) -> str:
    return f"{rule}@{','.join(map(str, events))}"


def refresh_findings(contact: Contact) -> None:
    """Evaluate the contact's session and store the result: new findings added, vanished ones inactive."""
    results = {finding_key(f.rule, f.events): f for f in evaluate(session_document(contact))}
    stored = {f.key: f for f in db.session.execute(
        select(Finding).where(Finding.contact_id == contact.id, Finding.source == "rules")).scalars()}
    for key, f in results.items():
        row = stored.get(key)
        if row is None:
            db.session.add(Finding(contact_id=contact.id, key=key, rule=f.rule, severity=f.severity,
                                   events=list(f.events), evidence=f.evidence, explanation=f.explanation,
                                   reference=f.reference))
        else:
            row.active, row.evidence, row.explanation = True, f.evidence, f.explanation
    for key, row in stored.items():
        if key not in results:
            row.active = False
    db.session.flush()


def active_findings(contact_id: int) -> list[Finding]:
    return list(db.session.execute(
        select(Finding).where(Finding.contact_id == contact_id, Finding.active)
        .order_by(Finding.id)).scalars())


def _refresh_touched(session: Session) -> None:
    touched = session.info.pop(TOUCHED, None)
    for contact_id in sorted(touched or ()):
        contact = session.get(Contact, contact_id)
        if contact is not None:
            refresh_findings(contact)


def register_live_findings() -> None:
    """Refresh the findings of every contact that got events, in the same transaction, before commit."""
    if not event.contains(Session, "before_commit", _refresh_touched):
        event.listen(Session, "before_commit", _refresh_touched)
