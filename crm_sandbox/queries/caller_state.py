"""What the desk may show of the simulated caller's state (read only).

A stub until the conversational caller lands (branch i19-caller provides the real one).
"""

from crm_sandbox.models import Contact


def caller_typing(contact: Contact) -> bool:
    """Whether the caller is typing a reply on ``contact`` (a reply decided but not yet due)."""
    return False
