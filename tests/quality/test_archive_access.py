"""After a cohort's reset, its IQA (and an EQA while the account runs) opens the archived evidence packs:
each checked on the archive page, downloadable and verifiable, the learner's record readable; each opening
recorded in who saw what. An IQA of another cohort finds nothing; an expired EQA is signed out."""

import io
import zipfile
from datetime import timedelta

from sqlalchemy import select

from crm_sandbox.admin import packs
from crm_sandbox.admin.reset import reset_cohort
from crm_sandbox.cli import get_or_create_cohort
from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import ArchivedPack, Cohort, DataView, utcnow
from tests.conftest import PASSWORD
from tests.quality.conftest import user
from tests.reporting import pdf_text
from tests.test_access import expire


def signed_in(app, username: str):
    client = app.test_client()
    client.post("/auth/login", data={"username": username, "password": PASSWORD})
    return client


def test_iqa_and_eqa_open_download_and_verify_archived_packs_and_each_view_is_recorded(app, qa, make_user):
    eqa = make_user("eqa1", "eqa", in_cohort=False)
    expire(app, eqa, utcnow() + timedelta(days=30))
    with app.app_context():
        cohort_id = user("learner1").cohort_id
        name = db.session.get(Cohort, cohort_id).name
        result = reset_cohort(name)
        with write_transaction():
            other = get_or_create_cohort("Other cohort")
            db.session.flush()
            other_id = other.id
        run = result.archive_dir.name
        pack = db.session.execute(select(ArchivedPack).where(ArchivedPack.learner_username == "learner1")).scalar_one()
        pack_id = pack.id
    outsider = make_user("iqa2", "iqa", in_cohort=False)
    with app.app_context(), write_transaction():
        user("iqa2").cohort_id = other_id
    assert outsider

    for who in ("iqa1", "eqa1"):
        client = signed_in(app, who)
        page = client.get("/quality/archive").get_data(as_text=True)
        assert name in page and "learner1" in page and "Valid" in page
        download = client.get(f"/quality/archive/{run}/learners/{pack_id}/pack")
        assert download.status_code == 200 and download.mimetype == "application/zip"
        assert packs.verify_pack(download.data) == []  # the centre's signature holds
        with zipfile.ZipFile(io.BytesIO(download.data)) as zf:
            assert "manifest.json" in zf.namelist()
        report = client.get(f"/quality/archive/{run}/learners/{pack_id}/report")
        assert report.status_code == 200 and "learner1" in pdf_text(report.data)

    with app.app_context():
        views = (
            db.session.execute(select(DataView).where(DataView.kind.in_(("archived-pack", "archived-report"))))
            .scalars()
            .all()
        )
        seen = sorted((v.role, v.kind) for v in views)
        assert seen == [
            ("eqa", "archived-pack"),
            ("eqa", "archived-report"),
            ("iqa", "archived-pack"),
            ("iqa", "archived-report"),
        ]
        assert all(v.cohort_id == cohort_id and v.customer_refs and v.fields for v in views)
        assert all("learner1" not in v.detail for v in views)  # no name in the record: erasure-proof

    other_iqa = signed_in(app, "iqa2")
    assert name not in other_iqa.get("/quality/archive").get_data(as_text=True)
    assert other_iqa.get(f"/quality/archive/{run}/learners/{pack_id}/pack").status_code == 404
    assert other_iqa.get(f"/quality/archive/{run}/learners/{pack_id}/report").status_code == 404

    late = signed_in(app, "eqa1")
    expire(app, eqa, utcnow() - timedelta(seconds=1))
    gone = late.get(f"/quality/archive/{run}/learners/{pack_id}/pack")
    assert gone.status_code == 302 and "/auth/login" in gone.headers["Location"]
    with app.app_context():
        assert db.session.query(DataView).filter_by(kind="archived-pack").count() == 2  # nothing more recorded
