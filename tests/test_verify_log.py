"""verify-log reads the keys once per run, not once per contact, and still finds a broken chain among many."""

from sqlalchemy import text

from crm_sandbox.crypto import signing
from crm_sandbox.events import chain
from crm_sandbox.extensions import db
from tests.reporting import reviewed  # noqa: F401  (fixture)


def test_the_public_key_is_derived_once_for_every_contact(app, reviewed, monkeypatch):  # noqa: F811
    calls = []
    real = signing.public_key_pem

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(signing, "public_key_pem", counted)
    with app.app_context():
        statuses = chain.verify_log(batch=1)  # a batch per contact: still one key
        assert len(statuses) >= 2 and all(s.ok for s in statuses)
        assert any(s.sealed for s in statuses)
    assert len(calls) == 1


def test_a_broken_chain_is_named_whatever_the_batch(app, reviewed):  # noqa: F811
    cid = reviewed["contact_id"]
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE event SET actor = 'assessor' WHERE contact_id = :c AND seq = 2"), {"c": cid})
        for batch in (1, 200):
            broken = [s for s in chain.verify_log(batch=batch) if not s.ok]
            assert [s.contact_id for s in broken] == [cid]
            assert "event #2" in broken[0].problem
