"""A contact's rules-engine state after its last event, so the next event is folded in on its own.

Derived, not evidence: rebuilt from the contact's events whenever it is missing, stale (made by other
rules, for another customer record or policy) or cannot be decrypted (``operations/rule_states.py``;
``flask rebuild-summaries`` rebuilds them all), so the ledger does not cover it (``ledger/coverage.py``,
EXEMPT). It holds customer values and what the caller said: stored encrypted like other personal data.
"""

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_sandbox.models.base import Base


class RuleState(Base):
    __tablename__ = "rule_state"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int]  # the last event folded in
    engine: Mapped[str] = mapped_column(String(64))  # the rules' version that made it (another: rebuilt)
    state: Mapped[str] = mapped_column(Text)  # compliance/fold.py's to_json, as one Fernet token

    def __repr__(self) -> str:
        return f"<RuleState {self.contact_id} at {self.seq}>"
