"""The assessor's pages: the cohort's contacts (review arrives with the review issue)."""
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, User
from crm_sandbox.views.access import roles_required

bp = Blueprint("assessor", __name__, url_prefix="/assessor")


@bp.get("/")
@roles_required("assessor", "trainer")
def dashboard():
    stmt = select(Contact, User).join(User, Contact.learner_id == User.id).order_by(User.username, Contact.position)
    if current_user.cohort_id is not None:
        stmt = stmt.where(Contact.cohort_id == current_user.cohort_id)
    rows = db.session.execute(stmt).all()
    return render_template("assessor/dashboard.html", rows=rows)
