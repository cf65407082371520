"""Quality scorecards are data (seed/scorecards/), checked on load: weights that do not sum to 100,
duplicate ids, unknown auto-fail rules are refused with a plain message; a card that fails is never
offered, and the trainer's Level 3 page names its problems (no 500). Pure tests need no app."""

import html
import shutil
from pathlib import Path

import pytest
import yaml

from crm_sandbox.content.scorecards import check, load_scorecards

SEED = Path(__file__).resolve().parents[1] / "seed"
GOOD = yaml.safe_load((SEED / "scorecards" / "contact-quality.yaml").read_text(encoding="utf-8"))


def changed(edit) -> dict:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    edit(data)
    return data


def test_the_seeded_scorecard_is_sound_and_scores_as_documented():
    assert check(GOOD) == []
    cards, bad = load_scorecards(str(SEED))
    card = cards["contact-quality"]
    assert bad == {} and sum(i.weight for i in card.items) == 100
    every = {i.id for i in card.items}
    assert card.score(every, set()) == 100 and card.score(every, {"idv-breach"}) == 0
    assert card.failed_by({"change-before-verification"}) == {"idv-breach"}
    assert card.unmet_by({"missing-log"}) == {"notes"}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["sections"][0]["items"][0].update(weight=6), "the item weights add up to 101, not 100"),
        (lambda d: d["sections"][1]["items"][0].update(id="greeting"), "the id 'greeting' is used twice"),
        (lambda d: d["auto_fail"][0].update(rules=["no-such-rule"]), "names unknown rule(s) no-such-rule"),
        (lambda d: d["auto_fail"][1].update(rules=[]), "auto-fail item 'third-party-disclosure' names no rule"),
        (lambda d: d["sections"][0]["items"][0].update(weight="ten"), "needs a whole-number weight above 0"),
        (lambda d: d["sections"][0]["items"][0].pop("id"), "a item has no id"),
        (lambda d: d.pop("title"), "it has no title"),
    ],
)
def test_an_unsound_scorecard_is_refused_with_a_plain_message(edit, message):
    problems = check(changed(edit))
    assert any(message in p for p in problems), problems


def test_not_a_scorecard_at_all():
    assert check(["a", "list"]) == ["the file is not a scorecard (expected id, title, sections and auto_fail)"]


def test_an_unsound_file_is_not_offered_and_its_problems_are_shown(app, tmp_path, make_user):
    seed = tmp_path / "seed"
    shutil.copytree(SEED, seed)
    (seed / "scorecards" / "broken.yaml").write_text(
        yaml.safe_dump(changed(lambda d: (d.update(id="broken"), d["sections"][0]["items"][0].update(weight=50)))),
        encoding="utf-8",
    )
    (seed / "scorecards" / "garbled.yaml").write_text("id: [unclosed", encoding="utf-8")
    app.config["SEED_DIR"] = str(seed)
    cards, bad = load_scorecards(str(seed))
    assert set(cards) == {"contact-quality"} and set(bad) == {"broken.yaml", "garbled.yaml"}
    make_user("lead1")
    trainer = make_user("trainer1", "trainer", in_cohort=False)
    client = app.test_client()
    client.post("/auth/login", data={"username": "trainer1", "password": "correct-horse-battery"})
    with app.app_context():
        from crm_sandbox.extensions import db
        from crm_sandbox.models import User

        cohort = db.session.query(User).filter_by(username="lead1").one().cohort_id
    resp = client.get(f"/level3/cohorts/{cohort}")
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200 and trainer
    assert "broken.yaml is not offered: the item weights add up to 145, not 100" in page
    assert "garbled.yaml is not offered: it cannot be read as YAML" in page
    assert '<option value="broken"' not in page
