"""Signing in and out."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from crm_sandbox.extensions import db, login_manager
from crm_sandbox.models import User
from crm_sandbox.services.accounts import authenticate

bp = Blueprint("auth", __name__, url_prefix="/auth")

HOME = {"learner": "learner.queue", "assessor": "assessor.dashboard", "trainer": "trainer.console"}


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


def index():
    """Send each user to their role's home page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOME[current_user.role]))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            flash("That username and password do not match an active account.", "error")
        else:
            login_user(user)
            return redirect(url_for(HOME[user.role]))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))
