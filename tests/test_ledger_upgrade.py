"""Upgrading a database of today's release (before the ledger): a contact whose chain fails is marked
tampered before upgrade, everything else attested at upgrade; today's packs still verify."""

import pytest
from sqlalchemy import text

from crm_sandbox.extensions import db
from tests.conftest import dispose_engines, make_test_app
from tests.reporting import reviewed  # noqa: F401  (fixture)

BEFORE_LEDGER = "0005_customer_owner"


@pytest.fixture
def app(tmp_path, database_uri):
    """An app on a database at today's release's schema (no ledger tables)."""
    from crm_sandbox.schema import upgrade_database

    app = make_test_app(database_uri("test.sqlite"), tmp_path / "instance")
    with app.app_context():
        upgrade_database(BEFORE_LEDGER)
    yield app
    dispose_engines(app)


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_upgrade_marks_the_tampered_contact_and_attests_the_rest(app, reviewed, tmp_path):  # noqa: F811
    cid = reviewed["contact_id"]
    pack = tmp_path / "today.zip"
    assert invoke(app, "export-pack", "learner1", "-o", str(pack)).exit_code == 0
    with app.app_context(), db.engine.begin() as conn:
        other = conn.execute(text("SELECT id FROM contact WHERE id != :c"), {"c": cid}).scalar()
        conn.execute(text("UPDATE event SET actor = 'assessor' WHERE contact_id = :c AND seq = 2"), {"c": cid})
    assert invoke(app, "verify-log").exit_code == 1  # today's chain check already sees it

    upgraded = invoke(app, "init-db")
    # through 0006_ledger to the head (later revisions, e.g. 0007_data_view, follow it)
    assert upgraded.exit_code == 0 and "from 0005_customer_owner to " in upgraded.output, upgraded.output
    result = invoke(app, "verify-log")
    assert result.exit_code == 0, result.output
    assert f"WARNING: contact {cid}: tampered before upgrade" in result.output
    assert f"contact {other}" not in result.output  # attested, not warned about
    assert "attested at upgrade" in result.output and "BROKEN" not in result.output
    with app.app_context(), db.engine.connect() as conn:
        kinds = dict(
            conn.execute(
                text("SELECT ref, kind FROM ledger_leaf WHERE ref IN (:a, :b)"),
                {"a": f"contact:{cid}", "b": f"contact:{other}"},
            ).all()
        )
        assert kinds == {f"contact:{cid}": "tampered-before-upgrade", f"contact:{other}": "attested-at-upgrade"}
        assessment = conn.execute(text("SELECT kind FROM ledger_leaf WHERE ref = :r"), {"r": f"assessment:{cid}:1"})
        assert assessment.scalar() == "attested-at-upgrade"  # never protected before: attested, not approved
    assert (tmp_path / "instance" / "checkpoints.log").read_text().count("upgrade 0006_ledger") == 1
    checked = invoke(app, "verify-pack", str(pack))
    assert checked.exit_code == 0 and checked.output.strip().splitlines()[-1].startswith("OK: "), checked.output
    assert checked.output.startswith("Note: made by an earlier release: chain heads only, no ledger proofs")

    # after the upgrade, the ledger covers what today's release did not
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("UPDATE assessment SET outcome = 'competent' WHERE contact_id = :c"), {"c": cid})
    tampered = invoke(app, "verify-log")
    assert tampered.exit_code == 1
    assert f"assessment version 1 for contact {cid}: outcome changed outside the app" in tampered.output
