"""Identity verification state, folded from a contact's events. Pure: events in, state out."""

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

NOT_VERIFIED, VERIFIED, LOCKED = "not_verified", "verified", "locked"


@dataclass
class IdvState:
    status: str = NOT_VERIFIED
    passed: list[str] = field(default_factory=list)  # factors answered correctly, in order
    failures: int = 0
    required: int = 2
    lockout_attempts: int = 3

    @property
    def verified(self) -> bool:
        return self.status == VERIFIED

    @property
    def locked(self) -> bool:
        return self.status == LOCKED

    @property
    def attempts_left(self) -> int:
        return max(self.lockout_attempts - self.failures, 0)

    @property
    def still_needed(self) -> int:
        return max(self.required - len(self.passed), 0)


def verification_state(policy: Mapping[str, Any], events: Iterable[Any]) -> IdvState:
    """The ID&V state after ``events`` (dicts or objects with ``type`` and ``data``) under ``policy``."""
    state = IdvState(
        required=int(policy.get("idv_required", 2)), lockout_attempts=int(policy.get("lockout_attempts", 3))
    )
    for ev in events:
        etype = ev["type"] if isinstance(ev, dict) else ev.type
        data = ev["data"] if isinstance(ev, dict) else ev.data
        if etype == "idv.answer" and state.status == NOT_VERIFIED:
            if data.get("match"):
                if data["factor"] not in state.passed:
                    state.passed.append(data["factor"])
            else:
                state.failures += 1
        elif etype == "idv.result":  # passed, or failed for good (locked out)
            state.status = VERIFIED if data.get("passed") else LOCKED
    return state
