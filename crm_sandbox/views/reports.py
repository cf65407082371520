"""Reports and exports: printable and PDF observation records, the cohort CSV, signed evidence packs.

Assessors see their own cohort's learners (another cohort's is refused with 403), trainers every
cohort; a learner sees their own contact's report once the assessor has released it (404 before).
Those checks are ``queries/access.py``'s; the data is ``queries/review.py``'s.
"""

from typing import Any

from flask import Blueprint, Response, current_app, render_template
from flask_login import current_user

from crm_sandbox.admin import packs as pack
from crm_sandbox.crypto import signing
from crm_sandbox.errors import Conflict
from crm_sandbox.models import User, utcnow
from crm_sandbox.operations import disclosure
from crm_sandbox.queries import access
from crm_sandbox.queries import kpis as kpi_service
from crm_sandbox.queries.level3.tasks import task_view, tasks_of
from crm_sandbox.queries.review import ContactReview, contact_review, learner_reviews
from crm_sandbox.reports import csv_export, pdf, records
from crm_sandbox.views.access import roles_required
from crm_sandbox.views.helpers import download

bp = Blueprint("reports", __name__, url_prefix="/reports")

STAFF = ("assessor", "trainer")


def template_context() -> dict[str, Any]:
    return {"r": records, "duration": kpi_service.duration}


@bp.get("/contacts/<int:contact_id>")
@roles_required("assessor", "trainer", "learner")
def contact(contact_id: int) -> str:
    review = contact_review(access.report_contact(current_user, contact_id))
    page = render_template("reports/contact.html", review=review, generated_at=utcnow(), **template_context())
    disclosure.contact_view(current_user, "report", review.contact, review.events)
    return page


@bp.get("/contacts/<int:contact_id>.pdf")
@roles_required("assessor", "trainer", "learner")
def contact_pdf(contact_id: int) -> Response:
    contact = access.report_contact(current_user, contact_id)
    review = contact_review(contact)
    data = pdf.contact_pdf(review)
    disclosure.contact_view(current_user, "report-pdf", contact, review.events)
    return download(
        data, "application/pdf", f"observation-{records.contact_ref(contact)}-{contact.learner.username}.pdf"
    )


@bp.get("/learners/<int:learner_id>")
@roles_required(*STAFF)
def learner(learner_id: int) -> str:
    learner = access.report_learner(current_user, learner_id, leave_out_blind=True)
    reviews, left_out = _reviews_shown(learner)
    page = render_template(
        "reports/learner.html",
        learner=learner,
        reviews=reviews,
        left_out=left_out,
        generated_at=utcnow(),
        learner_kpis=kpi_service.learner_kpis([rv.kpis for rv in reviews]),
        level3=[task_view(t) for t in tasks_of(learner.id)],
        **template_context(),
    )
    disclosure.learner_view(current_user, "learner-report", learner, [(rv.contact, rv.events) for rv in reviews])
    return page


@bp.get("/learners/<int:learner_id>.pdf")
@roles_required(*STAFF)
def learner_pdf(learner_id: int) -> Response:
    learner = access.report_learner(current_user, learner_id, leave_out_blind=True)
    reviews, left_out = _reviews_shown(learner)
    data = pdf.learner_pdf(learner, reviews, left_out=left_out)
    disclosure.learner_view(current_user, "learner-report-pdf", learner, [(rv.contact, rv.events) for rv in reviews])
    return download(data, "application/pdf", f"learner-record-{learner.username}.pdf")


def _reviews_shown(learner: User) -> tuple[list[ContactReview], int]:
    """The reviews the current user may read, and how many contacts were left out (those they mark blind)."""
    blind = access.blind_contacts_of(current_user, learner)
    return learner_reviews(learner, leave_out=blind), len(blind)


@bp.get("/learners/<int:learner_id>/evidence-pack.zip")
@roles_required(*STAFF)
def learner_pack(learner_id: int) -> Response:
    learner = access.report_learner(current_user, learner_id)
    created_at = utcnow()
    try:
        data = pack.build_verified_pack(learner, created_at)
    except pack.PackRefused as err:  # a clear refusal page naming the problem: a pack never signs bad evidence
        current_app.logger.warning("evidence pack for %s refused: %s", learner.username, err)
        raise EvidenceDoesNotVerify(str(err)) from err
    current_app.logger.info("evidence pack for %s exported by %s", learner.username, current_user.username)
    disclosure.pack_view(current_user, learner)
    return download(data, "application/zip", pack.pack_filename(learner, created_at))


class EvidenceDoesNotVerify(Conflict):
    title = "Evidence does not verify"


@bp.get("/cohorts/<int:cohort_id>/findings.csv")
@roles_required(*STAFF)
def cohort_findings(cohort_id: int) -> Response:
    cohort = access.report_cohort(current_user, cohort_id)
    text = "\ufeff" + csv_export.cohort_findings_csv(cohort)  # the BOM makes Excel read UTF-8 (£, names)
    slug = "".join(ch if ch.isalnum() else "-" for ch in cohort.name.lower()).strip("-")
    return download(text.encode("utf-8"), "text/csv", f"findings-{slug or cohort.id}.csv")  # Flask adds charset=utf-8


@bp.get("/public-key")
def public_key() -> str:
    """Public: quality assurers compare this fingerprint with the one a pack was verified against."""
    pem = signing.public_key_pem()
    return render_template("reports/public_key.html", pem=pem, fingerprint=signing.fingerprint(pem))
