"""Resetting a cohort: archive first (verifiable signed packs), then one transaction to a fresh world.

Killed part-way, the old state is whole; a reset started twice runs once; other cohorts are untouched.
"""

import hashlib
import io
import re
import threading
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm_sandbox.admin import archive, renderings
from crm_sandbox.admin import reset as reset_service
from crm_sandbox.admin.packs import verify_pack
from crm_sandbox.admin.reset import REMOVED_TABLES, evidence_digest, reset_cohort
from crm_sandbox.database import write_transaction
from crm_sandbox.errors import Conflict
from crm_sandbox.extensions import db
from crm_sandbox.models import (
    AccountStanding,
    ArchivedPack,
    Base,
    Cohort,
    Contact,
    CriterionJudgement,
    Customer,
    Event,
    Finding,
    FindingDecision,
    User,
)
from crm_sandbox.operations.cohorts.accounts import create_user
from crm_sandbox.operations.cohorts.queues import build_queue
from crm_sandbox.operations.desk.lifecycle import close_contact, open_contact
from crm_sandbox.operations.desk.notes import add_note
from crm_sandbox.operations.review import acknowledge, release
from crm_sandbox.queries.unfinished import KINDS, unfinished_work
from crm_sandbox.seeding import seed_customers
from tests.conftest import PASSWORD, flashes
from tests.helpers import run_together, signed_in
from tests.reporting import decide_and_sign

QUEUE = ["balance-enquiry", "change-of-address"]


def work_one_contact(learner_id: int, note: str = "Balance given after ID&V.") -> int:
    """The learner opens and closes their first contact and logs a note: events to archive."""
    contact = (
        db.session.execute(select(Contact).where(Contact.learner_id == learner_id).order_by(Contact.position))
        .scalars()
        .first()
    )
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
            finding = Finding(
                contact_id=contact_id,
                key="manual:1",
                rule="assessor",
                severity="minor",
                events=[1],
                evidence="e",
                explanation="x",
                reference="r",
                source="assessor",
                created_by=a1,
            )
            db.session.add(finding)
            db.session.flush()
            db.session.add(FindingDecision(finding_id=finding.id, assessor_id=a1, decision="confirmed", comment="ok"))
            db.session.add(
                CriterionJudgement(
                    contact_id=contact_id, criterion_id="verify-identity", met=True, comment="", assessor_id=a1
                )
            )
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
    return [
        (c.ref, c.first_name, c.last_name, c.postcode)
        for c in db.session.execute(
            select(Customer).where(Customer.cohort_id == cohort_id).order_by(Customer.ref)
        ).scalars()
    ]


def snapshot(cohort_id: int) -> tuple:
    """Everything a reset may change about a cohort."""
    db.session.rollback()
    cohort = db.session.get(Cohort, cohort_id, populate_existing=True)
    return (
        evidence_digest(cohort_id),
        customers_of(cohort_id),
        cohort.seed,
        cohort.generation,
        db.session.execute(select(func.count(ArchivedPack.id))).scalar(),
    )


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
            assert archive.is_sealed(data)  # encrypted at rest with the centre's key
            assert verify_pack(archive.unseal(data)) == [], pack.learner_username
            assert archive.check_pack(pack) == []
            assert pack.cohort_name == "Test cohort" and pack.retention_until > pack.created_at
            cli = runner.invoke(args=["verify-pack", str(path)])
            assert cli.exit_code == 0, cli.output
        with zipfile.ZipFile(
            io.BytesIO(archive.stored_pack(next(p for p in packs if p.learner_username == "learner1")))
        ) as zf:
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
        # The learners' private customers went with them; the shared background is reseeded (50 again).
        assert len(before_customers) > 50  # with the learners' own
        assert len(after_customers) == 50 and count(Customer, Customer.cohort_id == cid) == 50
        assert count(Customer, Customer.cohort_id == cid, Customer.learner_id.is_not(None)) == 0
        assert after_customers != before_customers[:50]
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
        contact = (
            db.session.execute(
                select(Contact).where(Contact.learner_id == world["learners"][1]).order_by(Contact.position)
            )
            .scalars()
            .first()
        )
        open_contact(contact, db.session.get(User, world["learners"][1]))
        before = snapshot(world["cohort"])
        with pytest.raises(Conflict, match="1 contact\\(s\\) still live"):
            reset_cohort("Test cohort")
        assert snapshot(world["cohort"]) == before
        assert not archive.archive_root().exists() or archive.unrecorded_runs() == []


def test_evidence_recorded_while_archiving_is_archived_too(app, world, monkeypatch):
    from crm_sandbox.admin import packs as pack_module

    real, calls = pack_module.build_learner_pack, []

    def build_then_late_note(learner, **kw):
        calls.append(learner.username)
        if len(calls) == 1:  # a late note arrives while the first pack is being built
            contact = db.session.execute(
                select(Contact).where(Contact.learner_id == world["learners"][0], Contact.status == "closed")
            ).scalar_one()
            add_note(contact, db.session.get(User, world["learners"][0]), "Late note while archiving.", None)
        return real(learner, **kw)

    monkeypatch.setattr(pack_module, "build_learner_pack", build_then_late_note)
    with app.app_context():
        result = reset_cohort("Test cohort")
        assert calls == ["learner1", "learner2", "learner1", "learner2"]  # archived again
        pack = next(p for p in result.packs if p.learner_username == "learner1")
        with zipfile.ZipFile(io.BytesIO(archive.stored_pack(pack))) as zf:
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


def test_a_reset_that_commits_while_another_is_still_archiving_stops_the_other_cleanly(app, world, monkeypatch):
    """The second run's learners vanish under it mid-archive: it says the cohort was reset, never crashes."""
    from crm_sandbox.admin import packs as pack_module

    real, calls = pack_module.build_learner_pack, []

    def another_reset_commits_first(learner, **kw):
        calls.append(learner.username)
        if len(calls) == 1:
            with app.app_context():  # another request, its own session
                reset_cohort("Test cohort")
                db.session.remove()
            db.session.expire_all()  # this run's learners are now rows another reset deleted
        return real(learner, **kw)

    monkeypatch.setattr(pack_module, "build_learner_pack", another_reset_commits_first)
    with app.app_context():
        with pytest.raises(Conflict, match="already been reset"):
            reset_cohort("Test cohort", generation=0)
        assert db.session.get(Cohort, world["cohort"]).generation == 1
        assert count(ArchivedPack) == 2
        assert archive.unrecorded_runs() == []


def test_every_table_referencing_contacts_findings_or_users_is_removed_by_the_reset():
    """A new evidence table must be added to the reset (REMOVED_TABLES), or this fails.
    (A reference declared ON DELETE CASCADE, like sign-in sessions, goes with its row.)"""
    referencing = {
        table.name
        for table in Base.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name in ("contact", "finding", "user") and fk.ondelete != "CASCADE"
    }
    assert referencing <= set(REMOVED_TABLES), sorted(referencing - set(REMOVED_TABLES))


def test_cli_reset_with_progress(app, world, runner):
    result = runner.invoke(args=["reset-cohort", "Test cohort", "--seed", "5", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Archived 2 evidence pack(s)" in result.output and "seed 5" in result.output
    assert "Generating new customers" in result.output
    result = runner.invoke(args=["reset-cohort", "Nope", "--yes"])
    assert result.exit_code == 1 and "There is no cohort called 'Nope'" in result.output


def confirmation(client, cohort_id: int) -> tuple[str, dict]:
    """The reset confirmation page and the hidden fields its form sends (what it was shown for)."""
    page = client.get(f"/trainer/cohorts/{cohort_id}/reset").get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="(generation|unfinished)" value="([^"]*)">', page))
    return page, fields


def test_ui_reset_needs_the_confirmation_page_and_the_typed_name(app, client, world, login):
    login("trainer1")
    cid = world["cohort"]
    resp = client.post(f"/trainer/cohorts/{cid}/reset", data={"confirm": "Test cohort"}, follow_redirects=True)
    assert "confirm on this page, after checking what the reset will do" in " ".join(
        flashes(resp.get_data(as_text=True))
    )
    _, fields = confirmation(client, cid)
    resp = client.post(
        f"/trainer/cohorts/{cid}/reset", data={**fields, "confirm": "test cohort"}, follow_redirects=True
    )
    assert "type its name, Test cohort, exactly" in " ".join(flashes(resp.get_data(as_text=True)))
    assert "Reset anyway (everything is archived first)" in resp.get_data(as_text=True)  # back on the page
    with app.app_context():
        assert db.session.get(Cohort, cid).generation == 0
        assert count(ArchivedPack) == 0


def test_purge_removes_only_expired_packs(app, client, world, login):
    with app.app_context():
        reset_cohort("Test cohort")
        packs = db.session.execute(select(ArchivedPack).order_by(ArchivedPack.id)).scalars().all()
        expired, kept = packs
        with write_transaction():
            # retention is applied at purge time, from the archiving date (not a date frozen at archiving)
            db.session.get(ArchivedPack, expired.id).created_at = expired.created_at - timedelta(days=4000)
        expired_path, kept_path = archive.pack_path(expired), archive.pack_path(kept)
    login("trainer1")
    resp = client.post("/trainer/archive/purge", follow_redirects=True)
    assert "Purged 1 pack(s)" in " ".join(flashes(resp.get_data(as_text=True)))
    assert not expired_path.exists() and kept_path.exists()
    with app.app_context():
        assert [p.id for p in db.session.execute(select(ArchivedPack)).scalars()] == [kept.id]


# --- What the reset would leave unfinished, the confirmation, and the archive afterwards -------------------

STAGES = ["balance-enquiry", "change-of-address", "missing-refund", "locked-out-online-banking"]
QA_STAGES = ["refund-above-authority", "third-party-spouse"]  # a trainee's decision; an assessment never sampled


def closed_contact(learner_id: int, scenario_id: str) -> Contact:
    contact = db.session.execute(
        select(Contact).where(Contact.learner_id == learner_id, Contact.scenario_id == scenario_id)
    ).scalar_one()
    learner = db.session.get(User, learner_id)
    open_contact(contact, learner)
    close_contact(contact, learner, "information-given", "yes")
    return contact


@pytest.fixture
def unfinished(app, world, make_user):
    """On top of ``world`` (learner1's first contact has a review started, not signed off): learner3,
    "Riya Patel", with one closed contact at each later stage, and one wholly finished. Returns the
    contacts' ids by the kind they should be listed under."""
    l3 = make_user("learner3", queue=STAGES + QA_STAGES)
    trainee = make_user("trainee1", "assessor")
    with app.app_context():
        with write_transaction():
            db.session.get(User, l3).display_name = "Riya Patel"
            db.session.add(AccountStanding(user_id=trainee, assessor_status="trainee"))
        assessor, learner = db.session.get(User, world["assessor"]), db.session.get(User, l3)
        fresh, unreleased, unacknowledged, finished = (closed_contact(l3, s) for s in STAGES)
        provisional, unsampled = (closed_contact(l3, s) for s in QA_STAGES)
        with write_transaction():
            db.session.get(Contact, unsampled.id).mode = "assessment"  # an observed assessment: the IQA samples it
        for contact in (unreleased, unacknowledged, finished, unsampled):
            decide_and_sign(contact, assessor, "Clear ID&V and a full answer.")
        decide_and_sign(provisional, db.session.get(User, trainee), "Clear ID&V and a full answer.")
        for contact in (unacknowledged, finished, unsampled):
            release(contact, assessor)
        for contact in (finished, unsampled):
            acknowledge(contact, learner, "Agreed.")
        reviewed = db.session.execute(
            select(Contact.id).where(Contact.learner_id == world["learners"][0], Contact.status == "closed")
        ).scalar_one()
        return {
            "review_unsigned": reviewed,
            "not_reviewed": fresh.id,
            "report_unreleased": unreleased.id,
            "report_unacknowledged": unacknowledged.id,
            "not_countersigned": provisional.id,
            "not_sampled": unsampled.id,
            "finished": finished.id,
            "learner3": l3,
        }


def open_first(learner_id: int) -> int:
    contact = (
        db.session.execute(
            select(Contact)
            .where(Contact.learner_id == learner_id, Contact.status == "queued")
            .order_by(Contact.position)
        )
        .scalars()
        .first()
    )
    open_contact(contact, db.session.get(User, learner_id))
    return contact.id


def test_the_unfinished_summary_lists_each_kind_of_unfinished_work(app, world, unfinished):
    with app.app_context():
        live = open_first(world["learners"][1])
        work = unfinished_work(world["cohort"])
        kinds = {c.contact_id: c.kind for c in work.contacts}
        assert kinds == {live: "live", **{v: k for k, v in unfinished.items() if k not in ("finished", "learner3")}}
        assert work.total == 7 and work.live == 1
        assert [kind for kind, _, _ in work.groups()] == list(KINDS)  # every kind, in the order work moves
        riya = next(c for c in work.contacts if c.contact_id == unfinished["not_reviewed"])
        assert (riya.learner_name, riya.learner_username, riya.contact_ref, riya.title) == (
            "Riya Patel",
            "learner3",
            f"c-{unfinished['not_reviewed']}",
            "Balance enquiry",
        )
        assert unfinished_work(world["other"]).total == 1  # the other cohort's closed contact, not this one's


def test_the_confirmation_page_shows_what_the_reset_does_and_the_unfinished_work(app, client, world, unfinished, login):
    with app.app_context():
        live = open_first(world["learners"][1])
    login("trainer1")
    page, fields = confirmation(client, world["cohort"])
    for label in KINDS.values():
        assert f"{label} (1)" in page, label
    assert "Unfinished work (7 contacts)" in page and "Riya Patel" in page
    for contact_id in (live, unfinished["not_reviewed"], unfinished["report_unacknowledged"]):
        assert f"<code>c-{contact_id}</code>" in page
    assert f"c-{unfinished['finished']}<" not in page
    assert "Archive a signed evidence pack for each of 3 learner(s)" in page
    # A live contact blocks the reset: the page says so and offers only "Go back".
    assert "cannot run while 1 contact(s) are live" in page and "Reset anyway" not in page and not fields
    assert "Go back" in page


def test_a_cohort_with_nothing_unfinished_says_so(app, client, cohort, make_user, login):
    make_user("learner1", queue=QUEUE)
    make_user("trainer1", "trainer", in_cohort=False)
    login("trainer1")
    page, fields = confirmation(client, cohort)
    assert "Nothing is unfinished" in page and "Reset anyway (everything is archived first)" in page
    assert 'class="btn btn-danger"' in page and fields["generation"] == "0"


def test_go_back_changes_nothing(app, client, world, unfinished, login, archive_dir):
    with app.app_context():
        before = snapshot(world["cohort"])
    login("trainer1")
    page, _ = confirmation(client, world["cohort"])
    back = re.search(r'<a class="btn" href="([^"]+)">Go back</a>', page).group(1)
    assert back == f"/trainer/cohorts/{world['cohort']}"
    assert client.get(back).status_code == 200
    with app.app_context():
        assert snapshot(world["cohort"]) == before
    assert not archive_dir.exists()  # nothing was even archived


def test_reset_anyway_archives_and_each_learners_archive_stays_downloadable(app, client, world, unfinished, login):
    login("trainer1")
    cid = world["cohort"]
    _, fields = confirmation(client, cid)
    resp = client.post(
        f"/trainer/cohorts/{cid}/reset", data={**fields, "confirm": "Test cohort"}, follow_redirects=True
    )
    said = " ".join(flashes(resp.get_data(as_text=True)))
    assert "3 evidence pack(s) archived (6 unfinished contact(s) as they stood)" in said  # 4, and 2 awaiting QA
    with app.app_context():
        assert count(User, User.cohort_id == cid) == 0  # the accounts are gone
        packs = {p.learner_username: p for p in db.session.execute(select(ArchivedPack)).scalars()}
        run = Path(packs["learner3"].path).parent.name
        files = {name: archive.stored_pack(p) for name, p in packs.items()}  # decrypted
        index, problems = archive.read_index(archive.pack_path(packs["learner3"]).parent)
        names = {archive.entry_name(e) for e in index["learners"]}  # sealed with the centre's key
        raw_index = (archive.pack_path(packs["learner3"]).parent / archive.INDEX).read_bytes()
    assert problems == [] and names == {"learner1", "learner2", "Riya Patel"}
    assert b"Riya" not in raw_index and b"learner3" not in raw_index  # the index file names nobody

    page = client.get("/trainer/archive").get_data(as_text=True)
    assert "Test cohort · reset" in page and 'Riya Patel <span class="muted">(learner3)</span>' in page
    assert page.count('badge-ok">Valid') == 3
    assert f"<code>c-{unfinished['not_reviewed']}</code> Balance enquiry: not reviewed" in page
    assert "Closed contacts not yet reviewed: 1" in page
    riya = packs["learner3"]
    download = client.get(f"/trainer/archive/{run}/learners/{riya.id}/pack")
    assert download.status_code == 200 and download.data == files["learner3"]
    assert "no-store" in download.headers["Cache-Control"]
    report = client.get(f"/trainer/archive/{run}/learners/{riya.id}/report")
    assert report.status_code == 200 and report.mimetype == "application/pdf"
    with zipfile.ZipFile(io.BytesIO(files["learner3"])) as zf:  # the evidence; its PDFs rendered after the reset
        assert "learner-report.pdf" not in zf.namelist()
    with app.app_context():
        rendered = archive.unseal(renderings.path_beside(archive.pack_path(riya)).read_bytes())
        assert renderings.verify_renderings(rendered, files["learner3"]) == []
    with zipfile.ZipFile(io.BytesIO(rendered)) as zf:
        assert report.data == zf.read("learner-report.pdf")
    links = re.findall(r'href="(/trainer/archive/[^"]+)"', page)
    assert len(links) == 6 and not any(n in link for link in links for n in ("learner3", "Riya"))  # no personal data
    assert client.get(f"/trainer/archive/20000101T000000Z-g0-abcdef/learners/{riya.id}/pack").status_code == 404


def test_a_reset_confirmation_sent_twice_runs_once(app, client, world, login):
    login("trainer1")
    cid = world["cohort"]
    _, fields = confirmation(client, cid)
    form = {**fields, "confirm": "Test cohort"}
    first = client.post(f"/trainer/cohorts/{cid}/reset", data=form, follow_redirects=True)
    second = client.post(f"/trainer/cohorts/{cid}/reset", data=form, follow_redirects=True)
    assert "2 evidence pack(s) archived" in " ".join(flashes(first.get_data(as_text=True)))
    assert second.status_code == 200
    assert "has already been reset since that confirmation was shown" in " ".join(
        flashes(second.get_data(as_text=True))
    )
    with app.app_context():
        assert db.session.get(Cohort, cid).generation == 1 and count(ArchivedPack) == 2


def test_a_reset_confirmation_sent_twice_at_once_runs_once(app, world):
    trainer = signed_in(app, "trainer1")
    _, fields = confirmation(trainer, world["cohort"])
    answers = []

    def submit(client):
        resp = client.post(f"/trainer/cohorts/{world['cohort']}/reset", data={**fields, "confirm": "Test cohort"})
        answers.append((resp.status_code, " ".join(flashes(client.get(resp.location).get_data(as_text=True)))))

    run_together(submit, [(trainer,), (signed_in(app, "trainer1"),)])
    assert [status for status, _ in answers] == [303, 303]
    assert sum("evidence pack(s) archived" in said for _, said in answers) == 1, answers
    with app.app_context():
        assert db.session.get(Cohort, world["cohort"]).generation == 1 and count(ArchivedPack) == 2
        assert archive.unrecorded_runs() == []


def test_work_that_changed_since_the_confirmation_must_be_looked_at_again(app, client, world, unfinished, login):
    login("trainer1")
    cid = world["cohort"]
    _, fields = confirmation(client, cid)
    with app.app_context():
        closed_contact(world["learners"][1], "balance-enquiry")  # one more contact now awaits review
        before = snapshot(cid)
    resp = client.post(
        f"/trainer/cohorts/{cid}/reset", data={**fields, "confirm": "Test cohort"}, follow_redirects=True
    )
    page = resp.get_data(as_text=True)
    assert "unfinished work changed since the confirmation was shown" in " ".join(flashes(page))
    assert "Closed contacts not yet reviewed (2)" in page  # shown again, with the new contact
    with app.app_context():
        assert snapshot(cid) == before


def test_a_tampered_pack_still_downloads_but_its_report_is_refused(app, client, world, login):
    with app.app_context():
        reset_cohort("Test cohort")
        pack = db.session.execute(select(ArchivedPack).order_by(ArchivedPack.id)).scalars().first()
        path = archive.pack_path(pack)
        run = path.parent.name
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    login("trainer1")
    report = client.get(f"/trainer/archive/{run}/learners/{pack.id}/report")
    assert report.status_code == 409 and "failed its check" in report.get_data(as_text=True)
    assert client.get(f"/trainer/archive/{run}/learners/{pack.id}/pack").status_code == 200
    assert "SHA-256 differs" in client.get("/trainer/archive").get_data(as_text=True)


def test_an_edited_index_is_named_and_the_names_come_from_the_packs(app, client, world, login):
    with app.app_context():
        with write_transaction():
            db.session.get(User, world["learners"][0]).display_name = "Tom Evans"
        result = reset_cohort("Test cohort")
    index = result.archive_dir / archive.INDEX
    index.write_bytes(index.read_bytes().replace(b'"cohort": "Test cohort"', b'"cohort": "Someone Else"'))
    login("trainer1")
    page = client.get("/trainer/archive").get_data(as_text=True)
    assert "index.json does not match its signature" in page
    assert "Tom Evans <span" in page and "Someone Else" not in page


def test_purging_an_archives_last_pack_removes_its_folder_and_index(app, world):
    with app.app_context():
        result = reset_cohort("Test cohort")
        assert (result.archive_dir / archive.INDEX).is_file()
        with write_transaction():
            for pack in db.session.execute(select(ArchivedPack)).scalars():
                pack.created_at -= timedelta(days=4000)
        assert len(archive.purge_expired()) == 2
        assert not result.archive_dir.exists()
        assert archive.unrecorded_runs() == [] and archive.archived_runs() == []
