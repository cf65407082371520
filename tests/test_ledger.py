"""The ledger (issue 15): coverage by default, the tamper matrix, erasure/reset/purge verifying as such,
checkpoints (file, note, proofs) and keys made at start-up. Runs on SQLite and on PostgreSQL."""

import json
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, text

from crm_sandbox import ledger
from crm_sandbox.admin.gdpr import erase_learner
from crm_sandbox.admin.reset import reset_cohort
from crm_sandbox.crypto import merkle, signing
from crm_sandbox.database import write_transaction
from crm_sandbox.events import registry
from crm_sandbox.extensions import db
from crm_sandbox.ledger import format
from crm_sandbox.ledger.coverage import EVIDENTIAL, EXEMPT, EXEMPT_EVENT_TYPES
from crm_sandbox.models import (
    AccountStanding,
    Base,
    Cohort,
    Contact,
    Customer,
    Event,
    Finding,
    FindingDecision,
    LedgerLeaf,
    LedgerSalt,
    User,
    utcnow,
)
from crm_sandbox.operations import review as review_service
from crm_sandbox.operations.quality.countersign import countersign
from crm_sandbox.operations.quality.verdicts import record_verdict
from tests.conftest import dispose_engines, make_test_app
from tests.reporting import decide_and_sign, reviewed  # noqa: F401  (fixture)


# --- coverage by default -------------------------------------------------------------------------------
def test_every_table_is_declared_evidential_or_exempt_with_a_reason():
    tables = set(Base.metadata.tables)
    assert tables - set(EVIDENTIAL) - set(EXEMPT) == set(), "declare it in ledger/coverage.py"
    assert set(EVIDENTIAL) & set(EXEMPT) == set()
    assert all(reason.strip() for reason in EXEMPT.values())
    assert set(EVIDENTIAL) | set(EXEMPT) <= tables  # nothing stale


@pytest.mark.parametrize("table", sorted(EVIDENTIAL))
def test_every_column_of_an_evidential_table_is_covered_or_exempt_with_a_reason(table):
    coverage = EVIDENTIAL[table]
    columns = {c.name for c in Base.metadata.tables[table].columns}
    assert columns == set(coverage.columns) | set(coverage.exempt)
    assert not set(coverage.columns) & set(coverage.exempt)
    assert all(reason.strip() for reason in coverage.exempt.values())


def test_every_event_type_is_covered():
    declared = set(registry.EVENTS) if hasattr(registry, "EVENTS") else set()
    declared |= {v for k, v in vars(registry).items() if k.isupper() and isinstance(v, str) and "." in v}
    assert declared, "no event types found in the registry"
    assert "event" in EVIDENTIAL  # every event row, whatever its type, is a leaf
    assert set(EXEMPT_EVENT_TYPES) <= declared and all(r.strip() for r in EXEMPT_EVENT_TYPES.values())


# --- set-up: a played, signed-off contact, an open one, an assessor's finding, an observation after close
def sql(app, statement: str, **params) -> None:
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text(statement), params)


def one(app, statement: str, **params):
    with app.app_context(), db.engine.connect() as conn:
        return conn.execute(text(statement), params).scalar()


def verify_log(app):
    return app.test_cli_runner().invoke(args=["verify-log"])


@pytest.fixture
def world(app, client, reviewed, make_user, contact_of, login):  # noqa: F811
    cid = reviewed["contact_id"]
    with app.app_context():
        assessor = db.session.execute(select(User).where(User.username == "assessor1")).scalar_one()
        contact = db.session.get(Contact, cid)
        review_service.reopen(contact, assessor, "Adding what I saw after the call.", True)
        review_service.observe(contact, assessor, "Checked the knowledge base after the call.")
        seqs = [e.seq for e in contact.events]
        review_service.add_finding(contact, assessor, "own-check", "Did not summarise the change.", seqs[:1])
        db.session.add(AccountStanding(user_id=assessor.id, assessor_status="trainee"))  # needs countersigning
        db.session.commit()
        decide_and_sign(contact, assessor)
    senior, iqa = make_user("senior1", "assessor"), make_user("iqa1", "iqa")
    with app.app_context():
        contact = db.session.get(Contact, cid)
        countersign(contact, db.session.get(User, senior), "Agreed.")
        record_verdict(contact, db.session.get(User, iqa), "agree", "")
    login("learner1")
    other = contact_of(reviewed["learner_id"], "balance-enquiry")
    client.post(f"/learner/contacts/{other}/open")
    client.post(f"/learner/contacts/{other}/messages", data={"text": "Hello, how can I help?"})
    client.post(f"/learner/contacts/{other}/messages", data={"text": "Could you tell me your postcode, please?"})
    second = make_user("learner2", queue=["balance-enquiry"])
    assert app.test_cli_runner().invoke(args=["checkpoint"]).exit_code == 0
    ok = verify_log(app)
    assert ok.exit_code == 0 and ok.output.startswith("OK: "), ok.output
    with app.app_context():
        closed_at = one(app, "SELECT seq FROM event WHERE contact_id = :c AND type = 'contact.closed'", c=cid)
        last = one(app, "SELECT max(seq) FROM event WHERE contact_id = :c", c=cid)
        open_last = one(app, "SELECT max(seq) FROM event WHERE contact_id = :c", c=other)
        return {
            "cid": cid,
            "open": other,
            "closed_seq": closed_at,
            "last": last,
            "open_last": open_last,
            "learner2": second,
            "decision": one(app, "SELECT min(id) FROM finding_decision"),
            "own_finding": one(app, "SELECT id FROM finding WHERE source = 'assessor' AND key LIKE 'assessor:%'"),
            "seal": one(app, "SELECT id FROM chain_seal WHERE contact_id = :c", c=cid),
            "learner1": reviewed["learner_id"],
            "countersignature": one(app, "SELECT id FROM countersignature WHERE contact_id = :c", c=cid),
            "verdict": one(app, "SELECT id FROM iqa_verdict WHERE contact_id = :c", c=cid),
        }


def delete_contact(app, cid: int) -> None:
    for statement in (
        "DELETE FROM countersignature WHERE contact_id = :c",
        "DELETE FROM iqa_verdict WHERE contact_id = :c",
        "DELETE FROM finding_decision WHERE finding_id IN (SELECT id FROM finding WHERE contact_id = :c)",
        "DELETE FROM finding WHERE contact_id = :c",
        "DELETE FROM criterion_judgement WHERE contact_id = :c",
        "DELETE FROM assessment WHERE contact_id = :c",
        "DELETE FROM chain_seal WHERE contact_id = :c",
        "DELETE FROM event WHERE contact_id = :c",
        "DELETE FROM contact WHERE id = :c",
    ):
        sql(app, statement, c=cid)


def reorder(app, w) -> None:
    sql(app, "UPDATE event SET seq = 1000 WHERE contact_id = :c AND seq = 2", c=w["cid"])
    sql(app, "UPDATE event SET seq = 2 WHERE contact_id = :c AND seq = 3", c=w["cid"])
    sql(app, "UPDATE event SET seq = 3 WHERE contact_id = :c AND seq = 1000", c=w["cid"])


def truncate_open_with_leaves(app, w) -> None:
    ref = f"event:{w['open']}:{w['open_last']}"
    sql(app, "DELETE FROM event WHERE contact_id = :c AND seq = :s", c=w["open"], s=w["open_last"])
    sql(app, "DELETE FROM ledger_leaf WHERE ref = :r", r=ref)


def rollback_database_alone(app, w) -> None:
    """What restoring an earlier copy of the database does, the checkpoint file kept: the work and the
    checkpoint made after the copy are gone from the database only."""
    with app.app_context():
        high_leaf = one(app, "SELECT max(id) FROM ledger_leaf")
        high_checkpoint = one(app, "SELECT max(id) FROM ledger_checkpoint")
        high_event = one(app, "SELECT max(id) FROM event")
        assessor = db.session.execute(select(User).where(User.username == "assessor1")).scalar_one()
        review_service.observe(db.session.get(Contact, w["open"]), assessor, "A later observation.")
    assert app.test_cli_runner().invoke(args=["checkpoint"]).exit_code == 0
    sql(app, "DELETE FROM event WHERE id > :i", i=high_event)
    sql(app, "DELETE FROM ledger_leaf WHERE id > :i", i=high_leaf)
    sql(app, "DELETE FROM ledger_checkpoint WHERE id > :i", i=high_checkpoint)


def rollback_then_write_on(app, w) -> None:
    """A restored backup left running: the database rolled back alone, then the app writes and checkpoints
    past the file's newest size. The file's stale checkpoint is not in the database's log."""
    rollback_database_alone(app, w)
    with app.app_context():
        assessor = db.session.execute(select(User).where(User.username == "assessor1")).scalar_one()
        for text_ in ("One.", "Two.", "Three.", "Four."):
            review_service.observe(db.session.get(Contact, w["open"]), assessor, text_)
        ledger.checkpoint_now("after the restore")


def damage_frontier(app, w) -> None:
    sql(
        app,
        "UPDATE ledger_checkpoint SET frontier = (SELECT frontier FROM ledger_checkpoint WHERE id = "
        "(SELECT min(id) FROM ledger_checkpoint)) WHERE id = (SELECT max(id) FROM ledger_checkpoint)",
    )


def forge_leaf(app, w) -> None:
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(
            ledger.LEAVES.insert(),
            [
                {
                    "ref": f"contact:{w['cid']}",
                    "version": 99,
                    "kind": "changed",
                    "commitment": "ab" * 32,
                    "at": ledger.utcnow(),
                    "mac": "00" * 32,
                    "fields": {},
                }
            ],
        )


def copy_event_data(app, w) -> None:
    token = one(app, "SELECT data FROM event WHERE contact_id = :c AND seq = 3", c=w["cid"])
    sql(app, "UPDATE event SET data = :d WHERE contact_id = :c AND seq = 2", d=token, c=w["cid"])


# (what to do, what verify-log must say). Each runs on its own copy of the world.
MATRIX = {
    "contact moved to another learner": (
        lambda app, w: sql(app, "UPDATE contact SET learner_id = :l WHERE id = :c", l=w["learner2"], c=w["cid"]),
        "contact {cid}: learner changed outside the app",
    ),
    "contact's customer changed": (
        lambda app, w: sql(app, "UPDATE contact SET customer_id = customer_id + 1 WHERE id = :c", c=w["cid"]),
        "contact {cid}: customer changed outside the app",
    ),
    "status closed to live": (
        lambda app, w: sql(app, "UPDATE contact SET status = 'live' WHERE id = :c", c=w["cid"]),
        "contact {cid}: status changed outside the app",
    ),
    "events after close deleted": (
        lambda app, w: sql(app, "DELETE FROM event WHERE contact_id = :c AND seq > :s", c=w["cid"], s=w["closed_seq"]),
        "event {cid}#{last} deleted outside the app",
    ),
    "seal deleted, then events truncated": (
        lambda app, w: (
            sql(app, "DELETE FROM chain_seal WHERE contact_id = :c", c=w["cid"]),
            sql(app, "DELETE FROM event WHERE contact_id = :c AND seq > 3", c=w["cid"]),
        ),
        "signed head {seal} deleted outside the app",
    ),
    "every event of a contact deleted": (
        lambda app, w: sql(app, "DELETE FROM event WHERE contact_id = :c", c=w["cid"]),
        "event {cid}#1 deleted outside the app",
    ),
    "whole contact deleted": (lambda app, w: delete_contact(app, w["cid"]), "contact {cid} deleted outside the app"),
    "sign-off outcome changed": (
        lambda app, w: sql(app, "UPDATE assessment SET outcome = 'competent' WHERE contact_id = :c", c=w["cid"]),
        "assessment version 1 for contact {cid}: outcome changed outside the app",
    ),
    "sign-off feedback changed": (
        lambda app, w: sql(app, "UPDATE assessment SET feedback = 'Excellent.' WHERE contact_id = :c", c=w["cid"]),
        "assessment version 1 for contact {cid}: feedback changed outside the app",
    ),
    "finding decision deleted": (
        lambda app, w: sql(app, "DELETE FROM finding_decision WHERE id = :i", i=w["decision"]),
        "finding decision {decision} deleted outside the app",
    ),
    "finding decision changed": (
        lambda app, w: sql(app, "UPDATE finding_decision SET decision = 'dismissed' WHERE id = :i", i=w["decision"]),
        "finding decision {decision}: decision changed outside the app",
    ),
    "assessor's own finding deleted": (
        lambda app, w: (
            sql(app, "DELETE FROM finding_decision WHERE finding_id = :i", i=w["own_finding"]),
            sql(app, "DELETE FROM finding WHERE id = :i", i=w["own_finding"]),
        ),
        "finding {own_finding} deleted outside the app",
    ),
    "criterion judgement inserted": (
        lambda app, w: sql(
            app,
            "INSERT INTO criterion_judgement (contact_id, criterion_id, met, comment, assessor_id, at) "
            "SELECT contact_id, criterion_id, :t, 'ok', assessor_id, at FROM criterion_judgement "
            "WHERE contact_id = :c ORDER BY id LIMIT 1",
            c=w["cid"],
            t=True,
        ),
        "record inserted outside the app: criterion judgement",
    ),
    "IQA verdict changed": (
        lambda app, w: sql(app, "UPDATE iqa_verdict SET verdict = 'disagree' WHERE id = :i", i=w["verdict"]),
        "IQA verdict {verdict}: verdict changed outside the app",
    ),
    "IQA verdict deleted": (
        lambda app, w: sql(app, "DELETE FROM iqa_verdict WHERE id = :i", i=w["verdict"]),
        "IQA verdict {verdict} deleted outside the app",
    ),
    "countersignature deleted": (
        lambda app, w: sql(app, "DELETE FROM countersignature WHERE id = :i", i=w["countersignature"]),
        "countersignature {countersignature} deleted outside the app",
    ),
    "countersignature given to another signer": (
        lambda app, w: sql(
            app,
            "UPDATE countersignature SET countersigned_by = :u WHERE id = :i",
            u=w["learner1"],
            i=w["countersignature"],
        ),
        "countersignature {countersignature}: countersigner changed outside the app",
    ),
    "account's role changed": (
        lambda app, w: sql(app, "UPDATE \"user\" SET role = 'assessor' WHERE id = :u", u=w["learner1"]),
        "account {learner1}: role changed outside the app",
    ),
    "tail of an open contact truncated": (
        lambda app, w: sql(app, "DELETE FROM event WHERE contact_id = :c AND seq = :s", c=w["open"], s=w["open_last"]),
        "event {open}#{open_last} deleted outside the app",
    ),
    "tail of an open contact truncated with its leaves": (truncate_open_with_leaves, "log rewritten (checkpoint"),
    "event data edited": (copy_event_data, "event {cid}#2: data changed outside the app"),
    "event time edited": (
        lambda app, w: sql(
            app, "UPDATE event SET at = :t WHERE contact_id = :c AND seq = 2", t="2020-01-01", c=w["cid"]
        ),
        "event {cid}#2: at changed outside the app",
    ),
    "event actor edited": (
        lambda app, w: sql(app, "UPDATE event SET actor = 'assessor' WHERE contact_id = :c AND seq = 2", c=w["cid"]),
        "event {cid}#2: actor changed outside the app",
    ),
    "event type edited": (
        lambda app, w: sql(app, "UPDATE event SET type = 'note.added' WHERE contact_id = :c AND seq = 2", c=w["cid"]),
        "event {cid}#2: type changed outside the app",
    ),
    "event MAC edited": (
        lambda app, w: sql(app, "UPDATE event SET mac = :m WHERE contact_id = :c AND seq = 2", m="0" * 64, c=w["cid"]),
        "event {cid}#2: mac changed outside the app",
    ),
    "event in the middle deleted": (
        lambda app, w: sql(app, "DELETE FROM event WHERE contact_id = :c AND seq = 2", c=w["cid"]),
        "event {cid}#2 deleted outside the app",
    ),
    "events reordered": (reorder, "event {cid}#2: "),
    "event moved to another contact": (
        lambda app, w: sql(
            app,
            "UPDATE event SET contact_id = :o, seq = 100 WHERE contact_id = :c AND seq = 2",
            o=w["open"],
            c=w["cid"],
        ),
        "record inserted outside the app: event {open}#100",
    ),
    "database alone rolled back to an earlier copy": (
        rollback_database_alone,
        "checkpoint file is ahead of the database: the database was rolled back or truncated",
    ),
    "leaf forged": (forge_leaf, "forged (bad MAC)"),
    "database rolled back alone, then written on past the file": (
        rollback_then_write_on,
        "is not in the database's log: the database was rolled back and written on since",
    ),
    "checkpoint frontier edited": (damage_frontier, "its stored frontier was changed outside the app"),
    "customer record swapped for another's": (
        lambda app, w: sql(
            app,
            "UPDATE customer SET personal = (SELECT personal FROM customer WHERE id <> :c ORDER BY id LIMIT 1) "
            "WHERE id = :c",
            c=one(app, "SELECT customer_id FROM contact WHERE id = :i", i=w["cid"]),
        ),
        "customer record",
    ),
}


@pytest.mark.parametrize("manipulation", MATRIX, ids=list(MATRIX))
def test_tamper_matrix_every_manipulation_is_detected_and_named(app, world, manipulation):
    tamper, expected = MATRIX[manipulation]
    tamper(app, world)
    result = verify_log(app)
    assert result.exit_code == 1, result.output
    assert expected.format(**world) in result.output, result.output
    assert "Traceback" not in result.output


def close_open_contact(client, w) -> None:
    client.post(f"/learner/contacts/{w['open']}/close", data={"outcome": "resolved", "resolved": "yes"})


def test_erasure_and_reset_verify_as_erased_and_archived(app, client, world):
    with app.app_context():
        erase_learner(world["learner2"], "learner2")
    result = verify_log(app)
    assert result.exit_code == 0, result.output
    with app.app_context():
        kinds = db.session.execute(
            select(ledger.LEAVES.c.kind).where(ledger.LEAVES.c.ref == f"user:{world['learner2']}")
        ).scalars()
        assert "erased" in list(kinds)
        salt = db.session.execute(
            select(ledger.SALTS.c.destroyed_at).where(ledger.SALTS.c.ref == f"user:{world['learner2']}")
        ).scalar()
        assert salt is not None
    close_open_contact(client, world)
    with app.app_context():
        reset_cohort("Test cohort", seed=99)
    result = verify_log(app)
    assert result.exit_code == 0, result.output
    assert "archived" in result.output
    with app.app_context():
        archived = db.session.execute(
            select(ledger.LEAVES.c.ref).where(ledger.LEAVES.c.kind == "archived", ledger.LEAVES.c.ref.like("event:%"))
        ).scalars()
        assert f"event:{world['cid']}:1" in set(archived)


def test_purge_is_an_entry_not_a_deletion(app, client, world):
    close_open_contact(client, world)
    with app.app_context():
        reset_cohort("Test cohort", seed=99)
        from crm_sandbox.admin import archive
        from crm_sandbox.models import ArchivedPack

        with write_transaction():
            for pack in db.session.execute(select(ArchivedPack)).scalars():
                pack.created_at = ledger.utcnow() - timedelta(days=4000)  # retention counts from archiving
        assert archive.purge_expired()
        assert db.session.execute(select(ledger.LEAVES.c.ref).where(ledger.LEAVES.c.kind == "purged")).first(), (
            "purge recorded"
        )
    result = verify_log(app)
    assert result.exit_code == 0, result.output


# --- checkpoints, notes and proofs ---------------------------------------------------------------------
def test_checkpoints_are_signed_notes_on_file_with_proofs_a_verifier_checks_offline(app, world):
    runner = app.test_cli_runner()
    latest = runner.invoke(args=["latest-checkpoint"])
    assert latest.exit_code == 0 and latest.output.startswith("crm-sandbox/ledger@1\n")
    with app.app_context():
        public = signing.public_key_pem()
        head = ledger.parse_note(latest.output, public)
        assert head == ledger.parse_note(ledger.checkpoint_file().read_text().splitlines()[-1], public)
        with pytest.raises(ledger.LedgerFormatError):
            ledger.parse_note(latest.output.replace("root ", "root 0"), public)
        refs = [f"contact:{world['cid']}", f"event:{world['cid']}:1", f"assessment:{world['cid']}:1"]
        proofs = ledger.inclusion(refs, ledger.latest_checkpoint())
        first = ledger.latest_checkpoint()
    for ref in refs:
        assert format.verify_included(proofs[ref], head), ref
        forged = dict(proofs[ref], content={**proofs[ref]["content"], "id": 999999})
        assert not format.verify_included(forged, head)
    # a later checkpoint extends this one, provably
    with app.app_context():
        assessor = db.session.execute(select(User).where(User.username == "assessor1")).scalar_one()
        review_service.observe(db.session.get(Contact, world["open"]), assessor, "Later.")
        later = ledger.checkpoint_now("test")
        assert later.size > first.size
        proof = ledger.consistency(first.size, later)
    assert format.verify_consistent(first, later, proof)
    assert not format.verify_consistent(first, later, proof[:-1] or ["00" * 32])


def test_proofs_match_the_reference_merkle_implementation(app, world):
    with app.app_context():
        head = ledger.latest_checkpoint()
        rows = ledger._sequenced(db.session(), head.size)
        hashes = [merkle.leaf_hash(ledger._leaf_data(r)) for r in rows]
        tree = ledger._Tree(hashes)
        for i in range(0, len(hashes), max(1, len(hashes) // 7)):
            assert tree.proof(i, 0, len(hashes)) == merkle.inclusion_proof(i, hashes)
        assert merkle.root(hashes).hex() == head.root


def test_pending_leaves_older_than_the_interval_are_checkpointed_by_the_next_write(app, world, monkeypatch):
    with app.app_context():
        before = ledger.latest_checkpoint().size
        monkeypatch.setitem(app.config, "CHECKPOINT_INTERVAL", 1)
        monkeypatch.setattr(ledger, "_next_due_check", 0.0)
        assessor = db.session.execute(select(User).where(User.username == "assessor1")).scalar_one()
        review_service.observe(db.session.get(Contact, world["open"]), assessor, "One.")
        sql(app, 'UPDATE ledger_leaf SET at = :t WHERE "index" IS NULL', t="2000-01-01 00:00:00")
        monkeypatch.setattr(ledger, "_next_due_check", 0.0)
        review_service.observe(db.session.get(Contact, world["open"]), assessor, "Two.")
        assert ledger.latest_checkpoint().size > before
    # the leaf whose time we moved no longer matches its MAC: verify-log names it
    assert "forged (bad MAC)" in verify_log(app).output


def test_a_forged_pending_leaf_is_refused_at_checkpoint(app, world):
    forge_leaf(app, world)
    with app.app_context():
        ledger.checkpoint_now("test")
        assert one(app, 'SELECT count(*) FROM ledger_leaf WHERE version = 99 AND "index" IS NULL') == 1


# --- keys at bootstrap ---------------------------------------------------------------------------------
def test_bootstrap_creates_every_key_and_a_copied_instance_signs_heads_the_other_verifies(tmp_path, database_uri):
    instance = tmp_path / "a"
    first = make_test_app(database_uri("a.sqlite"), instance)
    try:
        assert not (instance / signing.KEY_FILE).exists()  # an app alone makes no key (a pack checker needs none)
        result = first.test_cli_runner().invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        for name in ("signing_key.pem", "chain_key"):
            assert (instance / name).exists(), name
        copy = tmp_path / "b"
        shutil.copytree(instance, copy)
        second = make_test_app(first.config["SQLALCHEMY_DATABASE_URI"], copy)
        try:
            with second.app_context():
                assert second.config["CHAIN_KEY"] == first.config["CHAIN_KEY"]
                with write_transaction():
                    db.session.add(Cohort(name="Made on server b", policy={}))
                note = ledger.checkpoint_now("from server b").note()
            with first.app_context():
                assert ledger.parse_note(note, signing.public_key_pem()).reason == "from server b"
            assert first.test_cli_runner().invoke(args=["verify-log"]).exit_code == 0
        finally:
            dispose_engines(second)
    finally:
        dispose_engines(first)


def test_the_ledger_tables_are_in_the_database(app):
    with app.app_context(), db.engine.connect() as conn:
        assert {"ledger_leaf", "ledger_checkpoint", "ledger_salt"} <= set(inspect(conn).get_table_names())


def test_an_append_writes_one_leaf(app, world):
    with app.app_context():
        before = one(app, "SELECT count(*) FROM ledger_leaf")
        assessor = db.session.execute(select(User).where(User.username == "assessor1")).scalar_one()
        review_service.observe(db.session.get(Contact, world["open"]), assessor, "Counting.")
        event = (
            db.session.execute(select(Event).where(Event.contact_id == world["open"]).order_by(Event.seq.desc()))
            .scalars()
            .first()
        )
        refs = (
            db.session.execute(
                select(ledger.LEAVES.c.ref).where(ledger.LEAVES.c.id > 0).order_by(ledger.LEAVES.c.id.desc()).limit(3)
            )
            .scalars()
            .all()
        )
    added = one(app, "SELECT count(*) FROM ledger_leaf") - before
    assert f"event:{world['open']}:{event.seq}" in refs
    assert added <= 3  # the event, and the findings the rules refreshed (if any changed)
    assert Finding and FindingDecision  # imported for the matrix's tables


def test_canonical_is_sorted_compact_json():
    value = {"b": 'é\n"', "a": [1, None, True, 1.5, "\u2028"], "c": {"z": 1, "y": ""}}
    for v in (value, "Sandra", "", 0, 12, None, False, 2.5, []):
        assert format.canonical(v) == json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_leaves_written_in_bulk_read_back_as_written(app, world):
    """Leaves and salts go in with the driver's executemany in their stored form: the ORM reads them back
    as the values they were made from (times, the fields' JSON, the encrypted salt)."""
    with app.app_context(), write_transaction():
        customer = db.session.execute(select(Customer).limit(1)).scalar_one()
        content = {c: getattr(customer, c) for c in EVIDENTIAL["customer"].columns}
        ledger.write_leaves(db.session(), [ledger.Entry("customer:test", "subject:test", format.CHANGED, content)])
    with app.app_context():
        leaf = db.session.execute(select(LedgerLeaf).where(LedgerLeaf.ref == "customer:test")).scalar_one()
        salt = db.session.execute(select(LedgerSalt.salt).where(LedgerSalt.ref == "subject:test")).scalar_one()
        assert leaf.at.tzinfo is not None and abs((utcnow() - leaf.at).total_seconds()) < 60
        assert leaf.fields == format.field_hashes(bytes.fromhex(salt), content)
        assert leaf.commitment == format.commitment_of_hashes(leaf.fields)
        data = format.leaf_bytes(leaf.ref, leaf.version, leaf.kind, leaf.commitment, leaf.at)
        assert leaf.mac == format.leaf_mac(ledger.ledger_key(), data)
