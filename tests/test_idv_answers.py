"""ID&V answers as callers say them: read correctly for every factor, through the desk; unreadable
input refused with a message and never an attempt used. The reader is ``compliance/idv_answers.py``
(pure); the rules' matching reuses its finders."""

from datetime import date

import pytest

from crm_sandbox.compliance import idv_answers, matching
from crm_sandbox.compliance.idv_answers import read_answer
from crm_sandbox.compliance.verification import verification_state
from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Contact
from crm_sandbox.operations.desk.identity import MEMORABLE_POSITIONS, memorable_positions
from crm_sandbox.seeding import MEMORABLE_WORDS
from tests.conftest import flashes

TODAY = date(2026, 12, 2)

# --- numbers in words, written independently of the reader ----------------------------------------
ONES = "zero one two three four five six seven eight nine".split()
TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty", 9: "ninety"}
ORDINAL_WORDS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()
MONTHS = "January February March April May June July August September October November December".split()
NATO = dict(
    zip(
        "abcdefghijklmnopqrstuvwxyz",
        "Alpha Bravo Charlie Delta Echo Foxtrot Golf Hotel India Juliet Kilo Lima Mike November Oscar Papa "
        "Quebec Romeo Sierra Tango Uniform Victor Whiskey X-ray Yankee Zulu".split(),
    )
)


def under_100(n: int) -> str:
    if n < 10:
        return ONES[n]
    if n < 20:
        return TEENS[n - 10]
    return TENS[n // 10] + (f"-{ONES[n % 10]}" if n % 10 else "")


def year_words(y: int) -> str:
    if 2000 <= y < 2010:
        return f"two thousand and {ONES[y - 2000]}" if y > 2000 else "two thousand"
    century, rest = divmod(y, 100)
    return f"{under_100(century)} {'oh ' + ONES[rest] if rest < 10 else under_100(rest)}"


def ordinal_word(n: int) -> str:
    if n <= 20:
        return ORDINAL_WORDS[n - 1]
    if n == 30:
        return "thirtieth"
    return f"{'twenty' if n < 30 else 'thirty'}-{ORDINAL_WORDS[n % 10 - 1]}"


def suffixed(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


# --- what callers say, per factor (8 ways each) ------------------------------------------------------
def dob_answers(d: date) -> list[str]:
    return [
        f"Sure, it's {suffixed(d.day)} {MONTHS[d.month - 1]} {d.year}",
        f"{d:%d/%m/%y}",
        f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}",
        f"{MONTHS[d.month - 1]} the {ordinal_word(d.day)}, {year_words(d.year)}",
        f"My date of birth is the {ordinal_word(d.day)} of {MONTHS[d.month - 1]}, {d.year}.",
        f"{d:%d.%m.%Y}",
        f"It's {d.isoformat()}",
        f"{d.day}-{MONTHS[d.month - 1][:3]}-{d:%y}, that's right",
    ]


def postcode_answers(postcode: str) -> list[str]:
    outward, inward = postcode.split()
    return [
        f"It's {postcode}.",
        f"{outward}{inward}".lower(),
        f"The postcode is {postcode}",
        postcode.lower(),
        "Yeah, " + " ".join(f"{outward}{inward}"),
        f"It's {postcode}, we've been here years",
        f"{outward} {inward}, I think",
        f"postcode {outward}{inward}",
    ]


def character_answers(positions: tuple[int, int], chars: tuple[str, str]) -> list[str]:
    (a, b), (c1, c2) = positions, chars
    return [
        f"The {suffixed(a)} is {c1.upper()} and the {suffixed(b)} is {c2.upper()}.",
        f"{c1.upper()} and {c2.upper()}",
        f"{c1.lower()}, {c2.lower()}",
        f"{c1.lower()}{c2.lower()}",
        f"Let me think... {c1.upper()} and {c2.upper()}.",
        f"{c1.upper()} for {NATO[c1.lower()]}, {c2.upper()} for {NATO[c2.lower()]}",
        f"Yes, {ordinal_word(a)} letter is '{c1.lower()}', {ordinal_word(b)} letter is '{c2.lower()}'",
        f"I think it's {c1.upper()} then {c2.upper()}",
    ]


def last4_answers(last4: str) -> list[str]:
    words = " ".join("oh" if ch == "0" else ONES[int(ch)] for ch in last4)
    return [
        f"ends {last4}",
        " ".join(last4),
        " ".join(ONES[int(ch)] for ch in last4),
        f"The last four are {last4}.",
        f"ending in {'-'.join(last4)}",
        f"It's {last4}",
        f"last four digits {last4[:2]} {last4[2:]}",
        f"{words}, yes",
    ]


# --- the pure reader ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("factor", "said", "shown"),
    [
        ("date_of_birth", "Sure, it's 7th October 1968", "07/10/1968"),
        ("date_of_birth", "07/10/68", "07/10/1968"),
        ("date_of_birth", "7 Oct 1968", "07/10/1968"),
        ("date_of_birth", "October the seventh, nineteen sixty-eight", "07/10/1968"),
        ("date_of_birth", "twenty-first of March two thousand and six", "21/03/2006"),
        ("postcode", "It's BK7 3QN.", "BK7 3QN"),
        ("postcode", "bk73qn", "BK7 3QN"),
        ("postcode", "b k seven, three q n", "BK7 3QN"),
        ("memorable_word_characters", "The 3rd is N and the 8th is H.", "N and H"),
        ("memorable_word_characters", "N and H", "N and H"),
        ("memorable_word_characters", "n, h", "N and H"),
        ("account_number_last4", "ends 4321", "4321"),
        ("account_number_last4", "4 3 2 1", "4321"),
        ("account_number_last4", "four three two one", "4321"),
        ("account_number_last4", "double four, three two", "4432"),
    ],
)
def test_the_reader_reads_what_callers_say(factor, said, shown):
    reading = read_answer(factor, said, (3, 8), TODAY)
    assert reading.ok, reading.problem
    assert reading.shown == shown


@pytest.mark.parametrize(
    ("factor", "said", "problem"),
    [
        ("date_of_birth", "", "Type the caller's answer"),
        ("date_of_birth", "?!.,;--", "Type the caller's answer"),
        ("date_of_birth", "x" * 10_000, "at most 200 characters"),
        ("date_of_birth", "01/01/2030", "in the future"),
        ("date_of_birth", "7th October", "no year"),
        ("date_of_birth", "31/02/1990", "not a real date"),
        ("date_of_birth", "BK7 3QN", "looks like a postcode"),
        ("postcode", "07/10/1968", "looks like a date of birth"),
        ("account_number_last4", "I, R", "digits only"),
        ("account_number_last4", "12344321", "8 digits"),
        ("memorable_word_characters", "4321", "looks like the last four digits"),
        ("memorable_word_characters", "The 2nd is N and the 5th is H", "the 3rd and 8th were asked for"),
    ],
)
def test_the_reader_says_why_it_cannot_read(factor, said, problem):
    reading = read_answer(factor, said, (3, 8), TODAY)
    assert not reading.ok and problem in reading.problem and reading.value == ""


def test_the_rules_matching_reuses_the_readers_finders():
    """One reading of dates, postcodes and "ending in 4321" for the desk and the rules (no fork)."""
    assert matching.date_mentions is idv_answers.date_mentions
    assert matching.POSTCODE is idv_answers.POSTCODE
    assert matching._LAST4 is idv_answers.LAST4
    found = matching.CustomerMatcher({"date_of_birth": "1968-10-07", "postcode": "BK7 3QN"}).find(
        "Is your date of birth 7th October 1968 and your postcode bk73qn?"
    )
    assert {m.field for m in found} == {"date_of_birth", "postcode"}


def test_memorable_word_positions_do_not_depend_on_its_length():
    """Two of 1..6 for every word the seeding gives (all at least 6 long), chosen by the contact alone."""
    assert min(map(len, MEMORABLE_WORDS)) >= MEMORABLE_POSITIONS
    lengths = sorted({len(w) for w in MEMORABLE_WORDS})
    assert len(lengths) > 1
    for contact_id in range(1, 400):
        asked = {memorable_positions(contact_id, "x" * n) for n in lengths}
        assert len(asked) == 1
        a, b = asked.pop()
        assert 1 <= a < b <= MEMORABLE_POSITIONS


# --- through the desk --------------------------------------------------------------------------------
SCENARIOS = [
    "balance-enquiry",
    "change-of-address",
    "missing-refund",
    "locked-out-online-banking",
    "refund-above-authority",
    "complaint-escalation",
    "volunteered-card-number",
    "impostor-takeover",
    "third-party-spouse",
]


@pytest.fixture
def desk(app, cohort, make_user, login, contact_of):
    """learner1 signed in with nine contacts, under a policy asking all four questions and allowing
    ten wrong answers (so one contact can take four right answers, or many refused ones)."""
    with app.app_context(), write_transaction():
        c = db.session.get(Cohort, cohort)
        c.policy = {**c.policy, "idv_required": 4, "lockout_attempts": 10}
    learner_id = make_user("learner1", queue=SCENARIOS)
    login("learner1")
    return [contact_of(learner_id, s) for s in SCENARIOS]


def open_caller_record(app, client, contact_id: int) -> dict:
    client.post(f"/learner/contacts/{contact_id}/open")
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        c = contact.customer
        facts = {
            "id": c.id,
            "dob": date.fromisoformat(c.date_of_birth),
            "postcode": c.postcode,
            "word": c.memorable_word,
            "last4": c.account_number[-4:],
        }
    client.post(f"/learner/contacts/{contact_id}/customers/{facts['id']}/view")
    return facts


def check(client, contact_id: int, customer_id: int, factor: str, said: str):
    return client.post(
        f"/learner/contacts/{contact_id}/verify", data={"customer_id": customer_id, "factor": factor, "answer": said}
    )


def idv_events(app, contact_id: int) -> list:
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        return [(e.type, dict(e.data)) for e in contact.events if e.type in ("idv.answer", "idv.result")]


def test_natural_answers_for_every_factor_are_read_and_checked(app, client, desk):
    """32 answers as callers say them (8 per factor), each accepted, read as the record's value and
    matched; the desk says what it read."""
    accepted = 0
    for variant, contact_id in enumerate(desk[:8]):
        f = open_caller_record(app, client, contact_id)
        positions = memorable_positions(contact_id, f["word"])
        chars = (f["word"][positions[0] - 1], f["word"][positions[1] - 1])
        said = {
            "date_of_birth": (dob_answers(f["dob"])[variant], f"{f['dob']:%d/%m/%Y}"),
            "postcode": (postcode_answers(f["postcode"])[variant], f["postcode"]),
            "memorable_word_characters": (
                character_answers(positions, chars)[variant],
                f"{chars[0].upper()} and {chars[1].upper()}",
            ),
            "account_number_last4": (last4_answers(f["last4"])[variant], f["last4"]),
        }
        for factor, (answer, read) in said.items():
            resp = check(client, contact_id, f["id"], factor, answer)
            assert resp.status_code == 303, (factor, answer, flashes(resp.get_data(as_text=True)))
            html = client.get(resp.headers["Location"]).get_data(as_text=True)
            assert f"read as {read}" in " ".join(flashes(html)), (factor, answer)
            last = [d for t, d in idv_events(app, contact_id) if t == "idv.answer"][-1]
            assert (last["factor"], last["given"], last["read"], last["match"]) == (factor, answer, read, True)
            accepted += 1
        assert idv_events(app, contact_id)[-1] == ("idv.result", {"passed": True})
        assert 'badge-ok">Verified' in client.get(f"/learner/contacts/{contact_id}").get_data(as_text=True)
    assert accepted >= 30


def test_unreadable_answers_are_refused_and_use_no_attempt(app, client, desk):
    contact_id = desk[8]
    f = open_caller_record(app, client, contact_id)
    unreadable = [
        ("date_of_birth", "", "Type the caller's answer"),
        ("postcode", "   ", "Type the caller's answer"),
        ("date_of_birth", "x" * 10_000, "at most 200 characters"),
        ("postcode", "?!... --", "Type the caller's answer"),
        ("date_of_birth", f"It's {date.today().replace(day=1).year + 1}-01-01", "in the future"),
        ("date_of_birth", "Sure, it's the 7th of October", "no year"),
        ("date_of_birth", f"It's {f['postcode']}", "looks like a postcode"),  # the right answer, wrong box
        ("postcode", f"{f['dob']:%d/%m/%Y}", "looks like a date of birth"),
        ("account_number_last4", "I, R", "digits only"),
        ("account_number_last4", f"{f['dob']:%d %B %Y}", "looks like a date of birth"),
        ("account_number_last4", "1234 5678", "8 digits"),
        ("memorable_word_characters", f"ends {f['last4']}", "looks like the last four digits"),
        ("memorable_word_characters", "Q", "1 single character"),
        ("memorable_word_characters", "The 9th is N and the 10th is H", "were asked for"),
        ("date_of_birth", "no idea, sorry", "No date of birth could be read"),
    ]
    assert len(unreadable) >= 10
    for factor, said, problem in unreadable:
        resp = check(client, contact_id, f["id"], factor, said)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 422, (factor, said)
        message = " ".join(flashes(html)).replace("&#39;", "'")
        assert problem in message and "No attempt was used" in message, (factor, said, message)
        assert "10 attempts left" in html  # nothing used up
    assert idv_events(app, contact_id) == []
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        state = verification_state(contact.policy, contact.events)
        assert state.failures == 0 and state.attempts_left == 10 and state.passed == []
    # A readable answer afterwards is checked as usual (the refusals left nothing behind).
    resp = check(client, contact_id, f["id"], "postcode", f"It's {f['postcode']}.")
    assert resp.status_code == 303
    assert [(t, d["read"], d["match"]) for t, d in idv_events(app, contact_id)] == [("idv.answer", f["postcode"], True)]
