"""The trainer console: cohorts and the scenario library (management arrives with the trainer issue)."""
from flask import Blueprint, current_app, render_template
from sqlalchemy import func, select

from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Customer, User
from crm_sandbox.scenarios import load_library
from crm_sandbox.views.access import roles_required

bp = Blueprint("trainer", __name__, url_prefix="/trainer")


@bp.get("/")
@roles_required("trainer")
def console():
    customers = dict(db.session.execute(
        select(Customer.cohort_id, func.count(Customer.id)).group_by(Customer.cohort_id)).all())
    learners = dict(db.session.execute(
        select(User.cohort_id, func.count(User.id)).where(User.role == "learner").group_by(User.cohort_id)).all())
    cohorts = db.session.execute(select(Cohort).order_by(Cohort.name)).scalars().all()
    return render_template("trainer/console.html", cohorts=cohorts, customers=customers, learners=learners,
                           library=load_library(current_app.config["SEED_DIR"]))
