"""The seed data for conversations: scenarios, canned responses, outcomes, criteria, knowledge base.

Pure tests: no Flask app, no database.
"""

import re
from pathlib import Path

import pytest
import yaml

from crm_sandbox.compliance.relevance import EVIDENCE_KINDS
from crm_sandbox.content.criteria import AREAS, criteria_for, load_criteria, load_qualifications
from crm_sandbox.content.knowledge import articles
from crm_sandbox.content.responses import CONTACT_FIELDS
from crm_sandbox.policy import load_policy
from crm_sandbox.queries.workspace import policy_figures
from crm_sandbox.scenarios.caller import fill, opening_message, unfilled_placeholders
from crm_sandbox.scenarios.library import DATA_CATEGORIES, load_library, validate_scenario

SEED = Path(__file__).resolve().parents[2] / "seed"
IDS = [
    "balance-enquiry",
    "change-of-address",
    "missing-refund",
    "complaint-escalation",
    "refund-above-authority",
    "third-party-spouse",
    "power-of-attorney",
    "impostor-takeover",
    "volunteered-card-number",
    "vulnerable-health-disclosure",
    "locked-out-online-banking",
    "subject-access-request",
    "erasure-request",
    "referred-customer",
    "bereavement-notification",
    "abusive-caller",
    "outbound-callback",
    "guided-app-password",
    "social-media-post",
]
RULE_IDS = {
    "disclosure-before-verification",
    "leading-verification-question",
    "disclosure-to-third-party",
    "change-before-verification",
    "over-collection",
    "payment-card-data",
    "special-category-data",
    "verification-lockout-ignored",
    "record-access-without-contact",
    "late-log",
    "missing-log",
    "beyond-authority",
    "missed-escalation",
    "unpersonalised-template",
    "handover-oversharing",
    "ended-without-warning",
    "public-reply-personal-data",
    "guidance-not-checked",
}
CUSTOMER_FIELDS = {
    "ref",
    "title",
    "first_name",
    "middle_name",
    "last_name",
    "date_of_birth",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "email",
    "phone",
    "account_number",
    "sort_code",
    "memorable_word",
    "balance",
    "product",
}
CUSTOMER = {
    "ref": "cust-00042",
    "title": "Mr",
    "first_name": "Oliver",
    "middle_name": "",
    "last_name": "Hughes",
    "date_of_birth": "1979-11-04",
    "address_line1": "8 Example Close",
    "address_line2": "",
    "town": "Sampleford",
    "postcode": "SF3 9QT",
    "email": "oliver.hughes7@example.org",
    "phone": "07700 900417",
    "account_number": "40981357",
    "sort_code": "99-40-11",
    "memorable_word": "kingfisher",
    "balance": "312.09",
    "product": "Everyday Current Account",
}
# Published test card numbers (Visa, Mastercard, Amex test ranges) and nothing else.
TEST_CARDS = {
    "4111111111111111",
    "4000056655665556",
    "5555555555554444",
    "4242424242424242",
    "378282246310005",
    "5105105105105100",
}


@pytest.fixture(scope="module")
def library():
    return load_library(str(SEED))


@pytest.fixture(scope="module")
def scenarios(library):
    return {f.id: f.scenario for f in library if f.valid}


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def test_every_scenario_file_is_valid(library):
    problems = {f.id: f.error for f in library if not f.valid}
    assert problems == {}


def test_the_scenarios_exist_in_order(library):
    ids = [f.id for f in library]
    assert ids[: len(IDS)] == IDS
    orders = [f.scenario["order"] for f in library[: len(IDS)]]
    assert orders == list(range(10, 10 * len(IDS) + 1, 10))


def test_channels_are_mixed_mostly_chat(scenarios):
    channels = [s["channel"] for s in scenarios.values()]
    assert channels.count("email") >= 2
    assert channels.count("phone") >= 2
    # chat is the most common channel (issue 22 added situations that are calls by nature: an outbound
    # callback, an abusive caller, a bereavement notification, a customer put through by a colleague)
    assert all(channels.count("chat") > channels.count(c) for c in set(channels) - {"chat"})


def test_every_scenario_has_brief_persona_opening_and_email_subject(scenarios):
    for sid, s in scenarios.items():
        caller = s["caller"]
        assert len(caller.get("persona", "")) > 40, sid
        assert caller["opening"].strip(), sid
        sentences = [x for x in re.split(r"(?<=[.!?])\s+", s.get("brief", "").strip()) if x]
        assert 3 <= len(sentences) <= 6, (sid, len(sentences))
        if s["channel"] == "email":
            assert caller.get("subject"), sid
        assert set(s["needed_data"]) <= set(DATA_CATEGORIES), sid


def test_callers_match_their_roles(scenarios):
    spouse, poa, impostor = (
        scenarios[i]["caller"] for i in ("third-party-spouse", "power-of-attorney", "impostor-takeover")
    )
    assert spouse["relationship"] == "third_party" and spouse["authorised"] is False
    assert poa["relationship"] == "third_party" and poa["authorised"] is True
    assert impostor["relationship"] == "impostor" and impostor["authorised"] is False
    assert "wrong" in impostor["knows"].values()
    assert "wrong" in scenarios["locked-out-online-banking"]["caller"]["knows"].values()
    assert scenarios["complaint-escalation"]["requires_escalation"] is True
    assert scenarios["refund-above-authority"]["requires_escalation"] is True
    assert scenarios["change-of-address"]["needed_data"] == ["address", "postcode"]
    assert scenarios["balance-enquiry"]["needed_data"] == []


def test_refund_amounts_sit_either_side_of_the_authority_limit(scenarios):
    limit = load_policy(str(SEED))["authority_limit"]
    assert float(scenarios["missing-refund"]["facts"]["amount"]) <= limit
    assert float(scenarios["refund-above-authority"]["facts"]["amount"]) > limit


def test_every_placeholder_in_the_scenarios_is_filled(scenarios):
    for sid, s in scenarios.items():
        for text in _strings({"caller": s["caller"], "facts": s.get("facts", {})}):
            filled = fill(text, s, CUSTOMER)
            assert unfilled_placeholders(filled) == [], (sid, text)
        assert "{" not in opening_message(s, CUSTOMER), sid


def test_fake_data_cannot_reach_a_real_person(scenarios):
    for sid, s in scenarios.items():
        for text in _strings(s):
            for email in re.findall(r"[\w.+-]+@([\w.-]+)", text):
                assert email in ("example.com", "example.org", "example.net"), (sid, email)
            for digits in re.findall(r"\b(?:\d[ -]?){13,19}\b", text):
                number = re.sub(r"\D", "", digits)
                assert number in TEST_CARDS, (sid, digits)
            for phone in re.findall(r"\b0\d{3,4} ?\d{3} ?\d{3,4}\b", text):
                assert phone.replace(" ", "").startswith(("07700900", "01134960", "02079460")), (sid, phone)


# --- canned responses -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def responses():
    return yaml.safe_load((SEED / "responses.yaml").read_text(encoding="utf-8"))


def test_responses_are_complete(responses):
    items = responses["responses"]
    assert len(items) >= 15
    ids = [r["id"] for r in items]
    assert len(ids) == len(set(ids))
    for r in items:
        assert r["title"] and r["text"].strip(), r["id"]
        assert set(r.get("channels", ["chat", "email", "phone"])) <= {"chat", "email", "phone"}, r["id"]
    for needed in (
        "greeting-chat",
        "greeting-email",
        "greeting-phone",
        "idv-request",
        "verification-failed",
        "refund-issued",
        "third-party-refusal",
        "card-data-warning",
        "sar-guidance",
        "erasure-guidance",
        "closing",
    ):
        assert needed in ids, needed


def test_every_response_placeholder_is_declared(responses):
    declared = responses["placeholders"]
    token = re.compile(r"\[[^\]]+\]|\{[a-z_]+\}")
    used = {t for r in responses["responses"] for t in token.findall(r["text"])}
    assert used <= set(declared), used - set(declared)
    for name, spec in declared.items():
        assert spec["label"], name
        assert spec["field"] in CUSTOMER_FIELDS | {"address", "title_surname", None, *CONTACT_FIELDS}, name
        assert isinstance(spec["personal"], bool), name
        if spec["field"] is None or spec["field"] in CONTACT_FIELDS:
            assert spec["personal"] is False, name


def test_idv_request_is_not_leading(responses):
    text = next(r["text"] for r in responses["responses"] if r["id"] == "idv-request")
    assert not re.search(r"\[Customer|\{balance|\{dob|is your", text, re.I)
    assert not re.search(r"full (?:password|memorable word|pin)", text, re.I) or "never" in text.lower()


# --- outcomes, criteria, knowledge base ------------------------------------------------------------


def test_outcome_codes():
    outcomes = yaml.safe_load((SEED / "outcomes.yaml").read_text(encoding="utf-8"))
    codes = [o["code"] for o in outcomes]
    assert len(codes) == len(set(codes)) >= 7
    assert {"resolved", "escalated", "complaint-raised", "refused-security"} <= set(codes)
    assert all(o["label"] for o in outcomes)


def test_criteria_reference_known_rules_evidence_kinds_and_areas():
    """(Their sources are checked against the seed units in tests/test_criteria_sources.py.)"""
    criteria = load_criteria(str(SEED))
    assert 15 <= len(criteria) <= 40
    ids = [c.id for c in criteria]
    assert len(ids) == len(set(ids)) and all(len(i) <= 40 for i in ids)  # criterion_judgement.criterion_id
    for c in criteria:
        # an observed criterion names what the desk records; a Level 3 one the task or questioning instead
        assert c.title and c.area in AREAS and (c.evidence or c.tasks), c.id
        assert set(c.evidence) <= set(EVIDENCE_KINDS), c.id
        assert set(c.rules) <= RULE_IDS, c.id
    used_rules = {r for c in criteria for r in c.rules}
    assert used_rules == RULE_IDS  # every rule counts against some criterion
    assert {k for c in criteria for k in c.evidence} == set(EVIDENCE_KINDS)  # every kind is used


def test_codes_are_unique_within_each_qualification():
    for q in load_qualifications(str(SEED)).all:
        codes = [c.code for c in criteria_for(str(SEED), q)]
        assert codes and len(codes) == len(set(codes)), q.id


def test_every_scenario_covers_known_areas_and_some_criterion_of_the_default_qualification(scenarios):
    quals = load_qualifications(str(SEED))
    default_areas = {c.area for c in criteria_for(str(SEED), quals.get(quals.default))}
    for s in scenarios.values():
        assert s["covers"] and set(s["covers"]) <= set(AREAS), s["id"]
        assert {"verification", "logging", "written", "need"} <= set(s["covers"]), s["id"]
        assert len(set(s["covers"]) & default_areas) >= 4, s["id"]
    by_id = {s["id"]: set(s["covers"]) for s in scenarios.values()}
    # only the scenarios whose purpose is an escalation or a complaint cover those areas
    assert {i for i, c in by_id.items() if "escalation" in c} == {"complaint-escalation", "refund-above-authority"}
    assert {i for i, c in by_id.items() if "complaints" in c} == {"complaint-escalation"}


@pytest.mark.parametrize(
    "covers, problem",
    [
        (None, "missing 'covers'"),
        ("verification", "covers must list observation areas"),
        (["verification", "telepathy"], "covers must list observation areas"),
        ([], "covers must name at least one observation area"),
        (["logging", "logging"], "covers names an observation area twice"),
    ],
)
def test_a_scenario_with_bad_covers_is_refused_with_a_message(covers, problem):
    data = yaml.safe_load((SEED / "scenarios" / "balance-enquiry.yaml").read_text(encoding="utf-8"))
    if covers is None:
        del data["covers"]
    else:
        data["covers"] = covers
    assert any(problem in e for e in validate_scenario(data, "balance-enquiry"))


KB_ARTICLES = [
    "idv-policy",
    "complaints-procedure",
    "refunds-and-authority-limits",
    "escalation",
    "third-parties",
    "power-of-attorney",
    "subject-access-requests",
    "erasure-requests",
    "card-data-pci-dss",
    "vulnerable-customers",
    "special-category-data",
    "chat-etiquette",
    "email-etiquette",
    "phone-etiquette",
    "contemporaneous-notes",
]


@pytest.mark.parametrize("slug", KB_ARTICLES)
def test_knowledge_base_article(slug):
    text = (SEED / "kb" / f"{slug}.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("# ") and len(lines[0]) > 3
    summary = next(line for line in lines[1:] if line.strip())
    assert not summary.startswith("#")
    words = len(re.findall(r"\w+", text))
    assert 150 <= words <= 450, (slug, words)


def test_knowledge_base_agrees_with_the_policy():
    """The articles name the policy's figures as placeholders, filled from the policy a contact works under
    (so a trainer's change never leaves an article contradicting it)."""
    policy = load_policy(str(SEED))
    kb = {a.slug: a for a in articles(str(SEED))}
    figures = policy_figures(policy)
    idv = kb["idv-policy"].html_with(figures)
    assert f"<strong>{policy['idv_required']} of the factors" in idv
    assert f"<strong>{policy['lockout_attempts']} failed answers</strong>" in idv
    assert "<strong>£50.00</strong> per contact" in kb["refunds-and-authority-limits"].html_with(figures)
    notes = kb["contemporaneous-notes"].html_with(figures)
    assert f"more than {policy['late_log_minutes']} minutes" in notes
    assert not any(re.search(r"\{[a-z_]+\}", a.html_with(figures)) for a in kb.values())  # none left unfilled
    assert not re.search(r"£\d", "".join(a.text for a in kb.values()))  # no amount written into an article
    assert "one month" in kb["subject-access-requests"].text.lower()
