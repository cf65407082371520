"""Signing in and out."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from crm_sandbox.errors import ServiceError
from crm_sandbox.extensions import login_manager
from crm_sandbox.models import User
from crm_sandbox.operations import signin as sessions
from crm_sandbox.operations.cohorts.accounts import authenticate
from crm_sandbox.operations.cohorts.enrolment import MIN_PASSWORD
from crm_sandbox.operations.cohorts.enrolment import change_password as change_password_service

bp = Blueprint("auth", __name__, url_prefix="/auth")

HOME = {
    "learner": "learner.queue",
    "assessor": "assessor.dashboard",
    "trainer": "trainer.console",
    "iqa": "quality.home",
    "eqa": "quality.home",
}


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """The user of a live server-side session (ended, expired or unknown sessions load nobody)."""
    user = sessions.user_for_token(token)
    if user is not None:
        user.session_token = token
    return user


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=200)])
    new = PasswordField("New password", validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField("New password again", validators=[DataRequired(), Length(max=200)])


# What a user with a one-time password may still reach before changing it.
BEFORE_PASSWORD_CHANGE = {"auth.change_password", "auth.logout", "static"}


@bp.before_app_request
def require_password_change() -> ResponseReturnValue | None:
    """Send a user who still has a one-time password to the change-password page, before anything else."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in BEFORE_PASSWORD_CHANGE
    ):
        return redirect(url_for("auth.change_password"))
    return None


def index() -> ResponseReturnValue:
    """Send each user to their role's home page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOME[current_user.role]))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if form.validate_on_submit():
        address = request.remote_addr  # the client's own, or the trusted proxy's forwarded one (ProxyFix)
        # Counted before the password is checked (atomically), so parallel guesses cannot outrun the limit.
        if not sessions.count_attempt(form.username.data, address):
            flash(
                f"Too many failed sign-ins. Wait {current_app.config['LOGIN_THROTTLE_MINUTES']} minutes, "
                "then try again.",
                "error",
            )
            return render_template("auth/login.html", form=form), 429
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            flash("That username and password do not match an active account.", "error")
        else:
            sessions.attempt_succeeded(form.username.data, address)
            session.clear()  # a new session at sign-in: nothing carried over from before
            user.session_token = sessions.start_session(user)
            login_user(user)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(url_for(HOME[user.role]))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:
        sessions.end_session(current_user.session_token)
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    """Choose a new password (required at first sign-in with a one-time password)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password_service(
                current_user.id,
                form.current.data,
                form.new.data,
                form.confirm.data,
                address=request.remote_addr,
                keep_token=current_user.session_token,
            )
        except ServiceError as err:
            flash(str(err), "error")
            status = err.status if err.status == 429 else 200
            return render_template(
                "auth/change_password.html",
                form=form,
                first=current_user.must_change_password,
                min_length=MIN_PASSWORD,
            ), status
        else:
            flash("Your password has been changed.", "success")
            return redirect(url_for(HOME[current_user.role]), 303)
    return render_template(
        "auth/change_password.html", form=form, first=current_user.must_change_password, min_length=MIN_PASSWORD
    )
