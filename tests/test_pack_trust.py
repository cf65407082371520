"""Packs that prove themselves (issue 15): export refuses broken evidence; each contact's chain head is
signed and checked; only trusted keys pass; the ID&V secrets are not in the pack; old packs still verify."""

import io
import json
import re
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from crm_sandbox.admin import packs as pack
from crm_sandbox.crypto import signing
from crm_sandbox.events.chain import head_message
from crm_sandbox.extensions import db
from crm_sandbox.ledger.format import parse_note
from crm_sandbox.models import Contact, Event, User
from crm_sandbox.queries.session_export import disclosed_customer_fields
from tests.conftest import dispose_engines, make_test_app
from tests.helpers import verify
from tests.reporting import pdf_text, reviewed  # noqa: F401  (fixture)
from tests.test_pack import WHEN, entries, rezip

FIXTURES = Path(__file__).parent / "fixtures"
OLD_PACK, OLD_KEY = FIXTURES / "pack-release-ea876b8.zip", FIXTURES / "pack-release-ea876b8.pub.pem"


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def resign(files: dict[str, bytes], sign) -> bytes:
    """The pack with its manifest's file list recomputed and signed by ``sign`` (what a key holder could do)."""
    import hashlib

    manifest = json.loads(files["manifest.json"])
    rest = {k: v for k, v in files.items() if k not in ("manifest.json", "manifest.sig")}
    manifest["files"] = [{"path": p, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for p, d in rest.items()]
    mbytes = json.dumps(manifest, indent=2).encode()
    return rezip({"manifest.json": mbytes, "manifest.sig": sign(mbytes), **rest})


def forge(data: bytes, key: Ed25519PrivateKey) -> bytes:
    """The whole pack re-signed by ``key``: chain heads, public_key.pem and manifest, all consistent."""
    files = entries(data)
    manifest = json.loads(files["manifest.json"])
    for name in [n for n in files if n.endswith("/session.json")]:
        doc = json.loads(files[name])
        cid = int(doc["contact"]["id"].removeprefix("c-"))
        doc["chain"]["signature"] = key.sign(head_message(cid, doc["chain"]["seq"], doc["chain"]["mac"])).hex()
        files[name] = json.dumps(doc, indent=2).encode()
    if "ledger/checkpoint.txt" in files:  # the ledger checkpoint too
        head = parse_note(files["ledger/checkpoint.txt"].decode(), None)
        head.fingerprint, head.signature = signing.fingerprint(public_pem(key)), key.sign(head.body()).hex()
        files["ledger/checkpoint.txt"] = head.note().encode()
    files["public_key.pem"] = public_pem(key)
    files["manifest.json"] = json.dumps(manifest, indent=2).encode()
    return resign(files, key.sign)


@pytest.fixture
def built(app, reviewed):
    """(pack bytes, the app's public key PEM, the contact's folder, the contact id)."""
    with app.app_context():
        learner = db.session.get(User, reviewed["learner_id"])
        data = pack.build_learner_pack(learner, WHEN)
        return data, signing.public_key_pem(), f"contacts/c-{reviewed['contact_id']}/", reviewed["contact_id"]


@pytest.fixture
def keyless(tmp_path, database_uri, monkeypatch):
    """A CLI runner on another machine: its own empty instance folder, no signing key anywhere."""
    monkeypatch.delenv(signing.ENV_VAR, raising=False)
    other = make_test_app(database_uri("other.sqlite"), tmp_path / "other-instance")
    # start-up makes the instance's key (issue 15): a verifier's machine never bootstrapped has none
    (tmp_path / "other-instance" / signing.KEY_FILE).unlink(missing_ok=True)
    yield other.test_cli_runner(), tmp_path / "other-instance"
    dispose_engines(other)


# --- 1. export-pack refuses evidence that does not verify -----------------------------------------------
def test_export_pack_refuses_when_an_event_was_edited_in_the_database(app, runner, reviewed, tmp_path):
    with app.app_context():
        db.session.execute(
            text("UPDATE event SET actor = 'assessor' WHERE contact_id = :c AND seq = 2"), {"c": reviewed["contact_id"]}
        )
        db.session.commit()
    out = tmp_path / "pack.zip"
    result = runner.invoke(args=["export-pack", "learner1", "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "does not verify, so no pack was written" in result.output
    assert f"contact {reviewed['contact_id']}: event #2" in result.output and "does not match its MAC" in result.output
    assert not out.exists()


def test_export_pack_writes_when_the_evidence_verifies(app, runner, reviewed, tmp_path):
    out = tmp_path / "pack.zip"
    assert runner.invoke(args=["export-pack", "learner1", "-o", str(out)]).exit_code == 0
    with app.app_context():
        assert pack.check_pack(out.read_bytes(), signing.public_key_pem()).heads == 1


# --- 2. a freshly signed chain head per contact, listed in the signed manifest ----------------------------
def test_each_session_json_carries_a_signed_head_matching_its_events_and_the_manifest(app, built):
    data, pem, base, cid = built
    files = entries(data)
    session = json.loads(files[base + "session.json"])
    chain = session["chain"]
    with app.app_context():
        events = db.session.query(Event).filter_by(contact_id=cid).order_by(Event.seq).all()
        assert chain["seq"] == len(events) == len(session["events"]) and chain["mac"] == events[-1].mac
        assert chain["fingerprint"] == signing.fingerprint()
    assert signing.verify(pem, head_message(cid, chain["seq"], chain["mac"]), bytes.fromhex(chain["signature"]))
    manifest = json.loads(files["manifest.json"])
    [listed] = manifest["contacts"]
    assert (listed["ref"], listed["seq"], listed["mac"]) == (f"c-{cid}", chain["seq"], chain["mac"])
    report = pack.check_pack(data, pem)
    assert report.ok and report.heads == 1 and report.signer_trusted


def test_a_head_signed_for_another_contact_is_named(app, built):
    data, pem, base, cid = built
    files = entries(data)
    doc = json.loads(files[base + "session.json"])
    with app.app_context():  # the sandbox's own key signs the same head for contact 99: valid, but not c-N's
        doc["chain"]["signature"] = signing.sign(head_message(99, doc["chain"]["seq"], doc["chain"]["mac"])).hex()
        files[base + "session.json"] = json.dumps(doc).encode()
        problems = pack.verify_pack(resign(files, signing.sign), pem)
    assert problems == [
        f"{base}session.json: the chain head at #{doc['chain']['seq']} has an invalid signature "
        f"(not signed for c-{cid} by the pack's key)"
    ]


def test_a_head_from_another_pack_disagrees_with_the_manifest(app, built):
    data, pem, base, cid = built
    files = entries(data)
    manifest = json.loads(files["manifest.json"])
    manifest["contacts"].append({"ref": "c-77", "seq": 3, "mac": "ab" * 32})
    files["manifest.json"] = json.dumps(manifest).encode()
    with app.app_context():
        problems = pack.verify_pack(resign(files, signing.sign), pem)
    assert problems == [
        "manifest.json: a chain head for c-77, whose contact is not in this pack (a head from another pack?)"
    ]
    doc = json.loads(files[base + "session.json"])
    doc["chain"]["mac"] = "cd" * 32  # a head the manifest does not list
    files[base + "session.json"] = json.dumps(doc).encode()
    manifest["contacts"].pop()
    files["manifest.json"] = json.dumps(manifest).encode()
    with app.app_context():
        problems = pack.verify_pack(resign(files, signing.sign), pem)
    assert len(problems) == 1 and "is not the one the manifest lists" in problems[0]


def test_an_old_head_presented_as_new_is_named(app, built):
    """A genuine head signed earlier (fewer events) does not cover the events the pack carries."""
    data, pem, base, cid = built
    files = entries(data)
    doc = json.loads(files[base + "session.json"])
    with app.app_context():
        older = db.session.query(Event).filter_by(contact_id=cid, seq=doc["chain"]["seq"] - 1).one()
        doc["chain"].update(
            seq=older.seq, mac=older.mac, signature=signing.sign(head_message(cid, older.seq, older.mac)).hex()
        )
        files[base + "session.json"] = json.dumps(doc).encode()
        manifest = json.loads(files["manifest.json"])
        manifest["contacts"][0].update(seq=older.seq, mac=older.mac)
        files["manifest.json"] = json.dumps(manifest).encode()
        problems = pack.verify_pack(resign(files, signing.sign), pem)
    assert len(problems) == 1 and "do not lead to the head signed at" in problems[0], problems


# --- 3. trust: the configured key, the key given, or --trust; never the pack's own word -----------------
def test_a_pack_re_signed_by_another_key_fails_on_the_sandbox_and_passes_only_when_trusted(
    app, runner, built, tmp_path
):
    data, _, _, _ = built
    forger = Ed25519PrivateKey.generate()
    path, key = tmp_path / "forged.zip", tmp_path / "forger.pem"
    path.write_bytes(forge(data, forger))
    key.write_bytes(public_pem(forger))
    assert pack.check_pack(path.read_bytes()).ok  # internally consistent: only the key tells it apart
    result = runner.invoke(args=["verify-pack", str(path)])
    assert result.exit_code == 1 and "manifest.sig: signature invalid" in result.output
    assert "--trust" in result.output and "FAILED" in result.output
    result = runner.invoke(args=["verify-pack", str(path), "--trust", str(key)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(f"signed by {signing.fingerprint(public_pem(forger))}")


def test_without_any_key_an_unknown_signer_never_exits_0(keyless, built, tmp_path):
    runner, instance = keyless
    data, pem, _, _ = built
    forged, genuine = tmp_path / "forged.zip", tmp_path / "genuine.zip"
    forged.write_bytes(forge(data, Ed25519PrivateKey.generate()))
    genuine.write_bytes(data)
    for path in (forged, genuine):
        result = runner.invoke(args=["verify-pack", str(path)])
        assert result.exit_code == 3, result.output
        assert "UNVERIFIED SIGNER" in result.output and "1 chain head" in result.output
    assert not (instance / signing.KEY_FILE).exists()  # checking never makes a key
    key = tmp_path / "centre.pem"
    key.write_text(pem)
    result = runner.invoke(args=["verify-pack", str(genuine), "--public-key", str(key)])
    assert result.exit_code == 0 and result.output.strip().endswith(f"signed by {signing.fingerprint(pem)}")
    result = runner.invoke(args=["verify-pack", str(forged), "--public-key", str(key)])
    assert result.exit_code == 1 and "signature invalid" in result.output


def test_a_trust_file_that_is_not_a_key_is_a_clear_error(runner, built, tmp_path):
    path, key = tmp_path / "pack.zip", tmp_path / "key.pem"
    path.write_bytes(built[0])
    key.write_text("not a key")
    result = runner.invoke(args=["verify-pack", str(path), "--trust", str(key)])
    assert result.exit_code == 1 and "--trust" in result.output and "not a readable PEM public key" in result.output


# --- 4. what the learner was shown and did; not the secrets behind ID&V -----------------------------------
def test_the_pack_holds_no_memorable_word_nor_unrevealed_account_data(app, client, built, contact_of):
    data, pem, base, cid = built
    with app.app_context():
        learner = db.session.get(User, db.session.get(Contact, cid).learner_id)
        other = contact_of(learner.id, "balance-enquiry")
    client.post("/auth/login", data={"username": "learner1", "password": "correct-horse-battery"})
    shown = verify(client, app, other)  # the second contact: ID&V passed, the full record shown
    with app.app_context():
        learner = db.session.get(User, learner.id)
        data = pack.build_learner_pack(learner, WHEN)
        customers = [db.session.get(Contact, c).customer for c in (cid, other)]
        secrets_ = [(c.memorable_word, c.account_number) for c in customers]
    assert pack.verify_pack(data, pem) == []
    files = entries(data)
    texts = [data.lower()] + [d.lower() for d in files.values()]
    texts += [pdf_text(d).lower().encode() for n, d in files.items() if n.endswith(".pdf")]
    for word, _ in secrets_:
        assert not any(word.lower().encode() in t for t in texts), word
    # the first contact never passed ID&V: its account data is withheld, and named as withheld
    first = json.loads(files[base + "session.json"])
    assert first["customer"]["last_name"] and "date_of_birth" not in first["customer"]
    assert {"memorable_word", "account_number", "balance", "date_of_birth"} <= set(first["withheld"]["customer"])
    assert not any(secrets_[0][1].encode() in t for t in texts)  # its account number is nowhere
    # the second was verified: the record the learner was shown is there, the memorable word still is not
    second = json.loads(files[f"contacts/c-{other}/session.json"])
    assert second["customer"]["date_of_birth"] == shown["date_of_birth"]
    assert second["customer"]["account_number"] == shown["account_number"]
    assert second["withheld"]["customer"] == ["memorable_word"]


def test_the_rules_still_run_on_a_packs_session_json(runner, built, tmp_path):
    """A re-run sees only what the learner was shown: each finding it makes is one the pack's signed
    findings.json holds; the leading question, found from the withheld date of birth, stays there only."""
    data, _, base, _ = built
    files = entries(data)
    path = tmp_path / "session.json"
    path.write_bytes(files[base + "session.json"])
    result = runner.invoke(args=["findings", str(path), "--json"])
    assert result.exit_code == 0, result.output
    rerun = {f["rule"] for f in json.loads(result.output)}
    signed = {f["rule"] for f in json.loads(files[base + "findings.json"])["findings"]}
    assert rerun and rerun <= signed and signed - rerun == {"leading-verification-question"}


def test_disclosed_fields_follow_the_record_views_of_the_contacts_own_customer():
    contact = SimpleNamespace(customer_id=5)

    def viewed(customer_id, fields):
        return SimpleNamespace(type="customer.viewed", data={"customer_id": customer_id, "fields": fields})

    names = ["full_name", "first_name", "last_name", "town"]
    assert disclosed_customer_fields(contact, []) == names  # type: ignore[arg-type]
    events = [viewed(6, ["date_of_birth"]), viewed(5, ["postcode", "memorable_word", "balance"])]
    assert (
        disclosed_customer_fields(contact, events)
        == [  # type: ignore[arg-type]
            *names[:3],
            "town",
            "postcode",
            "balance",
        ]
    )


# --- 6. packs made by the release before (main at ea876b8) still verify ---------------------------------
def test_a_pack_from_the_previous_release_still_verifies_with_a_note(runner):
    result = runner.invoke(args=["verify-pack", str(OLD_PACK), "--public-key", str(OLD_KEY)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("Note: made by an earlier release (crm-sandbox/evidence-pack@1)")
    assert "no signed chain heads" in lines[0] and lines[-1].startswith("OK: 6 files verified, signed by")
    report = pack.check_pack(OLD_PACK, OLD_KEY.read_bytes())
    assert report.ok and report.signer_trusted and report.heads == 0


def test_a_pack_from_the_previous_release_still_fails_when_changed(runner, tmp_path):
    files = entries(OLD_PACK.read_bytes())
    files["contacts/c-1/review.json"] = files["contacts/c-1/review.json"].replace(b"not_yet_competent", b"competent")
    path = tmp_path / "old.zip"
    path.write_bytes(rezip(files))
    result = runner.invoke(args=["verify-pack", str(path), "--public-key", str(OLD_KEY)])
    assert result.exit_code == 1 and "contacts/c-1/review.json: bytes changed" in result.output


def test_old_fixture_is_the_format_of_the_previous_release():
    with zipfile.ZipFile(io.BytesIO(OLD_PACK.read_bytes())) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        session = json.loads(zf.read("contacts/c-1/session.json"))
    assert manifest["format"] == pack.FORMAT_V1 and "contacts" not in manifest and "chain" not in session
    assert re.search(r"BEGIN PUBLIC KEY", OLD_KEY.read_text())
