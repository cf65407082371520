"""Caller replies whose time has come: appended by the first desk or poll request after they fall due.

A stub until the conversational caller lands (branch i19-caller provides the real one): replies are
still appended at once by ``conversation.send_message``, so nothing is ever due here.
"""

from crm_sandbox.models import Contact


def deliver_due_replies(contact: Contact) -> int:
    """Append the caller's replies to ``contact`` that have fallen due; how many were appended."""
    return 0
