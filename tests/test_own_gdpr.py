"""The sandbox's own data-protection duties (issue 16, item 4): subject access for every role, erasure that
leaves nothing in the database files, an archive that is encrypted, pseudonymously indexed and still
answers for a person whose cohort was reset, and retention applied as configured, on a schedule, in the
ledger."""

import html
import io
import json
import os
import stat
import threading
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from crm_sandbox import ledger
from crm_sandbox.admin import archive, gdpr, retention
from crm_sandbox.admin import reset as reset_service
from crm_sandbox.admin.reset import reset_cohort
from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import (
    ArchivedPack,
    Cohort,
    Contact,
    CriterionJudgement,
    LoginThrottle,
    User,
    UserSession,
    utcnow,
)
from crm_sandbox.operations.desk.lifecycle import close_contact, open_contact
from crm_sandbox.operations.desk.notes import add_note
from tests.conftest import ON_POSTGRES, flashes
from tests.helpers import signed_in

QUEUE = ["balance-enquiry"]
NAME = "Zebedee Quillfeather"  # a name found nowhere else in the fixtures


def said(resp) -> str:
    return html.unescape(" ".join(flashes(resp.get_data(as_text=True))))


@pytest.fixture(autouse=True)
def archive_dir(app, tmp_path):
    app.config["ARCHIVE_DIR"] = str(tmp_path / "archive")
    return tmp_path / "archive"


@pytest.fixture
def people(app, make_user):
    """A learner (called NAME) with a worked contact, an assessor who judged it, a trainer."""
    learner = make_user("zq-learner", queue=QUEUE)
    assessor = make_user("assessor1", "assessor")
    trainer = make_user("trainer1", "trainer", in_cohort=False)
    with app.app_context():
        with write_transaction():
            db.session.get(User, learner).display_name = NAME
        contact = db.session.execute(select(Contact).where(Contact.learner_id == learner)).scalar_one()
        user = db.session.get(User, learner)
        open_contact(contact, user)
        add_note(contact, user, "Balance given after ID&V.", None)
        close_contact(contact, user, "information-given", "yes")
        with write_transaction():
            db.session.add(
                CriterionJudgement(
                    contact_id=contact.id, criterion_id="verify-identity", met=True, comment="", assessor_id=assessor
                )
            )
        customer = db.session.get(Contact, contact.id).customer
        return {
            "learner": learner,
            "assessor": assessor,
            "trainer": trainer,
            "contact": contact.id,
            "customer": (customer.first_name, customer.last_name),
        }


def database_files(app) -> bytes:
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    return b"".join(Path(p).read_bytes() for p in (path, f"{path}-wal") if Path(p).exists())


# --- subject access for every role ------------------------------------------------------------------------------
def test_subject_access_is_complete_for_each_role(app, client, people, login):
    signed_in(app, "zq-learner")  # a session of the learner
    assessor = signed_in(app, "assessor1")
    assessor.post("/auth/login", data={"username": "assessor1", "password": "wrong"})
    client.post("/auth/login", data={"username": "assessor1", "password": "wrong-again"})  # failed sign-ins
    login("trainer1")
    docs = {}
    for role in ("learner", "assessor", "trainer"):
        resp = client.get(f"/trainer/users/{people[role]}/export")
        assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
        docs[role] = json.loads(resp.data)
        text = resp.get_data(as_text=True)
        assert "password_hash" not in text and "token_hash" not in text and "pbkdf2" not in text
        assert docs[role]["account"]["role"] == role and docs[role]["sign_in_sessions"], role
    learner, assessor_doc, trainer_doc = docs["learner"], docs["assessor"], docs["trainer"]
    assert learner["account"]["display_name"] == NAME
    [contact] = learner["contacts"]
    assert {"contact.opened", "note.added", "contact.closed"} <= {e["type"] for e in contact["events"]}
    assert assessor_doc["failed_sign_ins"] and assessor_doc["failed_sign_ins"][0]["failed_sign_ins"] >= 1
    assert [j["criterion_id"] for j in assessor_doc["staff_work"]["criterion_judgements"]] == ["verify-identity"]
    assert trainer_doc["staff_work"]["events"] == [] and trainer_doc["failed_sign_ins"] == []
    assert all(s["signed_in_at"] for s in trainer_doc["sign_in_sessions"])
    # what customer data the person was shown is theirs too (the disclosure record, as the viewer)
    viewer = signed_in(app, "assessor1")
    assert viewer.get(f"/assessor/contacts/{contact['id']}/review").status_code == 200
    shown = json.loads(client.get(f"/trainer/users/{people['assessor']}/export").data)["customer_data_shown"]
    assert shown[-1]["kind"] == "review" and shown[-1]["contact"] == contact["id"] and shown[-1]["fields"]
    # every role has its export and erasure on a page: assessors and learners on the cohort, trainers on the console
    console = client.get("/trainer/").get_data(as_text=True)
    assert f"/trainer/users/{people['trainer']}/export" in console
    assert f"/trainer/users/{people['trainer']}/erase" not in console  # one's own account: another trainer erases it


@pytest.mark.requires_sqlite("reads the raw SQLite database and write-ahead log files")
def test_erasure_leaves_no_trace_in_the_database_files(app, client, people, login):
    learner_client = signed_in(app, "zq-learner")
    for _ in range(2):
        client.post("/auth/login", data={"username": "zq-learner", "password": "wrong"})  # throttle rows
    with app.app_context():
        password_hash = db.session.get(User, people["learner"]).password_hash
        assert db.session.get(LoginThrottle, "user:zq-learner") is not None
    raw = database_files(app)
    assert NAME.encode() in raw and password_hash.encode() in raw  # there before
    login("trainer1")
    resp = client.post(
        f"/trainer/users/{people['learner']}/erase", data={"confirm": "zq-learner"}, follow_redirects=True
    )
    assert f"erased-learner-{people['learner']}" in said(resp)
    raw = database_files(app)
    for trace in (NAME.encode(), b"zq-learner", password_hash.encode(), password_hash.split("$")[-1].encode()):
        assert trace not in raw, trace
    with app.app_context():
        assert db.session.get(LoginThrottle, "user:zq-learner") is None
        assert not db.session.execute(select(UserSession).where(UserSession.user_id == people["learner"])).first()
    assert learner_client.get("/learner/").status_code in (302, 401)  # signed out everywhere
    # a subject access request for the erased person: a clear answer, the evidence pseudonymous
    doc = json.loads(client.get(f"/trainer/users/{people['learner']}/export").data)
    assert "was erased on" in doc["erasure"] and "zq-learner" not in json.dumps(doc) and NAME not in json.dumps(doc)
    # erasing twice: a clear message, no 500
    again = client.post(
        f"/trainer/users/{people['learner']}/erase", data={"confirm": "zq-learner"}, follow_redirects=True
    )
    assert again.status_code == 200 and "already erased" in said(again)


def test_an_assessor_and_a_trainer_can_be_erased_but_not_by_themselves(app, client, people, make_user, login):
    make_user("trainer2", "trainer", in_cohort=False)
    login("trainer1")
    resp = client.post(f"/trainer/users/{people['trainer']}/erase", data={"confirm": "trainer1"}, follow_redirects=True)
    assert "cannot erase your own account" in said(resp)
    resp = client.post(
        f"/trainer/users/{people['assessor']}/erase", data={"confirm": "assessor1"}, follow_redirects=True
    )
    assert f"erased-assessor-{people['assessor']}" in said(resp)
    other = signed_in(app, "trainer2")
    resp = other.post(f"/trainer/users/{people['trainer']}/erase", data={"confirm": "trainer1"}, follow_redirects=True)
    assert f"erased-trainer-{people['trainer']}" in said(resp)
    with app.app_context():
        assert db.session.get(User, people["trainer"]).password_hash == gdpr.ERASED_PASSWORD_HASH
    assert client.get("/trainer/").status_code in (302, 401, 403)  # trainer1's session ended with the erasure


# --- the archive: encrypted, pseudonymously indexed, still answering for the person ------------------------------
@pytest.mark.requires_sqlite("reads the raw SQLite database file's permissions")
def test_database_file_is_the_service_accounts_alone(app, people):
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_archived_packs_are_encrypted_private_and_verifiable_after_decrypting(app, people, runner):
    first, last = people["customer"]
    with app.app_context():
        result = reset_cohort("Test cohort", seed=99)
        [pack] = [p for p in result.packs if p.learner_username == "zq-learner"]
        path = archive.pack_path(pack)
        stored = path.read_bytes()
        index = (path.parent / archive.INDEX).read_bytes()
        plain = archive.stored_pack(pack)
    for secret in (NAME.encode(), b"zq-learner", last.encode(), b"Balance given after ID&V."):
        assert secret not in stored, secret  # without the centre's key the pack says nothing
        assert secret not in index and secret not in path.name.encode()
    with zipfile.ZipFile(io.BytesIO(plain)) as zf:  # with it, the whole signed pack
        assert any(last.encode() in zf.read(n) for n in zf.namelist() if n.endswith(".json"))
    for p in (path, path.parent / archive.INDEX, path.parent / archive.INDEX_SIGNATURE):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    cli = runner.invoke(args=["verify-pack", str(path)])
    assert cli.exit_code == 0 and "decrypted in memory" in cli.output and "OK:" in cli.output, cli.output
    app.config["FIELD_KEYS"] = Fernet.generate_key().decode()  # another centre's key cannot open it
    cli = runner.invoke(args=["verify-pack", str(path)])
    assert cli.exit_code == 1 and "cannot be decrypted" in cli.output and "Traceback" not in cli.output


def test_a_person_in_a_reset_cohort_can_still_be_exported_and_erased(app, client, people, login, make_user):
    make_user("learner2", queue=QUEUE)  # stays in the archive: its index is rewritten, not removed
    with app.app_context():
        result = reset_cohort("Test cohort", seed=99)
        run_dir = result.archive_dir
        [pack] = [p for p in result.packs if p.learner_username == "zq-learner"]
        pack_file = archive.pack_path(pack)
        subject = archive.subject_key("zq-learner")
    login("trainer1")
    resp = client.post("/trainer/archive/subject/export", data={"username": "ZQ-Learner "})
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    doc = json.loads(resp.data)
    assert doc["format"] == gdpr.ARCHIVE_FORMAT and doc["username"] == "zq-learner"
    [archived] = doc["archived_packs"]
    assert archived["documents"]["manifest.json"]["learner"]["name"] == NAME
    assert subject in (run_dir / archive.INDEX).read_text()

    resp = client.post(
        "/trainer/archive/subject/erase", data={"username": "zq-learner", "confirm": "nope"}, follow_redirects=True
    )
    assert "type the username again" in said(resp) and pack_file.exists()
    resp = client.post(
        "/trainer/archive/subject/erase",
        data={"username": "zq-learner", "confirm": "zq-learner"},
        follow_redirects=True,
    )
    assert "1 pack(s) deleted" in said(resp)
    assert not pack_file.exists()
    with app.app_context():
        index, problems = archive.read_index(run_dir)
        assert problems == [] and subject not in json.dumps(index)  # re-signed without them
        assert [archive.entry_name(e) for e in index["learners"]] == ["learner2"]
        assert db.session.execute(
            select(ledger.LEAVES.c.ref).where(
                ledger.LEAVES.c.ref == f"archived_pack:{pack.id}", ledger.LEAVES.c.kind == "purged"
            )
        ).first()
    # a second request for the erased person, export or erasure: a clear answer, no 500
    for url, data in (
        ("/trainer/archive/subject/export", {"username": "zq-learner"}),
        ("/trainer/archive/subject/erase", {"username": "zq-learner", "confirm": "zq-learner"}),
    ):
        resp = client.post(url, data=data, follow_redirects=True)
        assert resp.status_code == 200 and "holds nothing about 'zq-learner'" in said(resp)
    assert client.get("/trainer/archive").status_code == 200
    assert app.test_cli_runner().invoke(args=["verify-log"]).exit_code == 0


# --- retention --------------------------------------------------------------------------------------------------
def _age(app, days: int) -> None:
    """Make every archived pack ``days`` old; add an old throttle row and an old ended session."""
    with app.app_context(), write_transaction():
        for p in db.session.execute(select(ArchivedPack)).scalars():
            p.created_at = utcnow() - timedelta(days=days)
        db.session.add(LoginThrottle(key="user:someone", failures=3, window_start=utcnow() - timedelta(days=3)))
        user = db.session.execute(select(User).where(User.username == "trainer1")).scalar_one()
        db.session.add(
            UserSession(
                token_hash="0" * 64,
                user_id=user.id,
                created_at=utcnow() - timedelta(days=60),
                last_seen=utcnow() - timedelta(days=60),
                ended_at=utcnow() - timedelta(days=60),
            )
        )


def test_retention_runs_at_start_up_as_configured_then_and_is_a_ledger_entry(app, client, people):
    with app.app_context():
        reset_cohort("Test cohort", seed=99)
    _age(app, 40)
    app.config.update(ARCHIVE_RETENTION_DAYS=60, RETENTION_PURGE_HOURS=24)
    client.get("/auth/login")  # the worker's first request: the scheduled purge runs
    with app.app_context():
        assert db.session.execute(select(ArchivedPack)).first()  # 40 days old, kept 60: not due
        assert db.session.get(LoginThrottle, "user:someone") is None  # old throttle rows go
        assert not db.session.execute(select(UserSession).where(UserSession.token_hash == "0" * 64)).first()
    # the setting changed since archiving: applied at the next purge (retention is not frozen at archiving)
    app.config["ARCHIVE_RETENTION_DAYS"] = 30
    app.extensions["crm_retention"]["next"] = 0  # the next interval has come
    with app.app_context():
        stored_path = db.session.execute(select(ArchivedPack.path)).scalars().first()
    client.get("/auth/login")
    if not ON_POSTGRES:  # the purged row lives on in neither the database file nor its log
        assert stored_path.encode() not in database_files(app)
    with app.app_context():
        assert not db.session.execute(select(ArchivedPack)).first()
        leaves = db.session.execute(
            select(ledger.LEAVES.c.ref, ledger.LEAVES.c.kind).where(ledger.LEAVES.c.kind == "purged")
        ).all()
        assert any(ref.startswith("archived_pack:") for ref, _ in leaves)
        assert sum(ref.startswith("retention_purge:") for ref, _ in leaves) == 2  # one entry per purge
        reasons = db.session.execute(select(ledger.CHECKPOINTS.c.reason)).scalars().all()
        assert any("retention purge: 1 archived pack(s)" in r for r in reasons), reasons
    assert not list(Path(app.config["ARCHIVE_DIR"]).rglob("*.zip.enc"))
    assert app.test_cli_runner().invoke(args=["verify-log"]).exit_code == 0


def test_retention_purges_a_closed_cohort_s_live_evidence_and_the_cli_for_cron(app, people, runner):
    with app.app_context():
        with write_transaction():
            db.session.execute(select(Cohort)).scalars().first().status = "closed"
        report = retention.purge()
        assert report.cohorts == []  # still within its retention
        report = retention.purge(now=utcnow() + timedelta(days=archive.retention_days() + 1))
        assert report.cohorts == ["Test cohort"] and report.rows["contact"] == 1
        assert not db.session.execute(select(Contact).where(Contact.cohort_id == report_cohort_id())).first()
        assert db.session.get(User, people["learner"]) is None
        assert db.session.get(User, people["trainer"]) is not None
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0 and "Purged 0 expired pack(s)" in result.output
    assert runner.invoke(args=["verify-log"]).exit_code == 0


def report_cohort_id() -> int:
    return db.session.execute(select(Cohort.id).where(Cohort.name == "Test cohort")).scalar_one()


def test_a_retention_of_zero_days_is_refused_clearly_and_purges_nothing(app, client, people, runner, login):
    with app.app_context():
        reset_cohort("Test cohort", seed=99)
    _age(app, 4000)
    for bad in (0, -5, "soon"):
        app.config["ARCHIVE_RETENTION_DAYS"] = bad
        result = runner.invoke(args=["purge"])
        assert result.exit_code == 1 and "ARCHIVE_RETENTION_DAYS" in result.output, result.output
        assert "Traceback" not in result.output
    app.config["ARCHIVE_RETENTION_DAYS"] = 0
    login("trainer1")
    resp = client.post("/trainer/archive/purge", follow_redirects=True)
    assert resp.status_code == 200 and "at least 1 day" in said(resp)
    page = client.get("/trainer/archive").get_data(as_text=True)
    assert "Retention is not applied" in page
    app.config.update(RETENTION_PURGE_HOURS=24)
    assert client.get("/trainer/archive").status_code == 200  # the schedule logs it, the page still works
    with app.app_context():
        assert len(db.session.execute(select(ArchivedPack)).all()) == 1  # nothing purged


def test_a_purge_while_a_reset_runs_waits_for_the_lock_and_spares_the_unrecorded_archive(app, people, monkeypatch):
    real_write = reset_service.write_archive
    outcome = {}

    def purge_meanwhile(*args, **kwargs):
        run_dir, records = real_write(*args, **kwargs)

        def purge():
            with app.app_context():
                outcome["report"] = retention.purge(now=utcnow() + timedelta(days=archive.retention_days() + 1))

        t = threading.Thread(target=purge)
        t.start()
        t.join(30)
        outcome["files"] = sorted(p.name for p in run_dir.iterdir())
        return run_dir, records

    monkeypatch.setattr(reset_service, "write_archive", purge_meanwhile)
    with app.app_context():
        result = reset_cohort("Test cohort", seed=99)
        assert outcome["report"].packs == []  # nothing recorded yet: nothing of this reset purged
        assert archive.INDEX in outcome["files"] and len(result.packs) == 1
        assert all(archive.check_pack(p) == [] for p in result.packs)


def test_rotate_keys_re_encrypts_the_archive_so_the_old_key_can_go(app, people, runner, make_user):
    make_user("learner2", queue=QUEUE)
    with app.app_context():
        reset_cohort("Test cohort", seed=99)
    result = runner.invoke(args=["rotate-keys"])
    assert result.exit_code == 0 and "2 evidence pack(s) re-encrypted" in result.output, result.output
    newest = app.config["FIELD_KEYS"][0]
    app.config["FIELD_KEYS"] = newest  # the old key removed
    with app.app_context():
        runs = archive.archived_runs()
        assert [learner.status.problems for run in runs for learner in run.learners] == [[], []]
        assert sorted(learner.name for run in runs for learner in run.learners) == sorted(["learner2", NAME])
        [pack_file] = list(Path(app.config["ARCHIVE_DIR"]).rglob("*.zip.enc"))[:1]
        index, problems = archive.read_index(pack_file.parent)
        assert problems == [] and {archive.entry_name(e) for e in index["learners"]} == {"learner2", NAME}
    assert len(list(Path(app.config["ARCHIVE_DIR"]).rglob("*.zip.enc"))) == 2  # the old files are gone
    assert runner.invoke(args=["verify-log"]).exit_code == 0


def test_archive_requests_with_bad_usernames_get_clear_answers(app, client, people, login):
    login("trainer1")
    for username in ("", "   ", "x" * 500, "nobody-here", "<script>alert(1)</script>"):
        for url in ("/trainer/archive/subject/export", "/trainer/archive/subject/erase"):
            resp = client.post(url, data={"username": username, "confirm": username}, follow_redirects=True)
            assert resp.status_code == 200, (url, username)
            message = said(resp)
            assert "at most 80 characters" in message or "holds nothing" in message, message
    resp = client.post("/trainer/users/999999/export")
    assert resp.status_code == 405  # GET only
    assert client.get("/trainer/users/999999/export").status_code == 404
    assert client.post("/trainer/users/999999/erase", data={"confirm": "x"}).status_code == 404
