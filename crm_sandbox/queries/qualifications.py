"""The qualification each learner is registered on: their own, else their cohort's, else the default."""

from flask import current_app

from crm_sandbox.content.criteria import Qualification, load_qualifications
from crm_sandbox.models import Cohort, User


def qualification_of(learner: User | None) -> Qualification:
    """The learner's qualification (an id no longer in seed/qualifications.yaml falls back to the
    cohort's, then to the default)."""
    quals = load_qualifications(current_app.config["SEED_DIR"])
    for wanted in (
        learner.qualification if learner else None,
        cohort_qualification_id(learner.cohort if learner else None),
    ):
        if (found := quals.get(wanted)) is not None:
            return found
    return quals.get(quals.default) or quals.all[0]  # the default is checked when the file is read


def cohort_qualification_id(cohort: Cohort | None) -> str | None:
    return cohort.qualification if cohort is not None else None


def qualification_source(learner: User) -> str:
    """Where the learner's qualification comes from, in words: "own" or "cohort"."""
    quals = load_qualifications(current_app.config["SEED_DIR"])
    return "own" if learner.qualification and quals.get(learner.qualification) else "cohort"
