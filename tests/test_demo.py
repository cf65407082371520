"""`flask demo` on a freshly bootstrapped instance: played and reviewed contacts whose evidence checks
out, the same every time, refused a second time and without the demo accounts."""

from sqlalchemy import select

from crm_sandbox import create_app
from crm_sandbox.content.criteria import criteria_for, load_qualifications
from crm_sandbox.extensions import db
from crm_sandbox.models import Assessment, Contact, CriterionJudgement, Event, Finding, User
from tests.conftest import dispose_engines, stored_rows
from tests.helpers import signed_in

EVIDENCE = ("contact", "event", "finding", "finding_decision", "criterion_judgement", "assessment", "customer")


def bootstrapped(app):
    """``flask bootstrap`` then ``flask demo`` on ``app`` (a small world: 40 customers); the demo's result."""
    app.config["DEMO_CUSTOMERS"] = 40
    runner = app.test_cli_runner()
    assert runner.invoke(args=["bootstrap"]).exit_code == 0
    return runner.invoke(args=["demo"])


def played(app) -> dict:
    """(learner, scenario) -> (status, outcome, acknowledged, {rule: decisions}, judged criteria) of every
    contact that is no longer queued."""
    with app.app_context():
        out = {}
        for c in db.session.execute(select(Contact).where(Contact.status != "queued")).scalars():
            a = db.session.execute(select(Assessment).where(Assessment.contact_id == c.id)).scalar_one_or_none()
            findings = db.session.execute(select(Finding).where(Finding.contact_id == c.id, Finding.active)).scalars()
            judged = (
                db.session.execute(select(CriterionJudgement.met).where(CriterionJudgement.contact_id == c.id))
                .scalars()
                .all()
            )
            out[(c.learner.username, c.scenario_id)] = (
                c.status,
                a and a.outcome,
                bool(a and a.released_at and a.acknowledged_at),
                {f.rule: [d.decision for d in f.decisions] for f in findings},
                judged,
            )
        return out


def covered_criteria(app) -> dict[str, int]:
    """learner1's contacts: scenario -> how many of the learner's criteria the scenario covers."""
    from crm_sandbox.queries.review import contact_review

    with app.app_context():
        learner = db.session.execute(select(User).where(User.username == "learner1")).scalar_one()
        contacts = db.session.execute(select(Contact).where(Contact.learner_id == learner.id)).scalars()
        return {c.scenario_id: sum(1 for row in contact_review(c).criteria if row.covered) for c in contacts}


def event_log(app) -> list[tuple]:
    """Every event as (learner, scenario, seq, type, actor, data): what must repeat run after run."""
    with app.app_context():
        rows = db.session.execute(
            select(User.username, Contact.scenario_id, Event.seq, Event.type, Event.actor, Event.data)
            .join(Contact, Event.contact_id == Contact.id)
            .join(User, Contact.learner_id == User.id)
            .order_by(Contact.id, Event.seq)
        )
        return [tuple(r) for r in rows]


def test_demo_leaves_reviewed_contacts_whose_evidence_verifies(app, tmp_path):
    result = bootstrapped(app)
    assert result.exit_code == 0, result.output
    assert "learner1: Missing refund (reviewed: competent" in result.output
    quals = load_qualifications(app.config["SEED_DIR"])  # the demo cohort's: the default
    contacts, criteria = played(app), len(criteria_for(app.config["SEED_DIR"], quals.get(quals.default)))
    # every criterion the scenario covers is judged; the rest stand at their default, not covered
    covered = covered_criteria(app)
    assert 0 < covered["missing-refund"] < criteria and 0 < covered["balance-enquiry"] < criteria
    assert contacts == {
        ("learner1", "missing-refund"): ("closed", "competent", True, {}, [True] * covered["missing-refund"]),
        ("learner1", "balance-enquiry"): (
            "closed",
            "not_yet_competent",
            True,
            {"leading-verification-question": ["confirmed"], "disclosure-before-verification": ["confirmed"]},
            contacts[("learner1", "balance-enquiry")][4],
        ),
        ("learner2", "change-of-address"): ("closed", None, False, {}, []),
    }
    assert sorted(contacts[("learner1", "balance-enquiry")][4]) == [False] + [True] * (covered["balance-enquiry"] - 1)

    runner = app.test_cli_runner()
    log = runner.invoke(args=["verify-log"])
    assert log.exit_code == 0 and "3 with signed heads" in log.output, log.output
    pack = tmp_path / "learner1.zip"
    assert runner.invoke(args=["export-pack", "learner1", "-o", str(pack)]).exit_code == 0
    checked = runner.invoke(args=["verify-pack", str(pack)])
    assert checked.exit_code == 0 and checked.output.startswith("OK:"), checked.output


def test_demo_content_shows_on_the_dashboard_and_the_learners_report(app):
    assert bootstrapped(app).exit_code == 0
    password = app.config["DEMO_PASSWORD"]
    assessor = signed_in(app, "assessor1", password)
    board = assessor.get("/assessor/").get_data(as_text=True)
    assert "Awaiting review (1)" in board and "Change of address" in board and "learner2" in board
    with app.app_context():
        careless = db.session.execute(
            select(Contact.id)
            .join(User, Contact.learner_id == User.id)
            .where(User.username == "learner1", Contact.scenario_id == "balance-enquiry")
        ).scalar_one()
    learner = signed_in(app, "learner1", password)
    report = learner.get(f"/learner/contacts/{careless}/report")
    assert report.status_code == 200
    html = report.get_data(as_text=True)
    assert "Not yet competent" in html and "gave the balance before the caller had passed security" in html
    assert "leading-verification-question" in html and "You signed this report at" in html
    assert 'name="comment"' not in html  # already acknowledged: no form to sign again


def test_a_second_run_is_refused_and_changes_nothing(app):
    assert bootstrapped(app).exit_code == 0
    before = stored_rows(app, EVIDENCE)
    again = app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 1 and "already run on Demo cohort" in again.output
    assert stored_rows(app, EVIDENCE) == before


def test_refused_cleanly_without_the_demo_cohort_or_its_accounts(app):
    runner = app.test_cli_runner()
    no_cohort = runner.invoke(args=["demo"])
    assert no_cohort.exit_code == 1 and "no cohort called 'Demo cohort'" in no_cohort.output
    app.config["DEMO_CUSTOMERS"] = 40
    runner.invoke(args=["bootstrap"])
    with app.app_context():
        db.session.delete(db.session.execute(select(User).where(User.username == "assessor1")).scalar_one())
        db.session.commit()
    before = stored_rows(app, EVIDENCE)
    no_assessor = runner.invoke(args=["demo"])
    assert no_assessor.exit_code == 1 and "no account assessor1" in no_assessor.output
    assert "Traceback" not in no_assessor.output and stored_rows(app, EVIDENCE) == before


def test_the_same_events_and_outcomes_on_every_instance_seeded_alike(app, tmp_path, database_uri):
    other = create_app(
        {**app.config, "SQLALCHEMY_DATABASE_URI": database_uri("other.sqlite")},
        instance_path=str(tmp_path / "other-instance"),
    )
    try:  # an empty database: bootstrap builds it through the migrations
        assert bootstrapped(app).exit_code == 0 and bootstrapped(other).exit_code == 0
        assert event_log(app) == event_log(other) and played(app) == played(other)
    finally:
        dispose_engines(other)


def test_make_runs_first_start_plays_the_demo_and_later_starts_do_not(app):
    """`make run` calls `flask bootstrap --play-demo`: the first start seeds and plays; the next only starts."""
    app.config["DEMO_CUSTOMERS"] = 40
    runner = app.test_cli_runner()
    first = runner.invoke(args=["bootstrap", "--play-demo"])
    assert first.exit_code == 0, first.output
    assert "demo: learner1: Missing refund (reviewed: competent" in first.output
    before = played(app)
    second = runner.invoke(args=["bootstrap", "--play-demo"])
    assert second.exit_code == 0, second.output
    assert "demo:" not in second.output and played(app) == before


def test_the_demo_plays_when_the_caller_takes_a_persons_time_to_reply(app):
    """`make run` serves with the caller's reply delays on: the demo still plays every contact (its caller
    answers at once), and the setting is as it was afterwards."""
    app.config["DEMO_CUSTOMERS"] = 40
    app.config["CALLER_REPLY_DELAYS"] = True
    result = app.test_cli_runner().invoke(args=["bootstrap", "--play-demo"])
    assert result.exit_code == 0, result.output
    assert "demo: learner1: Missing refund (reviewed: competent" in result.output
    assert app.config["CALLER_REPLY_DELAYS"] is True


def test_the_demo_has_level_3_work_to_see(app):
    """leader1 (Level 3): a submitted quality review with the comparison, the team task over the seeded
    history and a signed professional discussion; learner1, whose contact was reviewed, reads the feedback."""
    result = bootstrapped(app)
    assert result.exit_code == 0 and "leader1: quality review" in result.output, result.output
    password = app.config["DEMO_PASSWORD"]
    leader = signed_in(app, "leader1", password)
    mine = leader.get("/level3/").get_data(as_text=True)
    assert mine.count('href="/level3/tasks/') == 3 and "Submitted" in mine and "Competent" in mine
    with app.app_context():
        from crm_sandbox.models import Level3Task

        review = db.session.execute(select(Level3Task).where(Level3Task.kind == "quality_review")).scalar_one()
    page = leader.get(f"/level3/tasks/{review.id}").get_data(as_text=True)
    assert "The trainer&#39;s reference scoring" in page and "The rules&#39; findings" in page
    assert "Agent Assessor" not in page and "learner1" not in page and "Alex" not in page
    board = leader.get("/level3/dashboard").get_data(as_text=True)
    assert "Agent H" in board and "not yet in the team" in board  # the seeded team history
    feedback = signed_in(app, "learner1", password).get("/level3/").get_data(as_text=True)
    assert "finish security before you give the balance" in feedback
