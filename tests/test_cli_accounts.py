"""`bootstrap` (what `make run` runs first) and `create-user`: accounts, and a queue for each learner."""

from sqlalchemy import func, select, update

from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, User


def queues(app) -> dict[str, int]:
    with app.app_context():
        return dict(
            db.session.execute(
                select(User.username, func.count(Contact.id))
                .outerjoin(Contact, Contact.learner_id == User.id)
                .group_by(User.id)
            ).all()
        )


def test_bootstrap_creates_the_demo_accounts_once_with_queues(app):
    app.config["DEMO_CUSTOMERS"] = 40
    runner = app.test_cli_runner()
    first = runner.invoke(args=["bootstrap"])
    assert first.exit_code == 0 and "learner1" in first.output and app.config["DEMO_PASSWORD"] in first.output
    made = queues(app)
    assert made["learner1"] > 0 and made["learner1"] == made["learner2"] and made["assessor1"] == 0
    assert runner.invoke(args=["bootstrap"]).exit_code == 0 and queues(app) == made  # nothing added again


def test_create_user_gives_a_learner_a_queue(app):
    app.config["DEMO_CUSTOMERS"] = 40
    runner = app.test_cli_runner()
    runner.invoke(args=["bootstrap"])
    result = runner.invoke(
        args=[
            "create-user",
            "alice",
            "--role",
            "learner",
            "--cohort",
            "Demo cohort",
            "--password",
            "long-enough-password-1",
        ]
    )
    assert result.exit_code == 0, result.output
    assert queues(app)["alice"] == queues(app)["learner1"]
    refused = runner.invoke(args=["create-user", "bob", "--role", "learner", "--password", "long-enough-password-1"])
    assert refused.exit_code != 0 and "needs a cohort" in refused.output


def test_bootstrap_prints_only_the_demo_logins_that_can_sign_in(app):
    app.config["DEMO_CUSTOMERS"] = 40
    runner = app.test_cli_runner()
    runner.invoke(args=["bootstrap"])
    reset = runner.invoke(args=["reset-cohort", "Demo cohort", "--yes"])
    assert reset.exit_code == 0, reset.output
    after_reset = runner.invoke(args=["bootstrap"])
    assert after_reset.exit_code == 0
    listed = [line.split() for line in after_reset.output.splitlines() if line.startswith("  ")]
    # the cohort's learners and assessor went with the reset; the trainer and the quality assurers stay
    assert listed == [["trainer", "trainer1"], ["iqa", "iqa1"], ["eqa", "eqa1"]]

    # A new account that takes a demo name after the reset has its own password: not listed as a demo login.
    imported = runner.invoke(
        args=["create-user", "learner1", "--role", "learner", "--cohort", "Demo cohort"],
        input="a-new-own-password\na-new-own-password\n",
    )
    assert imported.exit_code == 0, imported.output
    listed = [line.split() for line in runner.invoke(args=["bootstrap"]).output.splitlines() if line.startswith("  ")]
    assert listed == [["trainer", "trainer1"], ["iqa", "iqa1"], ["eqa", "eqa1"]]

    with app.app_context():
        db.session.execute(update(User).where(User.username.in_(("trainer1", "iqa1", "eqa1"))).values(active=False))
        db.session.commit()
    none_left = runner.invoke(args=["bootstrap"])
    assert none_left.exit_code == 0
    assert "No demo accounts: the demo cohort was reset" in none_left.output
    assert "trainer1" not in none_left.output and app.config["DEMO_PASSWORD"] not in none_left.output
