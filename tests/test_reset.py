"""Resetting a cohort: archive first (verifiable signed packs), then one transaction to a fresh world.

Killed part-way, the old state is whole; a reset started twice runs once; other cohorts are untouched.
"""
import hashlib
import threading
import zipfile

import pytest
from sqlalchemy import func, select

from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import (ArchivedPack, Base, Cohort, Contact, CriterionJudgement, Customer, Event, Finding,
                                FindingDecision, User)
from crm_sandbox.reports.pack import verify_pack
from crm_sandbox.seeding import seed_customers
from crm_sandbox.services import archive, reset as reset_service
from crm_sandbox.services.accounts import create_user
from crm_sandbox.services.actions import close_contact
from crm_sandbox.services.contacts import open_contact
from crm_sandbox.services.errors import Conflict
from crm_sandbox.services.notes import add_note
from crm_sandbox.services.queues import build_queue
from crm_sandbox.services.reset import REMOVED_TABLES, evidence_digest, reset_cohort
from tests.conftest import PASSWORD, flashes

QUEUE = ["balance-enquiry", "change-of-address"]


def work_one_contact(learner_id: int, note: str = "Balance given after ID&V.") -> int:
    """The learner opens and closes their first contact and logs a note: events to archive."""
    contact = db.session.execute(select(Contact).where(Contact.learner_id == learner_id)
                                 .order_by(Contact.position)).scalars().first()
    learner = db.session.get(User, learner_id)
    open_contact(contact, learner)
    add_note(contact, learner, note, None)
    close_contact(contact, learner, "information-given", "yes")
    return contact.id


@pytest.fixture(autouse=True)
def archive_dir(app, tmp_path):
    """Each test archives into its own folder (not the checkout's instance folder)."""
    app.config["ARCHIVE_DIR"] = str(tmp_path / "archive")
    return tmp_path / "archive"


@pytest.fixture
def world(app, cohort, make_user):
    """Two cohorts side by side. "Test cohort": two learners (one with worked, reviewed contacts) and
    an assessor. "Other cohort": one learner with a worked contact. Returns names and ids."""
    l1, l2 = make_user("learner1", queue=QUEUE), make_user("learner2", queue=QUEUE)
    a1 = make_user("assessor1", "assessor")
    make_user("trainer1", "trainer", in_cohort=False)
    with app.app_context():
        contact_id = work_one_contact(l1)
        with write_transaction():
            finding = Finding(contact_id=contact_id, key="manual:1", rule="assessor", severity="minor",
                              events=[1], evidence="e", explanation="x", reference="r", source="assessor",
                              created_by=a1)
            db.session.add(finding)
            db.session.flush()
            db.session.add(FindingDecision(finding_id=finding.id, assessor_id=a1, decision="confirmed", comment="ok"))
            db.session.add(CriterionJudgement(contact_id=contact_id, criterion_id="verify-identity", met=True,
                                              comment="", assessor_id=a1))
        with write_transaction():
            other = Cohort(name="Other cohort", policy=db.session.get(Cohort, cohort).policy)
            db.session.add(other)
            db.session.flush()
            seed_customers(other, 3, 30)
            m1 = create_user("other-learner", PASSWORD, "learner", cohort=other)
            db.session.flush()
            build_queue(m1, QUEUE)
            other_id, m1_id = other.id, m1.id
        work_one_contact(m1_id)
    return {"cohort": cohort, "other": other_id, "learners": [l1, l2], "assessor": a1}


def customers_of(cohort_id: int) -> list[tuple]:
    return [(c.ref, c.first_name, c.last_name, c.postcode) for c in db.session.execute(
        select(Customer).where(Customer.cohort_id == cohort_id).order_by(Customer.ref)).scalars()]


def snapshot(cohort_id: int) -> tuple:
    """Everything a reset may change about a cohort."""
    db.session.rollback()
    cohort = db.session.get(Cohort, cohort_id, populate_existing=True)
    return (evidence_digest(cohort_id), customers_of(cohort_id), cohort.seed, cohort.generation,
            db.session.execute(select(func.count(ArchivedPack.id))).scalar())


def count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar()


def test_reset_archives_verifiable_packs_and_leaves_a_fresh_world(app, world, runner):
    with app.app_context():
        before_customers = customers_of(world["cohort"])
        other_before = snapshot(world["other"])
        contacts = select(Contact.id).where(Contact.cohort_id == world["cohort"])
        assert count(Event, Event.contact_id.in_(contacts)) > 0

        result = reset_cohort("Test cohort", seed=99)

        assert sorted(p.learner_username for p in result.packs) == ["learner1", "learner2"]
        packs = db.session.execute(select(ArchivedPack)).scalars().all()
        assert len(packs) == 2
        for pack in packs:
            path = archive.pack_path(pack)
            data = path.read_bytes()
            assert hashlib.sha256(data).hexdigest() == pack.sha256 and len(data) == pack.size
            assert verify_pack(str(path)) == [], pack.learner_username
            assert archive.check_pack(pack) == []
            assert pack.cohort_name == "Test cohort" and pack.retention_until > pack.created_at
            cli = runner.invoke(args=["verify-pack", str(path)])
            assert cli.exit_code == 0, cli.output
        with zipfile.ZipFile(archive.pack_path(next(p for p in packs if p.learner_username == "learner1"))) as zf:
            sessions = [n for n in zf.namelist() if n.endswith("session.json")]
            assert any(b"Balance given after ID&V." in zf.read(n) for n in sessions)

        cid = world["cohort"]
        assert count(Contact, Contact.cohort_id == cid) == 0
        assert count(Event) == count(Event, Event.contact_id.in_(select(Contact.id)))  # no orphans
        assert count(Finding, Finding.contact_id.notin_(select(Contact.id))) == 0
        assert count(FindingDecision) == 0 and count(CriterionJudgement) == 0
        assert count(User, User.cohort_id == cid) == 0
        assert db.session.execute(select(User.username).where(User.role == "trainer")).scalars().all() == ["trainer1"]
        after_customers = customers_of(cid)
        assert len(after_customers) == len(before_customers) == 50
        assert after_customers != before_customers
        cohort = db.session.get(Cohort, cid)
        assert cohort.seed == 99 and cohort.generation == 1
        assert snapshot(world["other"])[:4] == other_before[:4]  # the other cohort is untouched
        assert count(Contact, Contact.cohort_id == world["other"]) == 2


def test_a_reset_killed_part_way_leaves_the_old_state_whole(app, world, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("killed while seeding")

    with app.app_context():
        before = snapshot(world["cohort"])
        monkeypatch.setattr("crm_sandbox.seeding.seed_customers", crash)
        with pytest.raises(RuntimeError, match="killed while seeding"):
            reset_cohort("Test cohort")
        assert snapshot(world["cohort"]) == before  # contacts, events, reviews, accounts, customers, seed
        assert archive.unrecorded_runs() == []  # the run's spare copies were removed
        monkeypatch.undo()
        reset_cohort("Test cohort")  # and a later reset works
        assert snapshot(world["cohort"])[3] == 1


def test_a_reset_killed_after_the_archive_step_leaves_the_old_state_whole(app, world, monkeypatch):
    """Killed (not an exception we see) between archiving and commit: the files are spare copies."""
    def killed(*args, **kwargs):
        raise SystemExit("kill -9")

    with app.app_context():
        before = snapshot(world["cohort"])
        monkeypatch.setattr(reset_service, "rebuild_queues", killed)
        with pytest.raises(SystemExit):
            reset_cohort("Test cohort")
        assert snapshot(world["cohort"]) == before


def test_reset_of_a_cohort_with_live_contacts_is_refused(app, world):
    with app.app_context():
        contact = db.session.execute(select(Contact).where(
            Contact.learner_id == world["learners"][1]).order_by(Contact.position)).scalars().first()
        open_contact(contact, db.session.get(User, world["learners"][1]))
        before = snapshot(world["cohort"])
        with pytest.raises(Conflict, match="1 contact\\(s\\) still live"):
            reset_cohort("Test cohort")
        assert snapshot(world["cohort"]) == before
        assert not archive.archive_root().exists() or archive.unrecorded_runs() == []


def test_evidence_recorded_while_archiving_is_archived_too(app, world, monkeypatch):
    from crm_sandbox.reports import pack as pack_module

    real, calls = pack_module.build_learner_pack, []

    def build_then_late_note(learner):
        calls.append(learner.username)
        if len(calls) == 1:  # a late note arrives while the first pack is being built
            contact = db.session.execute(select(Contact).where(Contact.learner_id == world["learners"][0],
                                                               Contact.status == "closed")).scalar_one()
            add_note(contact, db.session.get(User, world["learners"][0]), "Late note while archiving.", None)
        return real(learner)

    monkeypatch.setattr(pack_module, "build_learner_pack", build_then_late_note)
    with app.app_context():
        result = reset_cohort("Test cohort")
        assert calls == ["learner1", "learner2", "learner1", "learner2"]  # archived again
        pack = next(p for p in result.packs if p.learner_username == "learner1")
        with zipfile.ZipFile(archive.pack_path(pack)) as zf:
            assert any(b"Late note while archiving." in zf.read(n) for n in zf.namelist() if n.endswith(".json"))
        assert archive.unrecorded_runs() == []  # the stale first archive was removed


def test_a_reset_started_twice_at_once_runs_once(app, world, monkeypatch):
    """Both runs archive at the same time (a barrier holds them there), then race for the write lock."""
    barrier = threading.Barrier(2, timeout=30)
    real_write = reset_service.write_archive

    def write_then_wait(*args, **kwargs):
        written = real_write(*args, **kwargs)
        barrier.wait()
        return written

    monkeypatch.setattr(reset_service, "write_archive", write_then_wait)
    outcomes = []

    def run():
        with app.app_context():
            try:
                reset_cohort("Test cohort")
                outcomes.append("reset")
            except Conflict as err:
                outcomes.append(str(err))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes)[1] == "reset" and "reset by another run at the same time" in sorted(outcomes)[0]
    with app.app_context():
        assert db.session.get(Cohort, world["cohort"]).generation == 1
        assert count(ArchivedPack) == 2
        assert archive.unrecorded_runs() == []


def test_every_table_referencing_contacts_findings_or_users_is_removed_by_the_reset():
    """A new evidence table must be added to the reset (REMOVED_TABLES), or this fails.
    (A reference declared ON DELETE CASCADE, like sign-in sessions, goes with its row.)"""
    referencing = {table.name for table in Base.metadata.sorted_tables for fk in table.foreign_keys
                   if fk.column.table.name in ("contact", "finding", "user") and fk.ondelete != "CASCADE"}
    assert referencing <= set(REMOVED_TABLES), sorted(referencing - set(REMOVED_TABLES))


def test_cli_reset_with_progress(app, world, runner):
    result = runner.invoke(args=["reset-cohort", "Test cohort", "--seed", "5", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Archived 2 evidence pack(s)" in result.output and "seed 5" in result.output
    assert "Generating new customers" in result.output
    result = runner.invoke(args=["reset-cohort", "Nope", "--yes"])
    assert result.exit_code == 1 and "There is no cohort called 'Nope'" in result.output


def test_ui_reset_needs_the_typed_name_and_archive_page_lists_verified_packs(app, client, world, login):
    login("trainer1")
    cid = world["cohort"]
    resp = client.post(f"/trainer/cohorts/{cid}/reset", data={"confirm": "test cohort"}, follow_redirects=True)
    assert "type its name, Test cohort, exactly" in " ".join(flashes(resp.get_data(as_text=True)))
    with app.app_context():
        assert db.session.get(Cohort, cid).generation == 0
    resp = client.post(f"/trainer/cohorts/{cid}/reset", data={"confirm": "Test cohort"}, follow_redirects=True)
    assert "2 evidence pack(s) archived" in " ".join(flashes(resp.get_data(as_text=True)))
    page = client.get("/trainer/archive").get_data(as_text=True)
    assert page.count("badge-ok\">Valid") == 2 and "learner1" in page
    with app.app_context():
        pack = db.session.execute(select(ArchivedPack).order_by(ArchivedPack.id)).scalars().first()
        data = archive.pack_path(pack).read_bytes()
    download = client.get(f"/trainer/archive/{pack.id}/download")
    assert download.status_code == 200 and download.data == data


def test_purge_removes_only_expired_packs(app, client, world, login):
    with app.app_context():
        reset_cohort("Test cohort")
        packs = db.session.execute(select(ArchivedPack).order_by(ArchivedPack.id)).scalars().all()
        expired, kept = packs
        with write_transaction():
            db.session.get(ArchivedPack, expired.id).retention_until = expired.created_at
        expired_path, kept_path = archive.pack_path(expired), archive.pack_path(kept)
    login("trainer1")
    resp = client.post("/trainer/archive/purge", follow_redirects=True)
    assert "Purged 1 pack(s)" in " ".join(flashes(resp.get_data(as_text=True)))
    assert not expired_path.exists() and kept_path.exists()
    with app.app_context():
        assert [p.id for p in db.session.execute(select(ArchivedPack)).scalars()] == [kept.id]
