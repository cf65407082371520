"""The event registry (crm_sandbox/events/registry.py): every type the app appends is declared, and
validate refuses what the declaration does not allow. No app or database: the module is stdlib only."""

import ast
import sys
from pathlib import Path
from types import MappingProxyType, SimpleNamespace

import pytest

from crm_sandbox.events import REGISTRY, MalformedEvent, UnknownEventType, body, describe, label, session_data, validate
from crm_sandbox.events import registry as reg

PACKAGE = Path(reg.__file__).resolve().parents[1]  # crm_sandbox/
FORWARDER = "crm_sandbox/operations/contact_operation.py:"  # op.append calls append_event with its type


def appended_types() -> dict[str, list[str]]:
    """Type -> the places (file:line) in crm_sandbox/ that append it, found by reading the source.

    The type is append_event's second argument, or the first argument of an operation's
    ``op.append`` (operations/contact_operation.py). It must be a registry constant (``NOTE_ADDED``
    or ``registry.NOTE_ADDED``): a bare string, or anything else, fails. A call site the test cannot
    read is a call site the registry cannot vouch for.
    """
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "append"
                and isinstance(func.value, ast.Name)
                and func.value.id == "op"
            ):
                position = 0  # op.append(TYPE, data, ...)
            elif (func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)) == "append_event":
                position = 1  # append_event(contact, TYPE, data, ...)
            else:
                continue
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            arg = (
                node.args[position]
                if len(node.args) > position
                else next((k.value for k in node.keywords if k.arg == "type"), None)
            )
            if where.startswith(FORWARDER) and isinstance(arg, ast.Name) and arg.id == "type":
                continue  # op.append passing its type on: its own call sites are read instead
            if isinstance(arg, (ast.Name, ast.Attribute)):
                constant = arg.id if isinstance(arg, ast.Name) else arg.attr
                assert hasattr(reg, constant), f"{where}: {constant} is not a registry constant"
                etype = getattr(reg, constant)
            else:
                raise AssertionError(f"{where}: the event type is not a registry constant")
            found.setdefault(etype, []).append(where)
    return found


def test_every_appended_type_is_declared():
    found = appended_types()
    assert sum(map(len, found.values())) >= 20, found  # the scan sees the call sites (22 when written)
    undeclared = {t: places for t, places in found.items() if t not in REGISTRY and t not in reg.LEVEL3_REGISTRY}
    assert not undeclared, f"appended but not declared: {undeclared}"


def test_every_declared_type_is_appended_somewhere():
    """A contact's types (REGISTRY) and the Level 3 streams' (LEVEL3_REGISTRY), each appended somewhere."""
    assert set(REGISTRY) | set(reg.LEVEL3_REGISTRY) == set(appended_types())
    assert not set(REGISTRY) & set(reg.LEVEL3_REGISTRY)


def test_level3_types_are_validated_like_the_others():
    reg.validate_level3("task.submitted", {})
    with pytest.raises(UnknownEventType):
        reg.validate_level3("note.added", {"text": "x"})  # a contact's type is not a stream's
    with pytest.raises(MalformedEvent, match="missing field 'feedback'"):
        reg.validate_level3(
            "quality.scored", {"item": "sample:x", "scorecard": "c", "scores": {}, "auto_fails": [], "score": 5}
        )
    assert reg.describe_level3({"type": "task.signed", "data": {"outcome": "competent", "by": "a1"}}).startswith(
        "Signed off by a1"
    )


def test_one_constant_per_type():
    constants = {
        getattr(reg, n)
        for n in dir(reg)
        if n.isupper() and isinstance(getattr(reg, n), str) and getattr(reg, n) in REGISTRY
    }
    assert constants == set(REGISTRY)
    for name, declared in REGISTRY.items():
        assert declared.name == name
        assert getattr(reg, name.upper().replace(".", "_")) == name


def test_the_session_mapping_is_what_the_session_reader_requires():
    from crm_sandbox.compliance.document import EVENT_TYPES

    assert reg.session_required_keys() == EVENT_TYPES
    for declared in REGISTRY.values():  # the app always writes what the document requires
        for key in declared.session.required:
            assert declared.fields[key].required, (declared.name, key)


def test_the_module_imports_only_the_standard_library():
    """The registry and the one app module it uses (formatting: how amounts and counts read)."""
    from crm_sandbox import formatting

    for module in (reg, formatting):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0}
        outside = {m for m in imported if m.split(".")[0] not in sys.stdlib_module_names | {"__future__"}}
        assert outside <= {"crm_sandbox.formatting"}, (module.__name__, outside)


# Data as the call sites write it (file: function), several shapes where a call site varies.
CARD = [{"kind": "card_number", "masked": "411111******1111"}, {"kind": "card_security_code", "masked": "***"}]
SAMPLES = {
    "contact.opened": [{}],  # contacts.open_contact
    "customer.searched": [  # contacts.search_customers; the second is an event from before results were kept
        {"query": "Smith", "results": [{"id": 3, "ref": "cust-0003"}, {"id": 9, "ref": "cust-0009"}]},
        {"query": "Nobodyhere", "results": []},
        {"query": "Smith"},
    ],
    "customer.viewed": [  # contacts.reveal (view_customer as the learner, submit_answer as the system)
        {"customer_id": 3, "customer_ref": "cust-0003", "fields": ["full_name", "postcode_area"], "verified": False},
        {
            "customer_id": 3,
            "customer_ref": "cust-0003",
            "fields": ["full_name", "postcode_area", "balance", "transactions", "history"],
            "verified": True,
        },
    ],
    "idv.answer": [  # identity.submit_answer
        {"factor": "date_of_birth", "given": "12/03/1985", "match": True, "customer_id": 3},
        {
            "factor": "date_of_birth",
            "given": "It's 12th March 1985",
            "read": "12/03/1985",
            "match": True,
            "customer_id": 3,
        },
        {"factor": "postcode", "given": "LS1 4XX", "match": False, "customer_id": 3},
        {"factor": "postcode", "given": "4111 **** 1111", "match": False, "customer_id": 3, "card_data": CARD[:1]},
    ],
    "idv.result": [{"passed": True}, {"passed": False, "reason": "locked"}],  # identity.submit_answer
    "message.sent": [  # conversation.send_message
        {"text": "Hello, how can I help?"},
        {"text": "Sorry about that.", "template_id": "apology"},
        {"text": "Thanks for your email.", "subject": "Re: Change of address"},
        {"text": "Your card 411111******1111?", "card_data": CARD[:1]},
        {"text": "Sorry to hear that: we've sent you a private message.", "public": True},  # a public reply
    ],
    "message.received": [
        {"text": "Hi, I've moved."},  # contacts.caller_opening (chat, phone)
        {"text": "Hi, I've moved.", "subject": "Change of address"},  # contacts.caller_opening (email)
        {"text": "Thanks, bye.", "ends": True},  # conversation.send_message: the scripted reply
        {"text": "Thanks.", "ends": True, "subject": "Re: Change of address"},
        {"text": "It's me, honest.", "played_by": "assessor1"},  # roleplay.send_as_caller
        {"text": "It's me.", "played_by": "assessor1", "subject": "Re: Change of address"},
        {"text": "It's LS1 4AP.", "typing_seq": 5},  # caller_replies.deliver_due_replies
        {"text": "@SandboxBank my card is blocked!", "public": True},  # contacts.caller_opening (social post)
    ],
    "note.added": [{"text": "Changed address."}, {"text": "Changed address.", "outcome": "address_changed"}],
    "note.amended": [{"note_seq": 5, "text": "Changed the address.", "reason": "typo"}],  # notes.amend_note
    "record.updated": [
        {"field": "address_line1", "value": "3 Park Grove"},  # actions.update_details
        {"field": "address_line2", "value": ""},
    ],
    "refund.issued": [  # actions.issue_refund
        {"amount": 25.0, "kind": "refund", "reason": "Late delivery"},
        {"amount": 80.5, "kind": "goodwill", "reason": "Long wait", "over_limit": True},
    ],
    "complaint.raised": [  # actions.raise_complaint
        {"summary": "Rude agent", "investigation": "", "remedy": "", "outcome_communicated": False},
        {"summary": "Late refund", "investigation": "Checked", "remedy": "£10", "outcome_communicated": True},
    ],
    "escalated": [{"reason": "Bereavement"}],  # actions.escalate
    "kb.viewed": [{"article": "change-of-address", "title": "Change of address"}],  # conversation.view_article
    "observation.added": [{"text": "Good rapport.", "by": "assessor1"}],  # review.observe
    "assessment.signed": [{"version": 1, "outcome": "competent", "by": "assessor1"}],  # review.sign_off
    "assessment.reopened": [{"version": 1, "reason": "Misread DP1.", "by": "assessor1"}],  # review.reopen
    "assessment.countersigned": [{"version": 1, "by": "assessor2"}],  # quality.countersign
    "iqa.verdict": [{"version": 1, "verdict": "disagree", "by": "iqa1"}],  # quality.record_verdict
    "iqa.answered": [{"version": 1, "by": "assessor1"}],  # quality.answer_verdict
    "handover.written": [
        {"team": "Bereavement team", "text": "Customer's father has died; pack requested."}
    ],  # handover
    "call.dialled": [{"customer_id": 3, "customer_ref": "cust-0003", "field": "phone"}],  # calls.dial
    "call.ended": [{"reason": "abusive"}, {"reason": "silent"}],  # calls.end_call
    "contact.closed": [
        {"outcome": "address_changed", "resolved": True},  # actions.close_contact
        {"outcome": "no_action", "resolved": False},
    ],
    "caller.typing": [  # caller_replies.decide_reply
        {"text": "It's LS1 4AP.", "due_at": "2026-12-03T10:32:05+00:00", "reply_to": [4]},
        {"text": "Bye!", "due_at": "2026-12-03T10:32:09+00:00", "reply_to": [4, 6], "replaces": 5, "ends": True},
        {"text": "Thanks.", "due_at": "2026-12-03T10:33:00+00:00", "reply_to": [4], "subject": "Re: New address"},
        {  # caller_replies.cancel_pending_reply: an assessor took over the caller
            "text": "",
            "due_at": "2026-12-03T10:32:07+00:00",
            "reply_to": [4],
            "replaces": 5,
            "cancelled": "an assessor took over the caller",
        },
    ],
    "caller.mood": [  # caller_replies.record_mood
        {
            "cause": "apology",
            "reason": "the apology",
            "patience": 10,
            "trust": 5,
            "patience_now": 55,
            "trust_now": 45,
            "message_seq": 12,
        }
    ],
    "caller.screen": [  # caller_replies.decide_reply (guided digital help)
        {"step": "settings", "shows": "the Settings page: Notifications, Security", "message_seq": 7}
    ],
}


def test_the_samples_cover_every_type():
    assert set(SAMPLES) == set(REGISTRY)


@pytest.mark.parametrize("etype,data", [(t, d) for t, shapes in SAMPLES.items() for d in shapes])
def test_validate_accepts_what_the_call_sites_write(etype, data):
    validate(etype, data)
    validate(etype, MappingProxyType(data))  # a session Event's data


def test_validate_reads_no_data_as_empty():
    validate("contact.opened", None)
    with pytest.raises(MalformedEvent, match="missing field 'text'"):
        validate("note.added", None)


@pytest.mark.parametrize("etype", [None, "", "foo", "note.deleted", "Note.Added", 7])
def test_validate_refuses_an_unknown_type(etype):
    with pytest.raises(UnknownEventType, match="unknown event type"):
        validate(etype, {})


def test_the_errors_are_value_errors():
    assert issubclass(UnknownEventType, ValueError) and issubclass(MalformedEvent, ValueError)


@pytest.mark.parametrize("etype", sorted(REGISTRY))
def test_validate_refuses_each_missing_required_field(etype):
    data = SAMPLES[etype][0]
    for key, spec in REGISTRY[etype].fields.items():
        if spec.required:
            with pytest.raises(MalformedEvent, match=f"{etype}: missing field '{key}'"):
                validate(etype, {k: v for k, v in data.items() if k != key})


@pytest.mark.parametrize("etype", sorted(REGISTRY))
def test_validate_refuses_an_extra_field(etype):
    with pytest.raises(MalformedEvent, match=f"{etype}: unknown field 'colour'"):
        validate(etype, {**SAMPLES[etype][0], "colour": "red"})


@pytest.mark.parametrize(
    "etype,key,value",
    [
        ("note.added", "text", 42),
        ("note.added", "text", None),
        ("note.added", "outcome", ["resolved"]),
        ("note.amended", "note_seq", "5"),
        ("note.amended", "note_seq", True),  # a bool is not a whole number
        ("note.amended", "note_seq", 5.0),
        ("idv.answer", "match", 1),  # nor a number true or false
        ("idv.answer", "match", "yes"),
        ("idv.answer", "customer_id", "cust-0003"),
        ("idv.result", "passed", None),
        ("idv.result", "reason", "tired"),  # outside its choices
        ("refund.issued", "amount", "25.00"),
        ("refund.issued", "amount", False),
        ("refund.issued", "kind", "cash"),
        ("refund.issued", "over_limit", "yes"),
        ("contact.closed", "resolved", "yes"),
        ("customer.viewed", "fields", "full_name"),
        ("customer.viewed", "fields", ["full_name", 3]),
        ("customer.viewed", "verified", 0),
        ("customer.searched", "results", [{"id": "3", "ref": "cust-0003"}]),
        ("customer.searched", "results", [{"id": 3}]),
        ("customer.searched", "results", [{"id": 3, "ref": "cust-0003", "name": "Smith"}]),
        ("customer.searched", "results", ["cust-0003"]),  # the export's shape, not the event's
        ("message.received", "ends", "true"),
        ("complaint.raised", "outcome_communicated", "yes"),
        ("record.updated", "value", 7),
    ],
)
def test_validate_refuses_a_wrong_type(etype, key, value):
    with pytest.raises(MalformedEvent, match=rf"{etype}: .*{key}"):
        validate(etype, {**SAMPLES[etype][0], key: value})


def test_validate_refuses_data_that_is_not_an_object():
    for data in (["text"], "text", 3):
        with pytest.raises(MalformedEvent, match="data must be an object"):
            validate("note.added", data)


def test_card_data_only_where_append_event_masks():
    """append_event masks text, value and given, and records what it masked in card_data."""
    for etype in (
        "message.sent",
        "message.received",
        "note.added",
        "note.amended",
        "observation.added",
        "record.updated",
        "idv.answer",
    ):
        validate(etype, {**SAMPLES[etype][0], "card_data": CARD})
    with pytest.raises(MalformedEvent, match="unknown field 'card_data'"):
        validate("escalated", {"reason": "x", "card_data": CARD})
    with pytest.raises(MalformedEvent, match=r"note.added: field .card_data\[0\].kind."):
        validate("note.added", {"text": "x", "card_data": [{"kind": "pin", "masked": "****"}]})


def test_one_label_and_one_description_for_every_shape():
    for etype, shapes in SAMPLES.items():
        assert label(etype) and label(etype)[0].isupper()
        for data in shapes:
            for event in (SimpleNamespace(type=etype, data=data), {"type": etype, "data": data}):
                line = describe(event)
                assert line and line[0].isupper() and "\n" not in line, (etype, line)
                assert "None" not in line and "_" not in line.replace("cust-", ""), (etype, line)


def test_descriptions_say_what_happened():
    assert (
        describe({"type": "refund.issued", "data": SAMPLES["refund.issued"][1]})
        == "Goodwill credit of £80.50, above the authority limit"
    )
    assert (
        describe({"type": "customer.searched", "data": SAMPLES["customer.searched"][0]})
        == "Searched customers for \u201cSmith\u201d (2 results)"
    )
    assert (
        describe({"type": "customer.searched", "data": {"query": "Smith"}})
        == "Searched customers for \u201cSmith\u201d"
    )
    assert (
        describe({"type": "customer.viewed", "data": SAMPLES["customer.viewed"][0]})
        == "Opened customer record cust-0003 (not verified, masked)"
    )
    assert (
        describe({"type": "idv.result", "data": {"passed": False, "reason": "locked"}})
        == "Verification failed: locked after too many wrong answers"
    )
    assert (
        describe({"type": "contact.closed", "data": SAMPLES["contact.closed"][0]})
        == "Closed with outcome \u201caddress changed\u201d, resolved at first contact"
    )


def test_old_or_unknown_events_still_display():
    assert (
        describe({"type": "customer.viewed", "data": {"customer_id": 3}})
        == "Opened customer record 3 (not verified, masked)"
    )
    assert label("foo.bar") == "foo.bar" and describe({"type": "foo.bar", "data": {}}) == "foo.bar"
    assert body({"type": "foo.bar", "data": {"text": "x"}}) == ""


def test_body_is_what_people_typed():
    assert body({"type": "message.sent", "data": {"text": "Hi", "subject": "Re: Move"}}) == "Subject: Re: Move\nHi"
    assert body({"type": "escalated", "data": {"reason": "Bereavement"}}) == "Bereavement"
    assert (
        body({"type": "complaint.raised", "data": SAMPLES["complaint.raised"][1]})
        == "Late refund\nInvestigation: Checked\nRemedy: £10"
    )
    assert body({"type": "contact.opened", "data": {}}) == ""


def test_session_data_names_customers_by_reference():
    viewed = SAMPLES["customer.viewed"][0]
    assert session_data("customer.viewed", viewed)["customer_id"] == "cust-0003"
    assert viewed["customer_id"] == 3  # the event's data is not changed
    assert session_data("customer.viewed", {"customer_id": 3}, {3: "cust-0003"})["customer_id"] == "cust-0003"
    assert session_data("customer.searched", SAMPLES["customer.searched"][0])["results"] == ["cust-0003", "cust-0009"]
    assert session_data("customer.searched", {"query": "Smith"}) == {"query": "Smith"}
    assert session_data("note.added", {"text": "x"}) == {"text": "x"}
    with pytest.raises(UnknownEventType):
        session_data("foo", {})


def test_session_data_is_what_the_session_reader_accepts():
    from crm_sandbox.compliance.document import parse_session

    doc = {
        "format": "crm-sandbox/session@1",
        "contact": {"id": "c-1"},
        "scenario": {"id": "s", "needed_data": [], "requires_escalation": False},
        "policy": {
            "idv_factors": ["postcode"],
            "idv_required": 1,
            "lockout_attempts": 3,
            "late_log_minutes": 10,
            "authority_limit": 50,
        },
        "caller": {"relationship": "account_holder", "authorised": True},
        "customer": {"id": "cust-0003"},
        "events": [
            {"seq": i, "at": "2026-11-22T10:00:00Z", "actor": "learner", "type": t, "data": session_data(t, d)}
            for i, (t, d) in enumerate(((t, d) for t, shapes in SAMPLES.items() for d in shapes), 1)
        ],
    }
    assert len(parse_session(doc).events) == sum(map(len, SAMPLES.values()))
