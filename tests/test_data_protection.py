"""Personal data encrypted at rest, card data masked, and a tamper-evident event log."""

import json
import multiprocessing
import sqlite3

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.pool import NullPool

from crm_sandbox.events.chain import verify_contact
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Customer, Event, Finding


@pytest.fixture
def played(app, client, make_user, login, contact_of):
    """A change-of-address contact played to close, with the DOB and a card number typed in chat."""
    uid = make_user("learner1", queue=["change-of-address", "balance-enquiry"])
    login("learner1")
    cid = contact_of(uid, "change-of-address")
    with app.app_context():
        c = db.session.get(Contact, cid).customer
        facts = {
            "dob": c.date_of_birth,
            "last_name": c.last_name,
            "email": c.email,
            "phone": c.phone,
            "postcode": c.postcode,
            "account": c.account_number,
            "customer_id": c.id,
            "first_name": c.first_name,
        }
    base = f"/learner/contacts/{cid}"
    client.post(f"{base}/open")
    client.post(f"{base}/search", data={"query": facts["last_name"]})
    client.post(f"{base}/customers/{facts['customer_id']}/view")
    client.post(
        f"{base}/verify", data={"customer_id": facts["customer_id"], "factor": "date_of_birth", "answer": facts["dob"]}
    )
    client.post(f"{base}/messages", data={"text": "Please read me the card: 4111 1111 1111 1111, CVV 737"})
    client.post(f"{base}/notes", data={"text": "Customer read out card 4111-1111-1111-1111 (CVV is 737)."})
    client.post(f"{base}/close", data={"outcome": "resolved", "resolved": "yes"})
    return {**facts, "contact_id": cid, "db": app.config["SQLALCHEMY_DATABASE_URI"]}


def raw_database(uri: str) -> bytes:
    """SQLite: the database file's bytes. PostgreSQL: every stored row of every table, as text."""
    if uri.startswith("sqlite:///"):
        path = uri.removeprefix("sqlite:///")
        con = sqlite3.connect(path)
        con.execute("PRAGMA wal_checkpoint(FULL)")
        con.close()
        with open(path, "rb") as fh:
            return fh.read()
    engine = create_engine(uri, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = [
                row
                for table in inspect(conn).get_table_names()
                for row in conn.execute(text(f'SELECT t::text FROM "{table}" t ORDER BY 1')).scalars()  # noqa: S608
            ]
        return "\n".join(rows).encode()
    finally:
        engine.dispose()


def test_the_raw_database_file_holds_no_customer_personal_data(played):
    raw = raw_database(played["db"])
    for key in ("first_name", "last_name", "dob", "email", "phone", "postcode", "account"):
        assert played[key].encode() not in raw, f"{key} found in clear in the database file"
    assert b"4111111111111111" not in raw and b"4111 1111 1111 1111" not in raw


def test_card_data_is_stored_masked_and_the_finding_is_kept(app, played):
    with app.app_context():
        events = db.session.execute(select(Event).where(Event.contact_id == played["contact_id"])).scalars().all()
        texts = [e.data.get("text", "") for e in events if e.type in ("message.sent", "note.added")]
        assert any("411111******1111" in t for t in texts)
        assert not any("4111 1111 1111 1111" in t or "4111-1111-1111-1111" in t or "737" in t for t in texts)
        masked = [e.data["card_data"] for e in events if "card_data" in e.data]
        assert {"kind": "card_number", "masked": "411111******1111"} in masked[0]
        rules = (
            db.session.execute(select(Finding.rule).where(Finding.contact_id == played["contact_id"], Finding.active))
            .scalars()
            .all()
        )
        assert "payment-card-data" in rules


def test_rotate_keys_re_encrypts_everything_and_the_old_key_can_go(app, runner, played, tmp_path):
    from crm_sandbox.models.personal import field_keys

    with app.app_context():
        old_keys = field_keys()
    instance = tmp_path / "instance"
    raw_before = raw_database(played["db"])
    result = runner.invoke(args=["rotate-keys"])
    assert result.exit_code == 0, result.output
    keys = (instance / "field_keys").read_text().split()
    assert keys[1:] == old_keys and (instance / "field_keys").stat().st_mode & 0o777 == 0o600
    assert raw_database(played["db"]) != raw_before
    app.config["FIELD_KEYS"] = [keys[0]]  # the old key removed: everything still reads
    with app.app_context():
        customer = db.session.get(Customer, played["customer_id"])
        assert customer.last_name == played["last_name"]
        assert all(isinstance(e.data, dict) for e in db.session.execute(select(Event)).scalars())
        assert verify_contact(played["contact_id"]).ok


@pytest.mark.parametrize(
    "value, index",
    [
        ("Smith", "b2ef2a69ae4a5f6e37db2167697627db"),
        (" LS1 4AP", "87e73c8a313f70e67d5ccc5fb57bbe59"),
        ("ls14ap", "87e73c8a313f70e67d5ccc5fb57bbe59"),
        ("O'Brien", "15e54f91873fc3560faab4d2a204c6b2"),
        ("Zoë", "5de531229b56544a5fbbcfdf69c0c606"),  # letters outside a-z are dropped: "zo"
        ("07700 900123", "8c2e18f771516cc0f5e27395e173bb6e"),
    ],
)
def test_blind_index_values_never_change(value, index):
    """Stored indexes must keep matching: a changed index would break search on every stored customer."""
    from crm_sandbox.models.personal import blind_index

    assert blind_index(value, b"known-key") == index


def test_search_still_works_by_blind_index(app, client, played):
    html = client.get(f"/learner/contacts/{played['contact_id']}").get_data(as_text=True)
    assert played["last_name"] in html  # the listed results, read from the encrypted event by id


def sql(uri, statement, *args):
    """Tamper with the database behind the app's back (``?`` placeholders), on its own connection."""
    if uri.startswith("sqlite:///"):
        con = sqlite3.connect(uri.removeprefix("sqlite:///"))
        con.execute(statement, args)
        con.commit()
        con.close()
        return
    engine = create_engine(uri, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(statement.replace("?", "%s"), args)
    finally:
        engine.dispose()


def status_after(app, played):
    with app.app_context():
        return verify_contact(played["contact_id"])


def test_an_intact_log_verifies(app, runner, played):
    assert status_after(app, played).ok and status_after(app, played).sealed
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 0 and result.output.startswith("OK:")


def test_an_edited_event_is_caught(app, runner, played):
    sql(played["db"], "UPDATE event SET actor = 'system' WHERE contact_id = ? AND seq = 4", played["contact_id"])
    status = status_after(app, played)
    assert not status.ok and "#4" in status.problem
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 1 and f"contact {played['contact_id']}: event #4" in result.output


def test_an_event_with_re_encrypted_tampered_data_is_caught(app, played):
    from crm_sandbox.models.personal import encrypt

    with app.app_context():
        token = encrypt(json.dumps({"query": "someone else"}))
    sql(played["db"], "UPDATE event SET data = ? WHERE contact_id = ? AND seq = 3", token, played["contact_id"])
    assert "#3" in status_after(app, played).problem


def test_a_deleted_event_is_caught(app, played):
    sql(played["db"], "DELETE FROM event WHERE contact_id = ? AND seq = 5", played["contact_id"])
    assert "#5 is missing" in status_after(app, played).problem


def test_reordered_events_are_caught(app, played):
    cid = played["contact_id"]
    sql(played["db"], "UPDATE event SET seq = -1 WHERE contact_id = ? AND seq = 3", cid)
    sql(played["db"], "UPDATE event SET seq = 3 WHERE contact_id = ? AND seq = 4", cid)
    sql(played["db"], "UPDATE event SET seq = 4 WHERE contact_id = ? AND seq = -1", cid)
    assert "#3" in status_after(app, played).problem


def test_a_truncated_log_is_caught_by_the_signed_head(app, played):
    with app.app_context():
        last = (
            db.session.execute(
                select(Event.seq).where(Event.contact_id == played["contact_id"]).order_by(Event.seq.desc())
            )
            .scalars()
            .first()
        )
    sql(played["db"], "DELETE FROM event WHERE contact_id = ? AND seq >= ?", played["contact_id"], last - 1)
    problem = status_after(app, played).problem
    assert "truncated" in problem


def test_the_review_page_shows_the_chain_status(app, client, played, make_user, login):
    make_user("assessor1", "assessor")
    client.post("/auth/logout")
    login("assessor1")
    assert "Event log intact" in client.get(f"/assessor/contacts/{played['contact_id']}/review").get_data(as_text=True)
    sql(played["db"], "DELETE FROM event WHERE contact_id = ? AND seq = 2", played["contact_id"])
    assert "Event log broken" in client.get(f"/assessor/contacts/{played['contact_id']}/review").get_data(as_text=True)


def _append_many(db_uri: str, instance: str, keys: dict, contact_id: int, count: int, errors) -> None:
    """One worker process: ``count`` chained appends, each in its own write transaction."""
    from crm_sandbox import create_app
    from crm_sandbox.database import write_transaction
    from crm_sandbox.events.append import append_event, lock_contact

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_uri, "TESTING": True, **keys}, instance_path=instance)
    with app.app_context():
        for i in range(count):
            try:
                with write_transaction():
                    contact = lock_contact(contact_id)
                    # the chain and the lock under load, not the rules: no findings refresh
                    append_event(contact, "observation.added", {"text": f"load {i}", "by": "assessor1"}, actor="system")
            except Exception as err:  # counted, then asserted to be zero
                errors.put(repr(err))


def test_four_processes_appending_at_once_leave_an_unbroken_chain(app, played):
    keys = {k: app.config[k] for k in ("FIELD_KEYS", "CHAIN_KEY", "BLIND_INDEX_KEY", "SECRET_KEY")}
    ctx = multiprocessing.get_context("spawn")
    errors = ctx.Queue()
    workers = [
        ctx.Process(
            target=_append_many,
            args=(app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path, keys, played["contact_id"], 250, errors),
        )
        for _ in range(4)
    ]
    [w.start() for w in workers]
    [w.join(timeout=300) for w in workers]
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == []
    with app.app_context():
        status = verify_contact(played["contact_id"])
        n = db.session.execute(select(Event).where(Event.contact_id == played["contact_id"])).scalars().all()
    assert status.problem is None or "truncated" not in status.problem
    # Appends after the close seal are chained on; the chain itself must be whole.
    assert status.ok, status.problem
    assert len(n) >= 1000
