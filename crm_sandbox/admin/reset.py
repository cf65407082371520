"""Resetting a cohort between groups of learners: archive its evidence, then give it a fresh world.

Crash safety (killed at any point: the old state or the new one, and no archived evidence lost):

1. **Archive, outside the write lock.** A signed evidence pack per learner (``build_learner_pack``)
   is sealed with the centre's field key and written to ``<archive>/<cohort>/<time>-g<generation>-<run>/
   <n>-<random>.zip.enc`` (mode 0600): temp file, fsync, rename, fsync of the folder; then the run's
   signed ``index.json`` (the learners by subject key, their names sealed, their packs, and the work
   left unfinished). Building packs (PDFs included) is slow, so other cohorts keep working.
   A digest of every evidence row of the cohort is taken before and checked again under the lock,
   so nothing recorded meanwhile (a late note, a decision) can slip past the archive unarchived.
2. **One write transaction** (``BEGIN IMMEDIATE``): check the generation (a second reset started at
   the same time finds it bumped and stops), the digest and that no contact is live; record the
   ``ArchivedPack`` rows; remove the cohort's contacts, events, findings, decisions, judgements,
   assessments and learner/assessor accounts (:func:`remove_cohort_from_live_system`); reseed its
   customers from a new seed; rebuild the queues; bump the generation; commit.

The commit is the single point of no return. The archive rows are committed *with* the deletion,
not before: killed before the commit, the database is wholly the old one (evidence still live, no
rows claiming an archive) and the run's files are spare copies, listed on the archive page as
"unrecorded"; killed after it, the rows point at files that were made durable before the
transaction began. An ordinary exception before the commit also removes the run's files.

A confirmation names the generation it was shown for (a form sent twice resets once) and the
fingerprint of the unfinished work it listed (work that changed since must be looked at again).
"""

import hashlib
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, Table, delete, func, select
from sqlalchemy.exc import IntegrityError

from crm_sandbox import ledger
from crm_sandbox.admin import archive, renderings
from crm_sandbox.database import write_transaction
from crm_sandbox.errors import Conflict, NotFound
from crm_sandbox.extensions import db
from crm_sandbox.files import make_dirs_durably
from crm_sandbox.formatting import slug
from crm_sandbox.models import (
    AccountStanding,
    ArchivedPack,
    Assessment,
    Base,
    Cohort,
    Contact,
    Countersignature,
    CriterionJudgement,
    Customer,
    DataView,
    Event,
    Finding,
    FindingDecision,
    IqaVerdict,
    Level3Event,
    Level3Task,
    PriorInteraction,
    StandardisationExercise,
    StandardisationMark,
    StandardisationOutcome,
    Transaction,
    User,
    utcnow,
)
from crm_sandbox.models.seal import ChainSeal
from crm_sandbox.operations.cohorts.queues import build_queue
from crm_sandbox.queries.disclosure import recording_enabled
from crm_sandbox.queries.level3.schema import level3_enabled
from crm_sandbox.queries.unfinished import UnfinishedWork, unfinished_work

COHORT_ROLES = ("learner", "assessor")  # the accounts a reset removes (trainers stay)
# Every table holding a cohort's evidence, in the order the reset removes it (children first).
# tests/test_reset.py fails if a table referencing contacts, findings or users is missing here.
REMOVED_TABLES = (
    "data_view",  # who saw the cohort's customer data: archived in each learner's pack (disclosures.json)
    "standardisation_outcome",  # quality assurance: archived in the IQA report (iqa-report.csv/.pdf)
    "standardisation_mark",
    "standardisation_exercise",
    "iqa_verdict",
    "countersignature",
    "finding_decision",
    "criterion_judgement",
    "assessment",
    "finding",
    "chain_seal",
    "event",
    "contact",
    "account_transaction",  # the learners' private customers (their world goes with them)
    "prior_interaction",
    "customer",
    "account_standing",  # the removed assessors' standing
    "level3_event",  # Level 3 work: opt-ins, tasks' scores, analyses, discussions, sign-offs, targets
    "level3_task",
    "user",
)

MODELS: dict[str, type[Base]] = {
    "data_view": DataView,
    "standardisation_outcome": StandardisationOutcome,
    "standardisation_mark": StandardisationMark,
    "standardisation_exercise": StandardisationExercise,
    "iqa_verdict": IqaVerdict,
    "countersignature": Countersignature,
    "finding_decision": FindingDecision,
    "criterion_judgement": CriterionJudgement,
    "assessment": Assessment,
    "finding": Finding,
    "chain_seal": ChainSeal,
    "event": Event,
    "contact": Contact,
    "customer": Customer,
    "account_standing": AccountStanding,
    "level3_event": Level3Event,
    "level3_task": Level3Task,
    "user": User,
}

Progress = Callable[[str, int, int], None]  # (step, done, total)
NOT_COLUMNS = ("problems", "manifest_sha256")  # in an archive record, not ArchivedPack columns


@dataclass
class ResetResult:
    cohort_name: str
    generation: int  # the cohort's new generation
    seed: int
    customers: int
    archive_dir: Path
    packs: list[ArchivedPack] = field(default_factory=list)
    # username -> what failed verification in that learner's archived pack (named in its problems.json)
    problems: dict[str, list[str]] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    unfinished: UnfinishedWork = field(default_factory=UnfinishedWork)  # archived as it stood
    # Why the printable PDFs rendered after the transaction are missing, if they are (the evidence is not)
    renderings_failed: str = ""


def cohort_learners(cohort_id: int) -> list[User]:
    """The learners whose evidence the reset archives: the cohort's learners and anyone with a contact in it."""
    with_contacts = select(Contact.learner_id).where(Contact.cohort_id == cohort_id)
    return list(
        db.session.execute(
            select(User)
            .where((User.id.in_(with_contacts)) | ((User.cohort_id == cohort_id) & (User.role == "learner")))
            .order_by(User.username)
        ).scalars()
    )


def evidence_digest(cohort_id: int) -> str:
    """A SHA-256 over every live evidence row of the cohort: any insert, change or delete alters it."""
    contacts = select(Contact.id).where(Contact.cohort_id == cohort_id)
    findings = select(Finding.id).where(Finding.contact_id.in_(contacts))
    queries = [
        select(Contact.__table__).where(Contact.cohort_id == cohort_id),
        select(Event.__table__).where(Event.contact_id.in_(contacts)),
        select(Finding.__table__).where(Finding.contact_id.in_(contacts)),
        select(FindingDecision.__table__).where(FindingDecision.finding_id.in_(findings)),
        select(CriterionJudgement.__table__).where(CriterionJudgement.contact_id.in_(contacts)),
        select(Assessment.__table__).where(Assessment.contact_id.in_(contacts)),
        select(ChainSeal.__table__).where(ChainSeal.contact_id.in_(contacts)),
        select(Countersignature.__table__).where(Countersignature.contact_id.in_(contacts)),
        select(IqaVerdict.__table__).where(IqaVerdict.contact_id.in_(contacts)),
        select(User.__table__.c.id, User.username, User.display_name, User.role, User.cohort_id).where(
            User.cohort_id == cohort_id
        ),
    ]
    if level3_enabled():  # the cohort's Level 3 work: archived in each learner's pack (level3.json)
        queries.append(select(Level3Task.__table__).where(Level3Task.cohort_id == cohort_id))
        queries.append(select(Level3Event.__table__).where(Level3Event.cohort_id == cohort_id))
    if recording_enabled():  # who saw the cohort's customer data: archived with the rest
        views = (DataView.cohort_id == cohort_id) | DataView.contact_id.in_(contacts)
        queries.append(select(DataView.__table__).where(views))
    digest = hashlib.sha256()
    for query in queries:
        table = query.get_final_froms()[0]
        for row in db.session.execute(query.order_by(table.c.id)):
            digest.update(repr(tuple(row)).encode())
        digest.update(b"|")
    return digest.hexdigest()


def live_contacts(cohort_id: int) -> int:
    return db.session.execute(
        select(func.count(Contact.id)).where(Contact.cohort_id == cohort_id, Contact.status == "live")
    ).scalar_one()


def check_resettable(cohort: Cohort) -> None:
    live = live_contacts(cohort.id)
    if live:
        raise Conflict(
            f"{cohort.name} has {live} contact(s) still live: ask the learners to close them "
            "(or wait for them to finish) before resetting."
        )


def check_confirmation(cohort: Cohort, generation: int | None, unfinished: str | None) -> UnfinishedWork:
    """The cohort's unfinished work, after checking a confirmation was given for this state of it:
    ``generation`` (the reset it was shown before) and ``unfinished`` (the list's fingerprint); None skips."""
    if generation is not None and cohort.generation != generation:
        raise AlreadyReset(
            f"{cohort.name} has already been reset since that confirmation was shown (the form "
            "may have been sent twice): the reset ran once and nothing more was changed. "
            "Its evidence is in the evidence archive."
        )
    work = unfinished_work(cohort.id)
    if unfinished is not None and work.fingerprint != unfinished:
        raise UnfinishedChanged(
            f"{cohort.name}'s unfinished work changed since the confirmation was shown, "
            "so the cohort was not reset: check the list again and confirm."
        )
    return work


IQA_REPORT = "iqa-report"  # the cohort's IQA report in each archive run: .csv.enc and .pdf.enc


def write_iqa_report(cohort: Cohort, run_dir: Path) -> None:
    """The cohort's IQA report (plan, sample, verdicts, countersignatures, standardisation) as CSV and PDF,
    sealed with the field key like the packs (it names learners and assessors); removed with the run's
    last pack when retention ends."""
    from crm_sandbox.reports import quality_report

    report = quality_report.build(cohort, None)
    archive.write_private(
        run_dir / f"{IQA_REPORT}.csv.enc", archive.seal(quality_report.report_csv(report).encode("utf-8"))
    )
    archive.write_private(run_dir / f"{IQA_REPORT}.pdf.enc", archive.seal(quality_report.report_pdf(report)))


def write_archive(
    cohort: Cohort,
    learners: list[User],
    progress: Progress | None,
    unfinished: UnfinishedWork | None = None,
    pdfs: bool = True,
) -> tuple[Path, list[dict[str, Any]]]:
    """Write one signed pack per learner, durably, into a new folder, then its signed index; return the
    folder and the pack records. Evidence that fails verification is archived anyway (never lost), its pack
    carrying a signed problems.json naming it (the record's ``problems``). ``pdfs=False``: packs without
    their printable PDFs (rendered after the reset, ``admin/renderings.py``); each record then carries its
    pack's ``manifest_sha256``."""
    created = utcnow()
    run = f"{created:%Y%m%dT%H%M%SZ}-g{cohort.generation}-{secrets.token_hex(3)}"
    run_dir = archive.archive_root() / slug(cohort.name) / run
    archive.archive_root().mkdir(mode=archive.DIR_MODE, parents=True, exist_ok=True)
    make_dirs_durably(run_dir)
    for folder in (run_dir, run_dir.parent):  # the service account's alone, whatever the umask
        folder.chmod(archive.DIR_MODE)
    records: list[dict[str, Any]] = []  # ArchivedPack's columns
    try:
        whole_log = ledger.verify().problems  # the whole log, checked once for every learner's pack
        with ledger.reusing_trees():  # and the checkpoint's tree read once for every learner's proofs
            _write_packs(cohort, learners, run_dir, created, whole_log, records, progress, pdfs)
        write_iqa_report(cohort, run_dir)
        archive.write_index(
            run_dir,
            cohort.name,
            cohort.generation,
            created,
            [
                {
                    "subject": archive.subject_key(learner.username),
                    "name_sealed": archive.seal(learner.display_name.encode()).decode(),
                    "pack": Path(record["path"]).name,
                    "sha256": record["sha256"],
                    "size": record["size"],
                    **({"problems": record["problems"]} if record["problems"] else {}),
                }
                for learner, record in zip(learners, records)
            ],
            [
                {**c.as_record(), "learner": archive.subject_key(c.learner_username)}
                for c in (unfinished or UnfinishedWork()).contacts
            ],
        )
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    return run_dir, records


def _write_packs(
    cohort: Cohort,
    learners: list[User],
    run_dir: Path,
    created: datetime,
    whole_log: list[str],
    records: list[dict[str, Any]],
    progress: Progress | None,
    pdfs: bool,
) -> None:
    """One sealed pack per learner into ``run_dir``, its record appended to ``records`` (see write_archive)."""
    from crm_sandbox.admin import packs

    for n, learner in enumerate(learners, start=1):
        problems = packs.contact_problems(learner, whole_log)
        # Sealed with the centre's field key: the file on disk names nobody and shows no customer.
        built = packs.build_learner_pack(learner, problems=problems, pdfs=pdfs)
        data = archive.seal(built)
        path = run_dir / f"{n:03d}-{secrets.token_hex(4)}{archive.PACK_SUFFIX}"  # no name in the file name
        archive.write_private(path, data)
        records.append(
            {
                "cohort_name": cohort.name,
                "cohort_generation": cohort.generation,
                "learner_username": learner.username,
                "path": str(path.relative_to(archive.archive_root())),
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "created_at": created,
                "retention_until": archive.retention_until(created),
                "problems": [problem for _, problem in problems],
                **({} if pdfs else {"manifest_sha256": renderings.manifest_sha256(built)}),
            }
        )
        if progress:
            progress("archive", n, len(learners))


def _table(model: type[Base]) -> Table:
    """A model's table (declared models always map one; SQLAlchemy types it as any FROM clause)."""
    return cast(Table, model.__table__)


def _not_upgraded_yet() -> set[str]:
    """The evidence tables a database not yet upgraded lacks (later revisions add them)."""
    absent = set() if recording_enabled() else {"data_view"}
    return absent if level3_enabled() else absent | {"level3_event", "level3_task"}


def remove_cohort_from_live_system(cohort_id: int, kind: str = ledger.ARCHIVED) -> dict[str, int]:
    """Delete a cohort's contacts, their events (and chain seals), findings, decisions, judgements and
    assessments, the learners' private customers, and its learner and assessor accounts. Returns the
    rows removed per table (the shared background customers are reseeded by the caller).

    The one place allowed to delete events: only after they are sealed in an archived evidence pack,
    inside the reset's write transaction. Core ``DELETE`` statements (not the ORM session, whose
    append-only guard refuses to delete an event), children before parents.
    """
    contacts = select(Contact.id).where(Contact.cohort_id == cohort_id)
    findings = select(Finding.id).where(Finding.contact_id.in_(contacts))
    private = select(Customer.id).where(Customer.cohort_id == cohort_id, Customer.learner_id.is_not(None))
    users = select(User.id).where(User.cohort_id == cohort_id, User.role.in_(COHORT_ROLES))
    views = (DataView.cohort_id == cohort_id) | DataView.contact_id.in_(contacts) | DataView.user_id.in_(users)
    exercises = select(StandardisationExercise.id).where(StandardisationExercise.cohort_id == cohort_id)
    statements = {  # on each model's table: Core statements, not the ORM's
        "data_view": delete(_table(DataView)).where(views),
        "standardisation_outcome": delete(_table(StandardisationOutcome)).where(
            StandardisationOutcome.exercise_id.in_(exercises)
        ),
        "standardisation_mark": delete(_table(StandardisationMark)).where(
            StandardisationMark.exercise_id.in_(exercises)
        ),
        "standardisation_exercise": delete(_table(StandardisationExercise)).where(
            StandardisationExercise.cohort_id == cohort_id
        ),
        "iqa_verdict": delete(_table(IqaVerdict)).where(IqaVerdict.contact_id.in_(contacts)),
        "countersignature": delete(_table(Countersignature)).where(Countersignature.contact_id.in_(contacts)),
        "finding_decision": delete(_table(FindingDecision)).where(FindingDecision.finding_id.in_(findings)),
        "criterion_judgement": delete(_table(CriterionJudgement)).where(CriterionJudgement.contact_id.in_(contacts)),
        "assessment": delete(_table(Assessment)).where(Assessment.contact_id.in_(contacts)),
        "finding": delete(_table(Finding)).where(Finding.contact_id.in_(contacts)),
        "chain_seal": delete(_table(ChainSeal)).where(ChainSeal.contact_id.in_(contacts)),
        "event": delete(_table(Event)).where(Event.contact_id.in_(contacts)),
        "contact": delete(_table(Contact)).where(Contact.cohort_id == cohort_id),
        "account_transaction": delete(_table(Transaction)).where(Transaction.customer_id.in_(private)),
        "prior_interaction": delete(_table(PriorInteraction)).where(PriorInteraction.customer_id.in_(private)),
        "customer": delete(_table(Customer)).where(Customer.cohort_id == cohort_id, Customer.learner_id.is_not(None)),
        "account_standing": delete(_table(AccountStanding)).where(AccountStanding.user_id.in_(users)),
        "level3_event": delete(_table(Level3Event)).where(Level3Event.cohort_id == cohort_id),
        "level3_task": delete(_table(Level3Task)).where(Level3Task.cohort_id == cohort_id),
        "user": delete(_table(User)).where(User.cohort_id == cohort_id, User.role.in_(COHORT_ROLES)),
    }
    if tuple(statements) != REMOVED_TABLES:  # the guard test and this list must move together
        raise RuntimeError("remove_cohort_from_live_system is out of step with REMOVED_TABLES")
    absent = _not_upgraded_yet()
    for table, statement in statements.items():  # the log says each row was archived (or purged), not tampered with
        if table in MODELS and table not in absent:  # evidential tables only
            ledger.record_gone(MODELS[table], statement.whereclause, kind)
    ledger.checkpoint_at_commit(
        f"cohort {cohort_id} reset: its evidence archived"
        if kind == ledger.ARCHIVED
        else f"closed cohort {cohort_id}: its live evidence {kind} (retention ended)"
    )
    removed = {}
    for table, statement in statements.items():
        if table in absent:  # a database not yet upgraded has none
            removed[table] = 0
            continue
        removed[table] = cast(CursorResult[Any], db.session.execute(statement)).rowcount
    db.session.expire_all()  # the identity map may hold rows that no longer exist
    return removed


def new_seed(old: int) -> int:
    seed = old
    while seed == old:
        seed = secrets.randbelow(2**31)
    return seed


def reset_cohort(
    name: str,
    *,
    seed: int | None = None,
    customers: int | None = None,
    progress: Progress | None = None,
    attempts: int = 3,
    generation: int | None = None,
    unfinished: str | None = None,
) -> ResetResult:
    """Archive cohort ``name``'s evidence, then give it a fresh, empty world (see the module docstring).

    ``progress(step, done, total)`` reports the steps "archive" and "seed". ``generation`` and
    ``unfinished``: what the trainer's confirmation was given for (see :func:`check_confirmation`).
    Raises NotFound, or Conflict when contacts are live, another reset ran meanwhile or the confirmed
    state changed; nothing is changed then.
    """
    from crm_sandbox.seeding import seed_customers

    for attempt in range(attempts):
        db.session.rollback()  # a fresh read
        cohort = db.session.execute(select(Cohort).where(Cohort.name == name)).scalar_one_or_none()
        if cohort is None:
            raise NotFound(f"There is no cohort called {name!r}.")
        check_resettable(cohort)
        cohort_id, current = cohort.id, cohort.generation
        digest = evidence_digest(cohort_id)  # first: any change after it is caught under the lock
        work = check_confirmation(cohort, generation, unfinished)
        learners = cohort_learners(cohort_id)
        count = (
            customers
            or db.session.execute(
                select(func.count(Customer.id)).where(Customer.cohort_id == cohort_id, Customer.learner_id.is_(None))
            ).scalar()
            or current_app.config["DEMO_CUSTOMERS"]
        )
        later = renderings.snapshots_possible()  # PDFs after the transaction, from a snapshot (else in the packs)
        archived = archive_unless_reset(cohort, learners, progress, work, pdfs=not later)
        if archived is None:
            continue  # another reset removed what was being archived: the fresh read says so
        run_dir, records = archived
        # The evidence as archived (checked unchanged under the lock below), kept for the PDFs: a read
        # transaction of its own, which neither takes nor waits for the write lock.
        snapshot = renderings.open_snapshot(later)
        learner_ids = [learner.id for learner in learners]
        committing = False
        try:
            with write_transaction():
                cohort = db.session.get(Cohort, cohort_id, populate_existing=True, with_for_update=True)
                if cohort is None or cohort.generation != current:
                    raise StaleReset(
                        f"{name} was reset by another run at the same time: "
                        "this one stopped and changed nothing. Its evidence is in the evidence archive."
                    )
                check_resettable(cohort)
                if evidence_digest(cohort_id) != digest:
                    raise EvidenceChanged()
                seed = new_seed(cohort.seed) if seed is None else seed
                result = ResetResult(name, current + 1, seed, count, run_dir, unfinished=work)
                result.packs = [ArchivedPack(**{k: v for k, v in r.items() if k not in NOT_COLUMNS}) for r in records]
                result.problems = {r["learner_username"]: r["problems"] for r in records if r["problems"]}
                db.session.add_all(result.packs)
                result.removed = remove_cohort_from_live_system(cohort_id)
                cohort = db.session.get_one(Cohort, cohort_id)
                seed_customers(cohort, seed, count, progress=seed_progress(progress, count))
                rebuild_queues(cohort)
                cohort.generation = current + 1
                committing = True
        except EvidenceChanged:
            renderings.close(snapshot)
            shutil.rmtree(run_dir, ignore_errors=True)
            continue  # something was recorded while archiving: archive again
        except IntegrityError as err:
            renderings.close(snapshot)
            shutil.rmtree(run_dir, ignore_errors=True)
            raise Conflict(
                f"{name} could not be reset: another cohort's records refer to its accounts "
                f"({err.orig}). Nothing was changed."
            ) from err
        except BaseException:
            renderings.close(snapshot)
            if not committing:  # rolled back for certain: the files are unrecorded spare copies
                shutil.rmtree(run_dir, ignore_errors=True)
            raise
        result.renderings_failed = renderings.render_archived(snapshot, learner_ids, records, progress)
        return result
    raise Conflict(
        f"{name} kept changing while its evidence was archived: try the reset again "
        "when its learners and assessors have stopped working."
    )


def archive_unless_reset(
    cohort: Cohort, learners: list[User], progress: Progress | None, work: UnfinishedWork | None, pdfs: bool = True
) -> tuple[Path, list[dict[str, Any]]] | None:
    """:func:`write_archive`, or None when it failed because another reset committed meanwhile
    (deleting the learners being archived)."""
    cohort_id, generation = cohort.id, cohort.generation
    try:
        return write_archive(cohort, learners, progress, work, pdfs)
    except Exception:
        db.session.rollback()
        now = db.session.execute(select(Cohort.generation).where(Cohort.id == cohort_id)).scalar_one_or_none()
        if now == generation:
            raise
        return None


def seed_progress(progress: Progress | None, total: int) -> Callable[[int], None] | None:
    """Adapt seed_customers' ``progress(n more)`` to ``progress("seed", done, total)``."""
    if progress is None:
        return None
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        progress("seed", done, total)

    return step


def rebuild_queues(cohort: Cohort) -> None:
    """Queue every scenario for each learner still in the cohort (after the reset: usually none;
    the trainer imports the next group and assigns their work)."""
    for learner in db.session.execute(
        select(User).where(User.cohort_id == cohort.id, User.role == "learner", User.active.is_(True))
    ).scalars():
        build_queue(learner)


class StaleReset(Conflict):
    """Another reset of the cohort committed first."""


class AlreadyReset(Conflict):
    """The confirmation was for a generation the cohort has already left (a form sent twice)."""


class UnfinishedChanged(Conflict):
    """The unfinished work is not what the trainer confirmed."""


class EvidenceChanged(Exception):
    """The cohort's evidence changed between archiving and the reset transaction."""
