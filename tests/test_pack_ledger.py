"""Packs carry the ledger (issue 15): a pack proves every record it carries in a signed checkpoint, each leaf
recomputed from the pack's own content; verify-pack checks it offline with only the public key, and against a
later checkpoint; export refuses records that no longer match their leaves; the trainer's download refuses
with a page; a reset archives failing evidence anyway, with a signed problems.json."""

import io
import json
import zipfile

import pytest
from sqlalchemy import delete, select, text, update

from crm_sandbox import ledger
from crm_sandbox.admin import archive
from crm_sandbox.admin import packs as pack
from crm_sandbox.admin.reset import reset_cohort
from crm_sandbox.crypto import signing
from crm_sandbox.extensions import db
from crm_sandbox.ledger import format as lf
from crm_sandbox.models import Event, User
from tests.conftest import dispose_engines, make_test_app
from tests.reporting import reviewed  # noqa: F401  (fixture)
from tests.test_pack import entries, rezip


def sql(app, statement: str, **params) -> None:
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text(statement), params)


def export(runner, tmp_path, name: str = "pack.zip"):
    out = tmp_path / name
    return runner.invoke(args=["export-pack", "learner1", "-o", str(out)]), out


@pytest.fixture
def offline(tmp_path, database_uri, monkeypatch):
    """``flask`` on an EQA's machine: its own empty instance and database, no signing key at all; only the
    public key file it is given."""
    monkeypatch.delenv(signing.ENV_VAR, raising=False)
    other = make_test_app(database_uri("eqa.sqlite"), tmp_path / "eqa")
    (tmp_path / "eqa" / signing.KEY_FILE).unlink(missing_ok=True)
    yield other.test_cli_runner()
    dispose_engines(other)


@pytest.fixture
def exported(app, runner, reviewed, tmp_path):  # noqa: F811
    result, out = export(runner, tmp_path)
    assert result.exit_code == 0, result.output
    key = tmp_path / "centre.pem"
    with app.app_context():
        key.write_text(signing.public_key_pem())
    return out, key, reviewed["contact_id"]


# --- what a pack proves -------------------------------------------------------------------------------------
def test_a_pack_proves_every_record_it_carries_in_a_signed_checkpoint(app, exported):
    out, _, cid = exported
    files = entries(out.read_bytes())
    proofs = json.loads(files[pack.LEDGER_PROOFS])
    refs = {r["ref"] for r in proofs["records"]}
    with app.app_context():
        head = ledger.latest_checkpoint()
        events = db.session.execute(text("SELECT seq FROM event WHERE contact_id = :c"), {"c": cid}).scalars()
        expected = {f"contact:{cid}", f"assessment:{cid}:1", "user:1"} | {f"event:{cid}:{s}" for s in events}
        for table in ("finding", "criterion_judgement", "chain_seal"):
            ids = db.session.execute(text(f"SELECT id FROM {table} WHERE contact_id = :c"), {"c": cid}).scalars()  # noqa: S608 - fixed names
            expected |= {f"{table}:{i}" for i in ids}
        decisions = db.session.execute(text("SELECT id FROM finding_decision")).scalars()
        expected |= {f"finding_decision:{i}" for i in decisions}
        checkpoint = lf.parse_note(files[pack.LEDGER_CHECKPOINT].decode(), signing.public_key_pem())
    assert refs == expected and any(r.startswith("finding_decision:") for r in refs)
    assert checkpoint.size == proofs["tree_size"] <= head.size
    assert json.loads(files["manifest.json"])["ledger"] == {
        "checkpoint": "ledger/checkpoint.txt",
        "proofs": "ledger/proofs.json",
    }
    # nothing pending was left out: export made a checkpoint first
    with app.app_context():
        assert ledger.latest_checkpoint().size == checkpoint.size


def test_withheld_fields_are_only_salted_hashes_in_the_proofs(exported):
    out, _, cid = exported
    records = {r["ref"]: r for r in json.loads(entries(out.read_bytes())[pack.LEDGER_PROOFS])["records"]}
    contact = records[f"contact:{cid}"]
    assert "scenario" not in contact["content"] and set(contact["hashes"]) == {"scenario"}
    for r in records.values():  # each covered field either in clear or as its salted hash, never both
        assert not set(r["content"]) & set(r["hashes"]) and r["salt"]
        if r["ref"].startswith("event:"):
            assert ("data" in r["content"]) != ("data" in r["hashes"])


# --- offline, with only the public key ----------------------------------------------------------------------
def test_verify_pack_passes_a_fresh_pack_offline_with_only_the_public_key(offline, exported):
    out, key, _ = exported
    result = offline.invoke(args=["verify-pack", str(out), "--public-key", str(key)])
    assert result.exit_code == 0, result.output
    assert "ledger records proven in the checkpoint of" in result.output and result.output.startswith("OK: ")


def test_verify_pack_fails_on_an_untrusted_key_and_passes_with_trust(app, offline, exported, tmp_path):
    out, key, _ = exported
    assert offline.invoke(args=["verify-pack", str(out)]).exit_code == 3  # no key: intact, signer unknown
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = tmp_path / "other.pem"
    other.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    result = offline.invoke(args=["verify-pack", str(out), "--public-key", str(other)])
    assert result.exit_code == 1 and "signature invalid" in result.output
    result = offline.invoke(args=["verify-pack", str(out), "--public-key", str(other), "--trust", str(key)])
    assert result.exit_code == 0, result.output


# --- against a later checkpoint ------------------------------------------------------------------------------
def later_checkpoint(runner, tmp_path, size: int):
    result = runner.invoke(args=["latest-checkpoint", "--from-size", str(size)])
    assert result.exit_code == 0, result.output
    path = tmp_path / "later.txt"
    path.write_text(result.output)
    return path


def pack_size(out) -> int:
    return json.loads(entries(out.read_bytes())[pack.LEDGER_PROOFS])["tree_size"]


def test_a_pack_is_consistent_with_a_later_checkpoint(app, runner, offline, exported, tmp_path, login, client):
    out, key, cid = exported
    with app.app_context():
        sql(app, "SELECT 1")
        assessor = db.session.execute(select(User).where(User.username == "assessor1")).scalar_one()
        from crm_sandbox.models import Contact
        from crm_sandbox.operations import review as review_service

        review_service.reopen(db.session.get(Contact, cid), assessor, "Seen again later.", True)
        ledger.checkpoint_now("later")
    later = later_checkpoint(runner, tmp_path, pack_size(out))
    assert later.read_text().splitlines()[-1].startswith(f"consistency-from {pack_size(out)} [")
    result = offline.invoke(args=["verify-pack", str(out), "--public-key", str(key), "--checkpoint", str(later)])
    assert result.exit_code == 0, result.output


def rewrite_history(app, cid: int) -> None:
    """An insider holding the server's keys edits an event and rewrites the ledger to match: the event's leaf
    recomputed from the new content and re-MACed, every checkpoint dropped (the checkpoint file too) and the
    tree re-sequenced and re-signed from scratch. The ledger on the server is consistent with itself again;
    a pack (or a checkpoint) kept elsewhere is not."""
    events, leaves = Event.__table__, ledger.LEAVES
    with app.app_context(), db.engine.begin() as conn:
        where = (events.c.contact_id == cid) & (events.c.seq == 2)
        conn.execute(update(events).where(where).values(data={"text": "Rewritten."}))
        columns = ledger.EVIDENTIAL["event"].columns
        content = dict(zip(columns, conn.execute(select(*(events.c[c] for c in columns)).where(where)).one()))
        salt = bytes.fromhex(
            conn.execute(select(ledger.SALTS.c.salt).where(ledger.SALTS.c.ref == f"contact:{cid}")).scalar()
        )
        hashes = lf.field_hashes(salt, content)
        digest = lf.commitment_of_hashes(hashes)
        leaf = conn.execute(
            select(leaves).where(leaves.c.ref == f"event:{cid}:2").order_by(leaves.c.version.desc())
        ).first()
        mac = lf.leaf_mac(ledger.ledger_key(), lf.leaf_bytes(leaf.ref, leaf.version, leaf.kind, digest, leaf.at))
        conn.execute(update(leaves).where(leaves.c.id == leaf.id).values(commitment=digest, mac=mac, fields=hashes))
        conn.execute(update(leaves).values(index=None))
        conn.execute(delete(ledger.CHECKPOINTS))
    with app.app_context():
        ledger.checkpoint_file().unlink(missing_ok=True)
        ledger.checkpoint_now("rewritten")
        report = ledger.verify()
    assert not [p for p in report.problems if "event" in p or "rewritten" in p], report.problems


def test_a_pack_built_before_a_later_rewrite_fails_against_the_later_checkpoint(
    app, runner, offline, exported, tmp_path
):
    out, key, cid = exported
    rewrite_history(app, cid)
    later = later_checkpoint(runner, tmp_path, pack_size(out))
    result = offline.invoke(args=["verify-pack", str(out), "--public-key", str(key), "--checkpoint", str(later)])
    assert result.exit_code == 1, result.output
    assert (
        "is not a prefix of the later one" in result.output and "the log was rewritten after the pack" in result.output
    )
    # and the pack alone still verifies: it is the evidence as it was
    assert offline.invoke(args=["verify-pack", str(out), "--public-key", str(key)]).exit_code == 0


def test_an_old_checkpoint_presented_as_new_is_refused(app, runner, offline, exported, tmp_path):
    out, key, _ = exported
    with app.app_context():
        old = ledger.format.parse_note(ledger.checkpoint_file().read_text().splitlines()[0], None)
    path = tmp_path / "old.txt"
    path.write_text(old.note())
    result = offline.invoke(args=["verify-pack", str(out), "--public-key", str(key), "--checkpoint", str(path)])
    assert result.exit_code == 1 and "an old checkpoint presented as new" in result.output, result.output


def test_latest_checkpoint_refuses_a_size_beyond_the_log(app, runner, exported):
    with app.app_context():
        size = ledger.latest_checkpoint().size
    result = runner.invoke(args=["latest-checkpoint", "--from-size", str(size + 1)])
    assert result.exit_code == 1 and "fewer than" in result.output


# --- the proofs are bound to the pack's content --------------------------------------------------------------
def resign_centre(app, files: dict[str, bytes]) -> bytes:
    """The pack with its manifest recomputed and signed by the centre's own key (an insider)."""
    import hashlib

    manifest = json.loads(files["manifest.json"])
    rest = {k: v for k, v in files.items() if k not in ("manifest.json", "manifest.sig")}
    manifest["files"] = [{"path": p, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for p, d in rest.items()]
    mbytes = json.dumps(manifest, indent=2).encode()
    with app.app_context():
        return rezip({"manifest.json": mbytes, "manifest.sig": signing.sign(mbytes), **rest})


def test_a_pack_edited_and_re_signed_with_the_centres_key_fails_against_its_proofs(app, exported):
    out, key, cid = exported
    files = entries(out.read_bytes())
    base = f"contacts/c-{cid}/"
    review = json.loads(files[base + "review.json"])
    review["assessment"]["outcome"] = (
        "competent" if review["assessment"]["outcome"] != "competent" else "not_yet_competent"
    )
    files[base + "review.json"] = json.dumps(review).encode()
    findings = json.loads(files[base + "findings.json"])
    findings["findings"][0]["history"] = []  # a decision left out
    files[base + "findings.json"] = json.dumps(findings).encode()
    problems = pack.verify_pack(resign_centre(app, files), key.read_bytes())
    assert any("review.json: the sign-off's outcome is" in p and "in the ledger" in p for p in problems), problems
    assert any("its decisions are not the ones the ledger proves" in p for p in problems), problems


def test_an_event_left_out_of_a_re_signed_pack_is_named(app, exported):
    out, key, cid = exported
    files = entries(out.read_bytes())
    base = f"contacts/c-{cid}/"
    records = json.loads(files[pack.LEDGER_PROOFS])
    records["records"] = [r for r in records["records"] if r["ref"] != f"contact:{cid}"]
    files[pack.LEDGER_PROOFS] = json.dumps(records).encode()
    problems = pack.verify_pack(resign_centre(app, files), key.read_bytes())
    assert problems == [f"{base}session.json: contact {cid} is not proven in the ledger"]
    proofs = json.loads(entries(out.read_bytes())[pack.LEDGER_PROOFS])
    for r in proofs["records"]:
        if r["ref"] == f"contact:{cid}":
            r["content"]["learner_id"] = 99  # another learner's contact
    files[pack.LEDGER_PROOFS] = json.dumps(proofs).encode()
    problems = pack.verify_pack(resign_centre(app, files), key.read_bytes())
    assert problems == [
        f"ledger/proofs.json: contact:{cid}: its content is not what its leaf commits to (the record was changed)"
    ]


# --- export refuses evidence the ledger no longer matches ---------------------------------------------------
@pytest.mark.parametrize(
    "statement, named",
    [
        (
            "UPDATE contact SET learner_id = learner_id WHERE id = :c; UPDATE assessment SET outcome = 'competent', feedback = 'x' WHERE contact_id = :c",
            "assessment version 1 for contact {cid}: outcome, feedback changed outside the app",
        ),
        ("UPDATE contact SET status = 'live' WHERE id = :c", "contact {cid}: status changed outside the app"),
        ("DELETE FROM finding_decision", "contact {cid}: finding decision"),
        (
            "DELETE FROM event WHERE contact_id = :c AND seq = (SELECT max(seq) FROM event WHERE contact_id = :c)",
            "contact {cid}: event {cid}#",
        ),
    ],
    ids=["sign-off", "status", "decision deleted", "event after close deleted"],
)
def test_export_refuses_records_that_no_longer_match_their_leaves(app, runner, reviewed, tmp_path, statement, named):  # noqa: F811
    cid = reviewed["contact_id"]
    for part in statement.split("; "):
        sql(app, part, c=cid)
    result, out = export(runner, tmp_path)
    assert result.exit_code == 1 and not out.exists(), result.output
    assert "does not verify, so no pack was written" in result.output
    with app.app_context():  # every problem, the ledger's among them, named with its contact
        problems = pack.evidence_problems(db.session.get(User, reviewed["learner_id"]))
    assert any(named.format(cid=cid) in p for p in problems), problems
    assert all(p.startswith(f"contact {cid}") for p in problems), problems


def test_the_trainers_download_refuses_with_a_page_naming_the_problem(app, client, reviewed, make_user, login):  # noqa: F811
    make_user("trainer1", "trainer")
    login("trainer1")
    assert client.get(f"/reports/learners/{reviewed['learner_id']}/evidence-pack.zip").status_code == 200
    sql(app, "UPDATE assessment SET outcome = 'competent' WHERE contact_id = :c", c=reviewed["contact_id"])
    response = client.get(f"/reports/learners/{reviewed['learner_id']}/evidence-pack.zip")
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "Evidence does not verify" in page
    assert f"assessment version 1 for contact {reviewed['contact_id']}: outcome changed outside the app" in page


# --- a reset archives failing evidence anyway, saying so ----------------------------------------------------
def test_a_reset_archives_failing_evidence_with_a_signed_problems_file(app, runner, reviewed, tmp_path):  # noqa: F811
    cid = reviewed["contact_id"]
    sql(app, "UPDATE assessment SET feedback = 'Rewritten.' WHERE contact_id = :c", c=cid)
    with app.app_context():
        result = reset_cohort("Test cohort", seed=5)
        assert set(result.problems) == {"learner1"}
        assert any("feedback changed outside the app" in p for p in result.problems["learner1"])
        archived = next(p for p in result.packs if p.learner_username == "learner1")
        data = archive.stored_pack(archived)  # archived packs are encrypted for the centre
        problems = archive.check_pack(archived)
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    files = entries(data)
    doc = json.loads(files[pack.PROBLEMS])
    assert doc["contacts"] == [f"c-{cid}"] and "feedback changed outside the app" in doc["problems"][0]["problem"]
    assert pack.PROBLEMS in {f["path"] for f in json.loads(files["manifest.json"])["files"]}  # signed
    assert any(p.startswith("problems.json: failed verification when archived") for p in problems), problems
    assert f"contacts/c-{cid}/session.json" in names  # the evidence itself is kept


def test_the_archive_checks_packs_against_the_centres_key(app, reviewed, monkeypatch):  # noqa: F811
    with app.app_context():
        result = reset_cohort("Test cohort", seed=5)
        assert result.problems == {}
        archived = result.packs[0]
        assert archive.check_pack(archived) == []
        seen = []
        real = pack.check_pack

        def spy(data, key=None, **kw):
            seen.append(key)
            return real(data, key, **kw)

        monkeypatch.setattr(pack, "check_pack", spy)
        archive.check_pack(archived)
        assert seen == [signing.public_key_pem()]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE contact SET learner_id = (SELECT id FROM \"user\" WHERE username = 'assessor1') WHERE id = :c",
        "DELETE FROM finding_decision; DELETE FROM finding; DELETE FROM criterion_judgement; "
        "DELETE FROM assessment; DELETE FROM chain_seal; DELETE FROM event WHERE contact_id = :c; "
        "DELETE FROM contact WHERE id = :c",
    ],
    ids=["moved to another account", "deleted whole"],
)
def test_export_refuses_when_a_contact_of_the_learner_is_gone(app, runner, reviewed, tmp_path, statement):  # noqa: F811
    """The contact is no longer among the learner's: the pack would look complete without it."""
    cid = reviewed["contact_id"]
    for part in statement.split("; "):
        sql(app, part, c=cid)
    result, out = export(runner, tmp_path)
    assert result.exit_code == 1 and not out.exists(), result.output
    assert f"contact {cid}" in result.output, result.output
