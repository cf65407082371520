"""verify-pack on bad input (issue 15): truncated packs, zip bombs, nested archives, unsafe paths, a manifest
listing a file twice, proofs for another pack, an old checkpoint presented as new. Each is refused with a
clear message and a non-zero exit, read in memory: nothing is ever extracted.

Most cases start from the committed pack of the previous release (tests/fixtures), a real pack that needs
no database; the ledger cases use hand-built Merkle leaves and proofs (crypto/merkle.py) and a stand-in for
the ledger's signed checkpoint note."""

import base64
import hashlib
import io
import json
import secrets
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crm_sandbox.admin import packs as pack
from crm_sandbox.crypto import merkle, signing
from crm_sandbox.events.chain import head_message

FIXTURES = Path(__file__).parent / "fixtures"
OLD_PACK, OLD_KEY = FIXTURES / "pack-release-ea876b8.zip", FIXTURES / "pack-release-ea876b8.pub.pem"


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def zipped(files: dict[str, bytes], compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=compress)
    return buf.getvalue()


def declare_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with ``name``'s inflated size in the central directory changed to ``size`` (a lying header)."""
    out, pos = bytearray(data), data.find(b"PK\x01\x02")
    while pos != -1:
        length = int.from_bytes(data[pos + 28 : pos + 30], "little")
        if data[pos + 46 : pos + 46 + length] == name.encode():
            out[pos + 24 : pos + 28] = size.to_bytes(4, "little")
        pos = data.find(b"PK\x01\x02", pos + 1)
    return bytes(out)


@pytest.fixture
def verify(runner, tmp_path, monkeypatch):
    """``verify(data)`` -> the CLI result of verify-pack on those bytes, run in an empty working folder;
    fails the test if anything was written anywhere under the test's folder besides the pack."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)

    def run(data: bytes, *args: str):
        path = tmp_path / f"pack-{secrets.token_hex(4)}.zip"
        path.write_bytes(data)
        before = set(tmp_path.rglob("*"))
        result = runner.invoke(args=["verify-pack", str(path), "--public-key", str(OLD_KEY), *args])
        assert set(tmp_path.rglob("*")) == before, "verify-pack wrote files"
        return result

    return run


def test_the_fixture_pack_verifies(verify):
    result = verify(OLD_PACK.read_bytes())
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("cut", [0.5, 0.99, -22, -1])
def test_a_truncated_pack_is_refused(verify, cut):
    data = OLD_PACK.read_bytes()
    end = int(len(data) * cut) if isinstance(cut, float) else len(data) + cut
    result = verify(data[:end])
    assert result.exit_code == 1 and "malformed zip: the file is truncated or is not a zip" in result.output


def test_a_pack_that_is_not_a_file_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(args=["verify-pack", str(tmp_path / "missing.zip"), "--public-key", str(OLD_KEY)])
    assert result.exit_code == 1 and "cannot read the pack" in result.output


def test_a_member_declaring_a_huge_size_is_refused_before_anything_is_inflated(verify, monkeypatch):
    def no_inflating(*a, **k):
        raise AssertionError("a member was inflated")

    monkeypatch.setattr(pack, "_members", no_inflating)
    result = verify(declare_size(OLD_PACK.read_bytes(), "learner-report.pdf", 3_000_000_000))
    assert result.exit_code == 1
    assert "learner-report.pdf: refused: declares 3,000,000,000 bytes inflated" in result.output
    assert "zip bomb?" in result.output


def test_a_member_with_a_bomb_ratio_is_refused(verify):
    files = members(OLD_PACK.read_bytes())
    files["contacts/c-1/notes.json"] = b"\0" * (5 * 1024 * 1024)  # 5 MB of zeros deflate to ~5 KB
    result = verify(zipped(files))
    assert result.exit_code == 1 and "contacts/c-1/notes.json: refused: inflates" in result.output


def test_many_members_adding_up_to_a_bomb_are_refused():
    def info(name: str, size: int) -> zipfile.ZipInfo:
        i = zipfile.ZipInfo(name)
        i.file_size = i.compress_size = size
        return i

    report = pack.PackReport()
    assert not pack._structure([info(f"f{n}.json", 60 * 1024 * 1024) for n in range(5)], report)
    assert report.problems == [
        f"refused: the entries declare {5 * 60 * 1024 * 1024:,} bytes inflated in all "
        f"(at most {pack.MAX_TOTAL:,}): a zip bomb?"
    ]
    report = pack.PackReport()
    assert not pack._structure([info(f"f{n}", 1) for n in range(pack.MAX_MEMBERS + 1)], report)
    assert report.problems[0].startswith("refused: 5,001 entries")


def test_a_member_that_inflates_beyond_its_declared_size_is_not_read_past_it(verify):
    data = declare_size(OLD_PACK.read_bytes(), "contacts/c-1/review.json", 100)
    result = verify(data)
    assert (
        result.exit_code == 1 and "contacts/c-1/review.json: bytes changed (the zip entry is damaged" in result.output
    )


@pytest.mark.parametrize("name", ["contacts/c-1/more.zip", "contacts/c-1/notes.txt"])
def test_a_nested_archive_is_refused(verify, name):
    files = members(OLD_PACK.read_bytes())
    files[name] = zipped({"inner.txt": b"hidden"})
    result = verify(zipped(files))
    assert result.exit_code == 1 and f"{name}: refused: a nested archive" in result.output


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("/evil-{t}.txt", "an absolute path"),
        ("../evil-{t}.txt", "a '..' or '.' path component"),
        ("contacts/../../evil-{t}.txt", "a '..' or '.' path component"),
        ("C:/evil-{t}.txt", "an absolute path"),
        ("contacts\\..\\evil-{t}.txt", "a backslash in the path"),
        ("contacts//evil-{t}.txt", "an empty path component"),
    ],
)
def test_an_entry_with_an_unsafe_path_is_refused_and_nothing_is_written(verify, tmp_path, name, why):
    token = secrets.token_hex(6)
    files = members(OLD_PACK.read_bytes())
    files[name.format(t=token)] = b"written outside?"
    result = verify(zipped(files))
    assert result.exit_code == 1 and f"refused: {why}" in result.output and "FAILED" in result.output
    assert not Path(f"/evil-{token}.txt").exists() and not list(tmp_path.parent.rglob(f"evil-{token}*"))


def test_a_manifest_listing_a_file_twice_is_refused(verify):
    files = members(OLD_PACK.read_bytes())
    manifest = json.loads(files["manifest.json"])
    manifest["files"].append(dict(manifest["files"][0]))
    files["manifest.json"] = json.dumps(manifest).encode()
    result = verify(zipped(files))
    listed = manifest["files"][0]["path"]
    assert result.exit_code == 1 and f"manifest.json: refused: lists {listed} more than once" in result.output


def test_a_manifest_listing_an_unsafe_path_is_refused(verify):
    files = members(OLD_PACK.read_bytes())
    manifest = json.loads(files["manifest.json"])
    manifest["files"].append({"path": "../../etc/passwd", "sha256": "0" * 64, "size": 1})
    files["manifest.json"] = json.dumps(manifest).encode()
    result = verify(zipped(files))
    assert result.exit_code == 1 and "manifest.json: refused: lists '../../etc/passwd'" in result.output


def test_checkpoint_options_on_a_pack_without_a_ledger_fail(verify, tmp_path):
    note = tmp_path / "later.txt"
    note.write_text("crm-sandbox/ledger\n10\nAAAA\n")
    result = verify(OLD_PACK.read_bytes(), "--checkpoint", str(note))
    assert result.exit_code == 1 and "carries no ledger checkpoint to compare the later one with" in result.output


# --- the ledger section: hand-built leaves and proofs against crypto/merkle.py ------------------------------
KEY = Ed25519PrivateKey.generate()
PEM = KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
ORIGIN = "crm-sandbox.test/ledger"
LEAVES = [f"record {i}".encode() for i in range(13)]
HASHES = [merkle.leaf_hash(d) for d in LEAVES]


def note(size: int, root: bytes, key: Ed25519PrivateKey = KEY, origin: str = ORIGIN) -> str:
    """A stand-in for the ledger's signed checkpoint note: origin, size, root, then a signature line."""
    body = f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"
    return body + "\n\u2014 " + base64.b64encode(key.sign(body.encode())).decode() + "\n"


def parse_note(text: str, public_pem: str | bytes) -> pack.CheckpointView:
    body, _, sig = text.partition("\n\u2014 ")
    try:
        ok = signing.verify(public_pem, body.encode(), base64.b64decode(sig.strip()))
        origin, size, root = body.splitlines()
        view = pack.CheckpointView(origin, int(size), base64.b64decode(root))
    except (ValueError, signing.SigningKeyError) as err:
        raise ValueError(f"not a checkpoint note ({err})") from None
    if not ok:
        raise ValueError("the checkpoint's signature is invalid")
    return view


def section(size: int = 10, indices=(2, 5, 9), contact: str = "c-1", leaf_of=None) -> dict[str, bytes]:
    tree = HASHES[:size]
    records = [
        {
            "ref": f"event:{i}",
            "contact": contact,
            "index": i,
            "leaf": (leaf_of or LEAVES.__getitem__)(i),
            "proof": merkle.inclusion_proof(i, tree),
        }
        for i in indices
    ]
    proofs = pack.proofs_document(size, merkle.root(tree), records)
    return {
        pack.LEDGER_CHECKPOINT: note(size, merkle.root(tree)).encode(),
        pack.LEDGER_PROOFS: json.dumps(proofs).encode(),
    }


def check(sec, **kw):
    return pack.check_ledger_section(sec, PEM, contacts={"c-1"}, parse_note=parse_note, **kw)


def test_proofs_against_the_signed_checkpoint_verify():
    assert check(section()) == []
    later = (note(13, merkle.root(HASHES)), merkle.consistency_proof(10, HASHES))
    assert check(section(), later=later) == []


def test_a_changed_leaf_is_not_in_the_checkpoint():
    problems = check(section(leaf_of=lambda i: b"edited" if i == 5 else LEAVES[i]))
    assert problems == [
        "ledger/proofs.json: event:5: not in the signed checkpoint (its leaf or inclusion proof is wrong)"
    ]


def test_a_proof_for_another_pack_is_named():
    assert check(section(contact="c-99"))[0] == (
        "ledger/proofs.json: event:2 belongs to c-99, which is not in this pack (a proof for another pack?)"
    )
    other = section(size=12)  # another pack's proofs, against another checkpoint
    problems = check(
        {pack.LEDGER_CHECKPOINT: section()[pack.LEDGER_CHECKPOINT], pack.LEDGER_PROOFS: other[pack.LEDGER_PROOFS]}
    )
    assert problems == [
        "ledger/proofs.json: made for another checkpoint (size 12, not the 10 of ledger/checkpoint.txt): "
        "proofs from another pack?"
    ]


def test_an_old_checkpoint_presented_as_new_is_refused():
    old = (note(7, merkle.root(HASHES[:7])), merkle.consistency_proof(7, HASHES[:10]))
    assert check(section(), later=old) == [
        "the later checkpoint (size 7) is older than the pack's (size 10): an old checkpoint presented as new"
    ]


def test_a_log_rewritten_after_the_pack_fails_consistency():
    rewritten = HASHES[:4] + [merkle.leaf_hash(b"rewritten")] + HASHES[5:]
    later = (note(13, merkle.root(rewritten)), merkle.consistency_proof(10, rewritten))
    problems = check(section(), later=later)
    assert len(problems) == 1 and problems[0].startswith(
        "the pack's checkpoint (size 10) is not a prefix of the later one (size 13): "
        "the log was rewritten after the pack was made"
    )


def test_a_checkpoint_signed_by_another_key_and_no_parser_are_named():
    forged = section()
    forged[pack.LEDGER_CHECKPOINT] = note(10, merkle.root(HASHES[:10]), key=Ed25519PrivateKey.generate()).encode()
    assert check(forged) == ["ledger/checkpoint.txt: the checkpoint's signature is invalid"]
    assert pack.check_ledger_section(section(), PEM) == [
        "ledger/checkpoint.txt: this release cannot check ledger proofs (no ledger note parser)"
    ]


def test_check_pack_checks_a_packs_ledger_section():
    """A whole @2 pack with a ledger section, signed by KEY: the seam the ledger's export fills in."""
    mac = "ab" * 32
    session = {
        "contact": {"id": "c-1", "learner": "learner1"},
        "events": [{"seq": 1}, {"seq": 2}],
        "chain": {"seq": 2, "mac": mac, "signature": KEY.sign(head_message(1, 2, mac)).hex()},
    }
    files = {"contacts/c-1/session.json": json.dumps(session).encode(), **section(), "public_key.pem": PEM}
    manifest = {
        "format": pack.FORMAT,
        "learner": {"username": "learner1"},
        "contacts": [{"ref": "c-1", "seq": 2, "mac": mac}],
        "ledger": {"checkpoint": pack.LEDGER_CHECKPOINT, "proofs": pack.LEDGER_PROOFS},
        "files": [{"path": p, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for p, d in files.items()],
    }
    mbytes = json.dumps(manifest).encode()
    data = zipped({"manifest.json": mbytes, "manifest.sig": KEY.sign(mbytes), **files})
    report = pack.check_pack(data, PEM, parse_note=parse_note)
    assert report.ok and report.heads == 1 and report.ledger_records == 3 and report.signer_trusted, report.problems
    old = (note(7, merkle.root(HASHES[:7])), [])
    assert pack.check_pack(data, PEM, parse_note=parse_note, later=old).problems == [
        "the later checkpoint (size 7) is older than the pack's (size 10): an old checkpoint presented as new"
    ]


def test_an_endless_file_is_read_only_up_to_the_limit(runner, monkeypatch):
    """/dev/zero has no size to check first: the read itself is bounded, and the refusal is clear."""
    monkeypatch.setattr(pack, "MAX_PACK", 1024 * 1024)
    result = runner.invoke(args=["verify-pack", "/dev/zero", "--public-key", str(OLD_KEY)])
    assert result.exit_code != 0 and "larger than 1 MB" in result.output, result.output
    assert "Traceback" not in result.output
