"""Signed evidence packs: a fresh pack verifies; every kind of tampering is found and the file named."""

import hashlib
import io
import json
import zipfile
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crm_sandbox.admin import packs as pack
from crm_sandbox.crypto import signing
from crm_sandbox.extensions import db
from crm_sandbox.models import User
from tests.reporting import reviewed  # noqa: F401  (fixture)

WHEN = datetime(2026, 3, 12, 10, 30, tzinfo=timezone.utc)


@pytest.fixture
def built(app, reviewed):
    """(pack bytes, the app's public key PEM, the contact's folder)."""
    with app.app_context():
        learner = db.session.get(User, reviewed["learner_id"])
        return pack.build_learner_pack(learner, WHEN), signing.public_key_pem(), f"contacts/c-{reviewed['contact_id']}/"


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def flip(data: bytes, at: int | None = None) -> bytes:
    at = len(data) // 2 if at is None else at
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def test_a_fresh_pack_verifies_and_lists_every_file(app, built):
    data, pem, base = built
    assert pack.verify_pack(data, pem) == []
    files = entries(data)
    assert list(files)[:2] == ["manifest.json", "manifest.sig"]
    for name in ("session.json", "findings.json", "review.json", "report.pdf"):
        assert base + name in files
    assert {"learner-report.pdf", "public_key.pem"} <= set(files)
    assert not any(
        name.startswith("contacts/") and "c-" in name and name.split("/")[1] != base.split("/")[1] for name in files
    )  # the learner's second contact was never opened: not in the pack
    manifest = json.loads(files["manifest.json"])
    assert manifest["format"] == "crm-sandbox/evidence-pack@2"
    assert manifest["learner"]["username"] == "learner1" and manifest["cohort"] == "Test cohort"
    assert manifest["created_at"] == "2026-03-12T10:30:00Z"
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(files) - {"manifest.json", "manifest.sig"}
    for path, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(files[path]).hexdigest() and entry["size"] == len(files[path])
    assert signing.verify(pem, files["manifest.json"], files["manifest.sig"])
    assert files["public_key.pem"].decode() == pem


def test_pack_contents_carry_decisions_history_and_sign_offs(built):
    data, _, base = built
    files = entries(data)
    session = json.loads(files[base + "session.json"])
    assert session["format"] == "crm-sandbox/session@1" and session["events"]
    findings = json.loads(files[base + "findings.json"])["findings"]
    decided = [f for f in findings if len(f["history"]) == 2]
    assert decided and decided[0]["history"][0]["decision"] == "dismissed"
    assert decided[0]["decision"]["decision"] == "confirmed"  # the newest stands; the earlier one is kept
    assert all(f["decision"] is not None for f in findings)  # signed off: every finding was decided first
    review = json.loads(files[base + "review.json"])
    dp1 = next(c for c in review["criteria"] if c["code"] == "DP1")
    assert dp1["judgement"]["met"] is False and dp1["linked_events"] and dp1["findings_against"]
    assert dp1["status"] == dp1["judgement"]["status"] == "not_met"
    assert review["assessment"]["outcome"] == "not_yet_competent" and review["assessment"]["signed_at"]
    assert review["assessment"]["version"] == 1 and review["method"] == "Observation of simulated work (CRM Sandbox)"
    manifest = json.loads(files["manifest.json"])
    (sign_off,) = manifest["sign_offs"]
    assert sign_off["signed"]["version"] == 1 and sign_off["signed"]["assessor"] == "assessor1"
    assert sign_off["mode"] == "assessment" and sign_off["superseded"] == []
    assert review["assessment"]["acknowledged_at"] is None
    assert set(review["kpis"]) >= {"handling_seconds", "verify_seconds", "first_response_seconds"}
    assert files[base + "report.pdf"].startswith(b"%PDF") and files["learner-report.pdf"].startswith(b"%PDF")


def test_the_same_moment_gives_the_same_bytes(app, reviewed, built):
    with app.app_context():
        again = pack.build_learner_pack(db.session.get(User, reviewed["learner_id"]), WHEN)
    assert again == built[0]


@pytest.mark.parametrize("target", ["session.json", "report.pdf"])
def test_one_byte_changed_in_a_contact_file_is_named(built, target):
    data, pem, base = built
    files = entries(data)
    files[base + target] = flip(files[base + target])
    problems = pack.verify_pack(rezip(files), pem)
    assert problems == [f"{base}{target}: bytes changed (SHA-256 does not match the manifest)"]


def test_one_byte_flipped_in_the_zip_itself_names_the_damaged_file(built):
    data, pem, base = built
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(base + "session.json")
        # the entry's compressed bytes start after its 30-byte local header, name and extra field
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    original, caught = entries(data)[base + "session.json"], 0
    for offset in range(start, start + info.compress_size, max(1, info.compress_size // 40)):
        damaged = flip(data, offset)
        problems = pack.verify_pack(damaged, pem)
        if problems:
            caught += 1
            assert all(p.startswith(base + "session.json") for p in problems), (offset, problems)
        else:  # only a flip that leaves the inflated file identical (e.g. an unused header bit) may pass
            assert entries(damaged)[base + "session.json"] == original, offset
    assert caught >= 30


def test_an_added_file_is_named(built):
    data, pem, _ = built
    files = entries(data)
    files["contacts/extra-evidence.txt"] = b"slipped in later"
    assert pack.verify_pack(rezip(files), pem) == ["contacts/extra-evidence.txt: added (not in the manifest)"]


def test_a_removed_file_is_named(built):
    data, pem, base = built
    files = entries(data)
    del files[base + "findings.json"]
    assert pack.verify_pack(rezip(files), pem) == [
        f"{base}findings.json: listed in the manifest but missing from the pack"
    ]


def test_an_edited_manifest_fails_the_signature(built):
    data, pem, _ = built
    files = entries(data)
    files["manifest.json"] = files["manifest.json"].replace(b'"cohort": "Test cohort"', b'"cohort": "Best cohort"')
    problems = pack.verify_pack(rezip(files), pem)
    assert len(problems) == 1 and problems[0].startswith("manifest.sig: signature invalid: manifest.json was edited")


def test_a_manifest_rewritten_to_hide_a_change_still_fails_the_signature(built):
    data, pem, base = built
    files = entries(data)
    files[base + "review.json"] = files[base + "review.json"].replace(b"not_yet_competent", b"competent")
    manifest = json.loads(files["manifest.json"])
    for entry in manifest["files"]:
        if entry["path"] == base + "review.json":
            entry["sha256"] = hashlib.sha256(files[base + "review.json"]).hexdigest()
            entry["size"] = len(files[base + "review.json"])
    files["manifest.json"] = json.dumps(manifest, indent=2).encode()
    problems = pack.verify_pack(rezip(files), pem)
    assert len(problems) == 1 and problems[0].startswith("manifest.sig: signature invalid")


def test_a_pack_signed_by_another_key_fails_against_the_apps_key(built):
    data, pem, _ = built
    files = entries(data)
    forger = Ed25519PrivateKey.generate()
    files["manifest.sig"] = forger.sign(files["manifest.json"])
    # Swapping in the forger's public key changes a listed file too; the signature check is what matters.
    files["public_key.pem"] = forger.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    problems = pack.verify_pack(rezip(files), pem)
    assert any(p.startswith("manifest.sig: signature invalid") and "another key" in p for p in problems)
    assert "public_key.pem: bytes changed (SHA-256 does not match the manifest)" in problems


@pytest.mark.parametrize("blob", [b"", b"not a zip at all", b"PK\x03\x04 truncated"])
def test_a_malformed_zip_is_reported(blob, app):
    problems = pack.verify_pack(blob)
    assert len(problems) == 1 and problems[0].startswith("malformed zip")


def test_a_pack_without_manifest_or_signature_is_reported(built):
    data, pem, _ = built
    files = entries(data)
    del files["manifest.sig"]
    assert pack.verify_pack(rezip(files), pem) == ["manifest.sig: missing, so the manifest is not signed"]
    del files["manifest.json"]
    assert pack.verify_pack(rezip(files), pem) == ["manifest.json: missing, so nothing in the pack can be checked"]


def test_a_duplicated_entry_is_reported(built):
    data, pem, base = built
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a") as zf, pytest.warns(UserWarning):
        zf.writestr(base + "session.json", b"{}")
    problems = pack.verify_pack(buf.getvalue(), pem)
    assert any(p.startswith(base + "session.json: appears more than once") for p in problems)


# --- the CLI ------------------------------------------------------------------------------------------
def test_cli_exports_and_verifies_a_pack(app, runner, reviewed, tmp_path):
    out = tmp_path / "pack.zip"
    result = runner.invoke(args=["export-pack", "learner1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        fp = signing.fingerprint()
    assert fp in result.output and out.exists()
    result = runner.invoke(args=["verify-pack", str(out)])
    files = len(json.loads(entries(out.read_bytes())["manifest.json"])["files"])
    assert result.exit_code == 0, result.output
    proofs = json.loads(entries(out.read_bytes())["ledger/proofs.json"])
    assert result.output.strip() == (
        f"OK: {files} files and 1 chain head verified, {len(proofs['records'])} ledger records proven in the "
        f"checkpoint of {proofs['tree_size']} leaves, signed by {fp}"
    )


def test_cli_verify_fails_naming_the_file(app, runner, built, tmp_path):
    data, pem, base = built
    files = entries(data)
    files[base + "session.json"] = flip(files[base + "session.json"])
    path = tmp_path / "tampered.zip"
    path.write_bytes(rezip(files))
    result = runner.invoke(args=["verify-pack", str(path)])
    assert result.exit_code == 1
    assert f"{base}session.json: bytes changed" in result.output and "FAILED" in result.output


def test_cli_verify_with_another_public_key_fails(runner, built, tmp_path):
    data, _, _ = built
    path, key = tmp_path / "pack.zip", tmp_path / "other.pem"
    path.write_bytes(data)
    key.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    result = runner.invoke(args=["verify-pack", str(path), "--public-key", str(key)])
    assert result.exit_code == 1 and "manifest.sig: signature invalid" in result.output


def test_cli_export_of_an_unknown_learner_is_a_clear_error(runner, reviewed, tmp_path):
    result = runner.invoke(args=["export-pack", "assessor1", "-o", str(tmp_path / "x.zip")])
    assert result.exit_code != 0 and "no learner called 'assessor1'" in result.output


# --- the key ----------------------------------------------------------------------------------------------
def test_signing_key_is_created_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv(signing.ENV_VAR, raising=False)
    pem = signing.public_key_pem(str(tmp_path))
    assert (tmp_path / "signing_key.pem").stat().st_mode & 0o777 == 0o600
    assert signing.public_key_pem(str(tmp_path)) == pem
    sig = signing.sign(b"head", str(tmp_path))
    assert signing.verify(pem, b"head", sig) and not signing.verify(pem, b"head!", sig)
    fp = signing.fingerprint(pem)
    assert len(fp.replace(" ", "")) == 64 and fp == signing.fingerprint(instance_path=str(tmp_path))


def test_signing_key_from_the_environment(tmp_path, monkeypatch):
    key = Ed25519PrivateKey.generate()
    monkeypatch.setenv(
        signing.ENV_VAR,
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    )
    assert signing.verify(signing.public_key_pem(str(tmp_path)), b"x", key.sign(b"x"))
    assert not (tmp_path / "signing_key.pem").exists()
    monkeypatch.setenv(signing.ENV_VAR, "not a key")
    with pytest.raises(signing.SigningKeyError):
        signing.sign(b"x", str(tmp_path))
