"""Who may see what: the one place that says which contacts, learners' reports and cohorts a user may
read. Each function returns the thing asked for, or raises NotFound / NotAllowed (the error pages show
the reason).

- A learner sees only their own contacts, and a contact's report only once it has been released.
- An assessor sees their own cohort: its contacts, its learners' reports, its findings export.
- A trainer (no cohort of their own) sees every cohort.
- An assessor marking a contact blind in a standardisation exercise sees nothing of it until they submit.

A refusal never names the person or the customer it refuses (nor anything else read from the row):
whoever loops over ids learns only that an id is not theirs.
"""

from sqlalchemy import select

from crm_sandbox.errors import NotAllowed, NotFound
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Contact, Finding, User
from crm_sandbox.queries.quality.standardisation import blind_contact_ids, blind_pending
from crm_sandbox.queries.review import released_assessment

BLIND_REPORTS = (
    "You are marking contacts of this cohort blind in a standardisation exercise: reports that show their "
    "flags and decisions stay closed to you until you submit your marks (on your Quality page). The learner's "
    "record and its PDF are open to you without those contacts; the signed evidence pack, which must carry "
    "every contact, is not."
)


def get_contact_for(user: User, contact_id: int) -> Contact:
    """The contact, if ``user`` may work on it (a learner only their own); else NotFound/NotAllowed."""
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("There is no such contact.")
    if user.role == "learner" and contact.learner_id != user.id:
        raise NotAllowed("This contact belongs to another learner.")
    if user.role != "learner" and user.cohort_id not in (None, contact.cohort_id):
        raise NotAllowed("This contact belongs to another cohort.")
    if blind_pending(user, contact.id):
        raise NotAllowed(
            "You are marking this contact blind in a standardisation exercise: its review, flags and decisions "
            "stay hidden from you until you submit your marks (on your Quality page)."
        )
    return contact


def report_contact(user: User, contact_id: int) -> Contact:
    """The contact whose report ``user`` may read: staff as for ``get_contact_for``; a learner their
    own, once the report is released (NotFound before)."""
    contact = get_contact_for(user, contact_id)
    if user.role == "learner":
        released_assessment(contact)
    return contact


def report_learner(user: User, learner_id: int, *, leave_out_blind: bool = False) -> User:
    """The learner ``user`` (staff) may report on: an assessor only their own cohort's. While ``user`` marks
    one of the learner's contacts blind, refused, unless the report leaves those contacts out
    (``leave_out_blind``: the record and its PDF do, with ``blind_contacts_of``; the signed pack does not)."""
    learner = db.session.get(User, learner_id)
    if learner is None or learner.role != "learner":
        raise NotFound("There is no such learner.")
    if user.cohort_id is not None and learner.cohort_id != user.cohort_id:
        # Never the learner's name: looping over ids would list every cohort's learners.
        raise NotAllowed("This learner is in another cohort: you can only report on learners in your own cohort.")
    if not leave_out_blind and blind_contacts_of(user, learner):
        raise NotAllowed(BLIND_REPORTS)
    return learner


def blind_contacts_of(user: User, learner: User) -> set[int]:
    """The contacts of ``learner`` that ``user`` marks blind and has not yet submitted."""
    blind = blind_contact_ids(user)
    if not blind:
        return set()
    return set(
        db.session.execute(select(Contact.id).where(Contact.learner_id == learner.id, Contact.id.in_(blind))).scalars()
    )


def report_cohort(user: User, cohort_id: int) -> Cohort:
    """The cohort whose findings ``user`` (staff) may export: an assessor only their own."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound("There is no such cohort.")
    if user.cohort_id is not None and cohort.id != user.cohort_id:
        raise NotAllowed("That is another cohort: you can only export your own cohort's findings.")
    blind = blind_contact_ids(user)
    if (
        blind
        and db.session.execute(select(Contact.id).where(Contact.cohort_id == cohort.id, Contact.id.in_(blind))).first()
    ):
        raise NotAllowed(BLIND_REPORTS)
    return cohort


def cohort_in_view(user: User, chosen: str = "") -> Cohort | None:
    """The cohort a staff member's dashboard shows: an assessor's own; for a trainer the one ``chosen``
    (its id as typed in ``?cohort=``), else the first. None when there is no cohort at all."""
    if user.cohort_id is not None:
        return db.session.get(Cohort, user.cohort_id)
    cohort = db.session.get(Cohort, int(chosen)) if chosen.isdecimal() and len(chosen) < 19 else None
    return cohort or db.session.execute(select(Cohort).order_by(Cohort.id)).scalars().first()


def contact_finding(contact: Contact, finding_id: int) -> Finding:
    """A finding of ``contact`` (one of another contact is NotFound, as a missing one is)."""
    finding = db.session.get(Finding, finding_id)
    if finding is None or finding.contact_id != contact.id:
        raise NotFound("There is no such finding on this contact.")
    return finding
