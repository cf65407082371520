"""Every criterion quotes its source word for word: the seed unit file (a copy kept in seed/units/, so a
fresh clone checks itself), the qualification(s) the file names, the unit title, and the learning outcome
or assessment criterion. The awarding body's references are left empty (the seeds carry none).

Pure tests: no Flask app, no database.
"""

import re
from pathlib import Path

import pytest
import yaml

from crm_sandbox.content.criteria import criteria_for, load_criteria, load_qualifications

SEED = Path(__file__).resolve().parents[1] / "seed"
UNITS = SEED / "units"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "seeds"  # the originals, when present
CRITERIA = load_criteria(str(SEED))
QUALIFICATIONS = load_qualifications(str(SEED))


def normalised(text: str) -> str:
    return " ".join(text.split())


def unit_text(name: str) -> str:
    return (UNITS / name).read_text(encoding="utf-8")


def bullets(text: str, heading: str) -> list[str]:
    """The "•" bullets of the section under ``heading`` (up to the next blank-line-separated heading)."""
    section = text.rsplit(f"\n    {heading}\n", 1)[1]  # the last: the first is in the counts
    found = []
    for line in section.splitlines()[1:]:
        line = line.strip()
        if line.startswith("•"):
            found.append(normalised(line.lstrip("•").strip()))
        elif found and line and not line.startswith("•"):
            break
    return found


def named_qualifications(text: str) -> list[str]:
    """The qualification titles listed after the file's "Assessment criteria" heading."""
    after = text.split("\n    Assessment criteria\n", 1)[1].split("\n    Topic Overview\n", 1)[0]
    return [normalised(line) for line in after.splitlines() if line.strip()]


def test_the_copies_are_the_seed_files():
    assert sorted(p.name for p in UNITS.glob("*.txt")) == [
        "000_2daa350df5fb7a27.txt",
        "001_1504d5bbbd46122b.txt",
        "002_190ddc1c9ca8c11a.txt",
        "003_f0a25ef46a28b488.txt",
        "004_69926df07254881d.txt",
    ]
    if SHARED.is_dir():  # next to the project: the copies have not drifted from the originals
        for p in UNITS.glob("*.txt"):
            assert p.read_bytes() == (SHARED / p.name).read_bytes(), p.name


@pytest.mark.parametrize("criterion", CRITERIA, ids=[c.id for c in CRITERIA])
def test_each_criterion_quotes_its_seed_text_word_for_word(criterion):
    src = criterion.source
    text = unit_text(src.file)
    # the quote, whitespace normalised, is one whole bullet of the right section of its file
    heading = {"assessment criterion": "Assessment Criteria", "learning outcome": "Learning Objectives"}[src.kind]
    assert normalised(src.text) in bullets(text, heading), (criterion.id, src.text)
    assert normalised(src.text) in normalised(text)
    # the unit is the file's own title (its first line starts with it)
    assert text.splitlines()[0].startswith(src.unit) and f"\n    {src.unit}\n" in text
    # the qualifications are exactly those the file names
    assert list(src.qualifications) == named_qualifications(text), criterion.id
    # the awarding body's references are never invented
    assert criterion.unit_ref == "" and criterion.criterion_number == ""


def test_no_knowledge_only_criterion_is_listed_as_observable():
    for c in CRITERIA:
        if c.method == "questioning":  # evidenced by recorded questioning, never by observing a contact
            assert c.area == "understanding" and "discussion" in c.tasks, c.id
            continue
        assert not re.match(r"(?:Explain|Understand|Describe)\b", c.source.text), c.id
        assert not re.search(r"\b(?:explain(?:ing)? the|describe a|understanding of)\b", c.source.text, re.I), c.id


def test_the_qualifications_are_the_ones_the_seed_files_name():
    named = {}
    for q in QUALIFICATIONS.all:
        assert q.qualification_number == "" and q.units
        for unit in q.units:
            text = unit_text(unit.seed)
            assert q.title in named_qualifications(text), q.id
            assert text.splitlines()[0].startswith(unit.title + q.awarding_body), (q.id, unit.title)
            assert unit.unit_ref == ""
        named[q.title] = q
    every = {title for p in UNITS.glob("*.txt") for title in named_qualifications(p.read_text(encoding="utf-8"))}
    assert set(named) == every  # every qualification a seed names can be registered on, and no other
    assert QUALIFICATIONS.default == "icq-l2-nvq-cco"
    assert (
        QUALIFICATIONS.get("icq-l2-nvq-cco").title == "iCQ Level 2 NVQ Certificate in Contact Centre Operations (RQF)"
    )


def test_each_criterion_belongs_to_the_qualifications_its_source_names():
    for c in CRITERIA:
        holders = [q.title for q in QUALIFICATIONS.all if c in criteria_for(str(SEED), q)]
        assert holders == list(c.source.qualifications), c.id
    assert [c.id for c in criteria_for(str(SEED), QUALIFICATIONS.get("icq-l2-nvq-cco"))] == [
        "verify-identity",
        "contemporaneous-logging",
        "personalised-responses",
        "escalation-procedure",
        "written-communication",
        "identify-need",
        "approved-knowledge",
    ]


def test_the_file_header_documents_what_is_left_out_and_why():
    header = (SEED / "criteria.yaml").read_text(encoding="utf-8").split("\n- id:", 1)[0]
    for words in ("knowledge-only", "Left out", "unit_ref", "criterion_number", "never invents"):
        assert words in header
    raw = yaml.safe_load((SEED / "criteria.yaml").read_text(encoding="utf-8"))
    assert all("unit_ref" in c and "criterion_number" in c for c in raw)  # the empty fields are there to fill


def test_every_seed_assessment_criterion_is_listed_once():
    """All 24 assessment criteria of the five seeds are listed: observed, by a Level 3 task, or by questioning."""
    quoted = {normalised(c.source.text) for c in CRITERIA if c.source.kind == "assessment criterion"}
    every = {b for p in UNITS.glob("*.txt") for b in bullets(p.read_text(encoding="utf-8"), "Assessment Criteria")}
    assert len(every) == 24 and quoted == every
    assert {c.method for c in CRITERIA} == {"observation", "task", "questioning"}
    for c in CRITERIA:
        if c.method != "observation":
            assert c.tasks and not c.evidence and c.area in ("quality-review", "performance", "understanding"), c.id
