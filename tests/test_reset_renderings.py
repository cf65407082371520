"""A reset archives the evidence first and renders the packs' printable PDFs after its transaction, from a
read snapshot of the evidence as archived, into a second signed file beside each pack."""

import io
import json
import zipfile

from sqlalchemy import func, select

from crm_sandbox.admin import archive, packs, renderings
from crm_sandbox.admin.packs import verify_pack
from crm_sandbox.admin.reset import reset_cohort
from crm_sandbox.extensions import db
from crm_sandbox.models import ArchivedPack, Contact
from tests.test_reset import archive_dir, world  # noqa: F401  (the reset tests' cohorts and archive folder)


def archived(app) -> dict[str, tuple[ArchivedPack, bytes, bytes]]:
    """username -> (the pack's record, its zip, its renderings' zip)."""
    with app.app_context():
        found = {}
        for pack in db.session.execute(select(ArchivedPack)).scalars():
            beside = renderings.path_beside(archive.pack_path(pack))
            found[pack.learner_username] = (pack, archive.stored_pack(pack), archive.unseal(beside.read_bytes()))
        return found


def test_the_pdfs_come_after_the_transaction_in_a_second_signed_file(app, world, runner):  # noqa: F811
    steps = []
    with app.app_context():
        result = reset_cohort("Test cohort", progress=lambda step, done, total: steps.append((step, done, total)))
        assert result.renderings_failed == ""
        assert (
            db.session.execute(select(func.count(Contact.id)).where(Contact.cohort_id == world["cohort"])).scalar() == 0
        )
    assert [s for s in steps if s[0] == "render"] == [("render", 1, 2), ("render", 2, 2)]
    assert steps.index(("render", 1, 2)) > max(i for i, s in enumerate(steps) if s[0] == "seed")  # after the commit
    for username, (pack, data, rendered) in archived(app).items():
        assert verify_pack(data) == [], username  # the evidence: complete and verifiable without its PDFs
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            assert not [n for n in zf.namelist() if n.endswith(".pdf")]
            manifest = json.loads(zf.read(packs.MANIFEST))
            folders = {n.split("/")[1] for n in zf.namelist() if n.startswith("contacts/")}
        assert manifest["printable"] == packs.PRINTABLE_ELSEWHERE
        with zipfile.ZipFile(io.BytesIO(rendered)) as zf:
            names = set(zf.namelist())
            pdf = zf.read("learner-report.pdf")
        # every contact the pack carries has its observation record, rendered from the evidence as archived
        assert names == {renderings.MANIFEST, renderings.SIGNATURE, "learner-report.pdf"} | {
            f"contacts/{f}/report.pdf" for f in folders
        }
        assert pdf.startswith(b"%PDF")
        with app.app_context():
            assert renderings.verify_renderings(rendered, data) == []
            assert archive.learner_report(pack) == pdf
            path = archive.pack_path(pack)
            assert renderings.path_beside(path).name.endswith(renderings.SUFFIX)
        cli = runner.invoke(args=["verify-pack", str(path)])
        assert cli.exit_code == 0 and "printable PDFs beside it" in cli.output, cli.output


def test_an_edited_or_swapped_renderings_file_is_named(app, world):  # noqa: F811
    with app.app_context():
        reset_cohort("Test cohort")
    found = archived(app)
    (_, pack1, rendered1), (_, _, rendered2) = found["learner1"], found["learner2"]
    with app.app_context():
        assert renderings.verify_renderings(rendered2, pack1) == [
            "renderings.json: renders another pack (its manifest's SHA-256 differs)"
        ]
    with zipfile.ZipFile(io.BytesIO(rendered1)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["learner-report.pdf"] += b"%% edited"
    members["extra.pdf"] = b"%PDF-"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with app.app_context():
        problems = renderings.verify_renderings(buf.getvalue(), pack1)
    assert problems == [
        "learner-report.pdf: bytes changed (SHA-256 does not match renderings.json)",
        "extra.pdf: added (not in renderings.json)",
    ]
    members["renderings.json"] = members["renderings.json"].replace(b"learner1", b"learner9")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with app.app_context():
        assert renderings.verify_renderings(buf.getvalue(), pack1)[0].startswith("renderings.sig: signature invalid")
        assert renderings.verify_renderings(b"not a zip") == ["not a readable zip file"]


def test_the_report_of_a_pack_whose_pdfs_were_edited_or_never_rendered_is_refused_clearly(
    app,
    client,
    world,  # noqa: F811
    login,
):
    with app.app_context():
        reset_cohort("Test cohort")
        pack = db.session.execute(select(ArchivedPack).order_by(ArchivedPack.id)).scalars().first()
        beside = renderings.path_beside(archive.pack_path(pack))
        run = archive.pack_path(pack).parent.name
        beside.write_bytes(archive.seal(b"PK not really"))
    login("trainer1")
    report = client.get(f"/trainer/archive/{run}/learners/{pack.id}/report")
    assert report.status_code == 409 and "printable PDFs failed their check" in report.get_data(as_text=True)
    beside.unlink()
    report = client.get(f"/trainer/archive/{run}/learners/{pack.id}/report")
    assert report.status_code == 404 and "were not rendered" in report.get_data(as_text=True)
    assert client.get(f"/trainer/archive/{run}/learners/{pack.id}/pack").status_code == 200  # the evidence


def test_a_rendering_that_fails_after_the_commit_is_reported_and_the_evidence_is_kept(app, world, monkeypatch):  # noqa: F811
    def broken(*args, **kwargs):
        raise RuntimeError("fonts missing")

    monkeypatch.setattr(renderings, "build_renderings", broken)
    with app.app_context():
        result = reset_cohort("Test cohort")
        assert "could not all be rendered (RuntimeError)" in result.renderings_failed
        for pack in result.packs:
            assert archive.check_pack(pack) == []
            assert not renderings.path_beside(archive.pack_path(pack)).exists()
        assert (
            db.session.execute(select(func.count(Contact.id)).where(Contact.cohort_id == world["cohort"])).scalar() == 0
        )


def test_the_pdfs_move_with_their_pack_when_packs_are_resealed_and_go_when_it_is_purged(app, world):  # noqa: F811
    with app.app_context():
        reset_cohort("Test cohort")
        before = {p.learner_username: archive.pack_path(p) for p in db.session.execute(select(ArchivedPack)).scalars()}
        assert archive.reseal_all() == 2
    for username, (pack, data, rendered) in archived(app).items():
        with app.app_context():
            assert archive.pack_path(pack) != before[username]
            assert not renderings.path_beside(before[username]).exists()
            assert renderings.verify_renderings(rendered, data) == []
            assert archive.learner_report(pack).startswith(b"%PDF")
    with app.app_context():
        pack = db.session.execute(select(ArchivedPack).order_by(ArchivedPack.id)).scalars().first()
        path = archive.pack_path(pack)
        archive.remove_files([path])
        assert not renderings.path_beside(path).exists()
