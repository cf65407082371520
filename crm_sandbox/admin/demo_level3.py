"""The demo's Level 3 work, played after its contacts (``demo.run_demo``): ``leader1``, a team leader in
training on the Level 3 NVQ (``flask bootstrap`` registers them on it), with a submitted quality review of an example contact and of ``learner1``'s
careless balance enquiry (``learner1`` opted in, and reads the coaching feedback), the team performance
task over the seeded team history, and a professional discussion the assessor recorded and signed.

Everything goes through the operations the Level 3 pages call, so the events are what the people leave.
"""

from sqlalchemy import select

from crm_sandbox.errors import NotFound
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, User
from crm_sandbox.operations.level3 import discussion, quality, tasks
from crm_sandbox.operations.level3.consent import set_review_consent

LEADER = "leader1"
SCORECARD = "contact-quality"
SAMPLE = "sample:sample-address-takeover"
ALL_BUT_IDV = ["greeting", "need", "accurate", "authority", "tone", "confirm", "notes"]
SCORES = {  # item -> (met, auto-fails, coaching feedback for the agent)
    SAMPLE: (
        ["greeting", "need", "accurate", "authority", "tone", "notes"],
        ["idv-breach"],
        "Ask open questions: never read the date of birth out. Verify before changing anything.",
    ),
    "balance": (
        ALL_BUT_IDV,
        ["idv-breach"],
        "A friendly start and a clear note. Ask for the date of birth rather than reading it out, and finish "
        "security before you give the balance.",
    ),
}
QUESTION = (
    "How would you plan the team's cover for a week when calls peak on Monday?",
    "Use last month's call volumes by hour, move breaks and training away from the peak, and keep one "
    "experienced adviser free for escalations; review the service level at the end of each day.",
)


def _user(username: str) -> User:
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(
            f"There is no account {username}: the demo's Level 3 work plays the accounts `flask bootstrap` creates."
        )
    return user


def _contact(learner: User, scenario_id: str) -> Contact:
    contact = (
        db.session.execute(
            select(Contact)
            .where(Contact.learner_id == learner.id, Contact.scenario_id == scenario_id)
            .order_by(Contact.position)
        )
        .scalars()
        .first()
    )
    if contact is None:
        raise NotFound(f"{learner.username} has no “{scenario_id}” contact for the Level 3 review.")
    return contact


def run_level3_demo(agent: User, assessor: User) -> list[str]:
    """``agent``: the learner whose closed balance enquiry ``leader1`` reviews (``learner1``)."""
    leader, trainer = _user(LEADER), _user("trainer1")
    set_review_consent(agent, True)
    reviewed = _contact(agent, "balance-enquiry")
    quality.reference_score(
        reviewed, trainer, SCORECARD, ["greeting", "need", "accurate", "authority", "tone", "notes"], ["idv-breach"]
    )
    review = tasks.assign_task(trainer, leader, "quality_review", [SAMPLE, f"contact:{reviewed.id}"], SCORECARD)
    for item, (met, fails, feedback) in SCORES.items():
        ref = SAMPLE if item == SAMPLE else f"contact:{reviewed.id}"
        quality.score_contact(review, leader, ref, met, fails, feedback)
    tasks.submit_task(review, leader)
    tasks.assign_task(trainer, leader, "performance")
    talk = tasks.start_discussion(assessor, leader, "Resource planning and management principles")
    discussion.record_question(talk, assessor, *QUESTION, "met", ["icq3-management-principles"])
    tasks.sign_task(
        talk,
        assessor,
        "competent",
        "A clear plan from the data you have: say how you would tell the team about it, too.",
        {"icq3-management-principles": "met"},
    )
    return [
        f"{LEADER}: quality review of an example contact and {agent.username}'s balance enquiry (submitted)",
        f"{LEADER}: team performance task (assigned), professional discussion (signed off competent)",
    ]
