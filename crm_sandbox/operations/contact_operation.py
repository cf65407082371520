"""What every operation on a contact does: take its write lock, refuse a replayed form, append the
events that evidence the change, and refresh the contact's findings, all in one transaction.

An operation reads as its steps::

    def add_note(contact, user, text, form_token=None):
        text = check_text(text, "note", MAX_NOTE_LENGTH)             # check the input first
        with contact_operation(contact, form_token, allow_closed=True,
                               repeated="That note was already saved.") as op:
            op.append(NOTE_ADDED, {"text": text}, actor="learner", user=user)   # the evidence
            op.refresh_findings()                                    # the rules re-run on it

Each appended event is also folded into the contact's summary (the dashboard's read model), which the
findings refresh settles, in the same transaction.

``op.contact`` is the contact re-read under its lock: change that one. The form's one-time token is
recorded on the operation's first event (the one the form asked for; the caller's reply or the
verification result that follow are its consequences). An operation that appends events and does
not refresh the findings is refused when it ends (``FindingsNotRefreshed``), so the step cannot be
forgotten silently.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Mapping

from crm_sandbox.database import write_transaction
from crm_sandbox.errors import Conflict, NotFound, PolicyNeedsFixing
from crm_sandbox.events.append import append_event, lock_contact, token_used
from crm_sandbox.models import Contact, ContactSummary, Event, User
from crm_sandbox.operations import summaries
from crm_sandbox.operations.findings import refresh_findings
from crm_sandbox.policy import validate_policy

SENT_TWICE = "That form was already sent."


class FindingsNotRefreshed(RuntimeError):
    """An operation appended events but did not refresh the contact's findings (a bug in the operation)."""


def policy_in_force(contact: Contact) -> dict[str, Any]:
    """The policy a contact is worked under: its own copy once opened (part of its evidence); while
    queued, the cohort's, which taking it will copy."""
    return contact.cohort.policy if contact.status == "queued" else contact.policy


def check_policy(contact: Contact) -> None:
    """Refuse to work under a policy that is not valid (edited in the database, or saved before
    policies were checked): the learner is told what a trainer must fix, instead of a 500."""
    problems = validate_policy(policy_in_force(contact))
    if problems:
        whose = "This cohort's policy" if contact.status == "queued" else "The policy this contact was opened under"
        raise PolicyNeedsFixing(f"{whose} needs fixing by a trainer: {'; '.join(problems)}.")


def lock(contact: Contact) -> Contact:
    """The contact re-read under its write lock (inside a write transaction); NotFound if it is gone."""
    locked = lock_contact(contact.id)
    if locked is None:  # removed (a cohort reset) since the request loaded it
        raise NotFound("There is no such contact.")
    return locked


def lock_live_contact(contact: Contact, *, allow_closed: bool = False) -> Contact:
    """Re-read the contact under the write lock and check it can still be worked on.

    Only notes (and reading the knowledge base, and an assessor's observations) are allowed after a
    contact is closed: a late note is evidence too.
    """
    locked = lock(contact)
    if locked.status == "closed" and not allow_closed:
        raise Conflict("This contact is closed: only notes can be added now.")
    if locked.status == "queued":
        raise Conflict("Open the contact before working on it.")
    check_policy(locked)
    return locked


class ContactOperation:
    """One operation in progress on a locked contact: what it appended, and whether it refreshed the findings."""

    def __init__(self, contact: Contact, form_token: str | None = None) -> None:
        self.contact = contact
        self.form_token = form_token
        self.repeat = token_used(contact, form_token)  # this form was already sent on this contact
        self.events: list[Event] = []
        self._unrefreshed = False
        self._summary: ContactSummary | None = None

    def append(
        self, type: str, data: Mapping[str, Any] | None = None, *, actor: str, user: User | None = None
    ) -> Event:
        """Append one event (a registry type, checked against its declaration) to the contact."""
        token = None if self.events else self.form_token  # the token goes on the event the form asked for
        event = append_event(self.contact, type, data, actor=actor, user_id=user.id if user else None, form_token=token)
        self.events.append(event)
        self._unrefreshed = True
        if self._summary is None and summaries.enabled():
            self._summary = summaries.summary_of(self.contact.id)
        if self._summary is not None:
            summaries.fold(self._summary, event.seq, event.type, event.at, event.data)  # the event's cost only
        return event

    def refresh_findings(self) -> None:
        """Re-run the rules on the contact's session and store what they find (``operations/findings.py``),
        then settle the contact's summary (``operations/summaries.py``): its status and findings."""
        refresh_findings(self.contact)
        summaries.settle(self.contact.id)
        self._unrefreshed = False

    def check_refreshed(self) -> None:
        if self._unrefreshed:
            raise FindingsNotRefreshed(
                f"events were appended to contact {self.contact.id} without refreshing "
                "its findings: call op.refresh_findings() after the last op.append()"
            )


@contextmanager
def contact_operation(
    contact: Contact,
    form_token: str | None = None,
    *,
    allow_closed: bool = False,
    taking: bool = False,
    repeated: str | None = SENT_TWICE,
) -> Iterator[ContactOperation]:
    """Run an operation on ``contact`` in a write transaction holding the contact's lock; commit on success.

    The contact must be live (``allow_closed``: or closed); ``taking``: the operation takes a queued
    contact and checks its state itself. A form whose one-time token was already used on this
    contact is refused with ``Conflict(repeated)``; with ``repeated=None`` the operation is told
    (``op.repeat``) and decides (re-opening the same record twice is harmless: it records nothing).
    """
    with write_transaction():
        locked = lock(contact) if taking else lock_live_contact(contact, allow_closed=allow_closed)
        op = ContactOperation(locked, form_token)
        if op.repeat and repeated is not None:
            raise Conflict(repeated)
        yield op
        op.check_refreshed()
