"""Signing in and out, CSRF on every form, and the app finding its folders."""

import os

import pytest

from crm_sandbox import create_app
from crm_sandbox.extensions import db


def test_templates_and_static_are_found_beside_the_package(app):
    assert os.path.isfile(os.path.join(app.template_folder, "base.html"))
    assert os.path.isfile(os.path.join(app.static_folder, "css", "app.css"))


def test_sign_in_page_is_served(client):
    resp = client.get("/auth/login")
    assert resp.status_code == 200 and "Sign in" in resp.get_data(as_text=True)


def test_each_role_lands_on_its_home_page(client, make_user, login):
    make_user("learner1", queue=["balance-enquiry"])
    make_user("assessor1", "assessor")
    make_user("trainer1", "trainer", in_cohort=False)
    for username, home in (("learner1", "/learner/"), ("assessor1", "/assessor/"), ("trainer1", "/trainer/")):
        assert login(username).headers["Location"] == home
        client.post("/auth/logout")


def test_unknown_user_and_wrong_password_get_the_same_answer(client, make_user, login):
    make_user("learner1")
    unknown = login("nobody")
    wrong = login("learner1", "not-the-password")
    assert unknown.status_code == wrong.status_code == 200
    body = unknown.get_data(as_text=True)
    assert "do not match" in body
    assert body.replace("nobody", "learner1") == wrong.get_data(as_text=True)


def test_disabled_account_cannot_sign_in(app, client, make_user, login):
    from crm_sandbox.models import User

    uid = make_user("learner1")
    with app.app_context():
        db.session.get(User, uid).active = False
        db.session.commit()
    assert "do not match" in login("learner1").get_data(as_text=True)


def test_sign_out_ends_access(client, make_user, login):
    make_user("learner1", queue=["balance-enquiry"])
    login("learner1")
    assert client.get("/learner/").status_code == 200
    client.post("/auth/logout")
    assert client.get("/learner/").status_code == 302


@pytest.fixture
def csrf_app(tmp_path, database_uri):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "BLIND_INDEX_KEY": "k",
            "SQLALCHEMY_DATABASE_URI": database_uri("csrf.sqlite"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        },
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        db.create_all()
    return app


def test_a_form_without_its_csrf_token_is_refused_with_a_clear_message(csrf_app):
    client = csrf_app.test_client()
    for url in ("/auth/login", "/auth/logout", "/learner/contacts/1/search", "/learner/contacts/1/verify"):
        resp = client.post(url, data={"username": "x", "password": "y", "query": "Smith"})
        assert resp.status_code == 400, url
        assert "security token" in resp.get_data(as_text=True)


def test_the_pages_script_gets_the_csrf_refusal_as_json(csrf_app):
    """The desk's and the observe page's scripts show the message: they need JSON, not the error page."""
    resp = csrf_app.test_client().post(
        "/learner/contacts/1/messages", data={"text": "Hello"}, headers={"X-Requested-With": "fetch"}
    )
    assert resp.status_code == 400 and resp.is_json
    assert resp.get_json()["ok"] is False and "security token" in resp.get_json()["error"]
