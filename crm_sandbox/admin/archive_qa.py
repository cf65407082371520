"""The reset archives as quality assurers read them: an IQA the archives of their cohort, an EQA (while the
account runs) and a trainer every cohort's; each pack checked, downloadable, its learner report readable,
and every opening recorded in who saw what (``operations.disclosure.archive_view``)."""

import io
import json
import zipfile

from crm_sandbox.admin.archive import ArchivedRun, archived_runs, get_run_pack
from crm_sandbox.errors import NotFound
from crm_sandbox.models import ArchivedPack


def qa_runs(cohort_names: set[str] | None) -> list[ArchivedRun]:
    """The archives of the cohorts named (None: every cohort), newest first, each pack checked: what an IQA
    or EQA may open."""
    return [run for run in archived_runs(verify=True) if cohort_names is None or run.cohort_name in cohort_names]


def qa_pack(run_key: str, pack_id: int, cohort_names: set[str] | None) -> ArchivedPack:
    """Learner ``pack_id``'s pack in archive ``run_key`` if its cohort is one named (None: every cohort)."""
    pack = get_run_pack(run_key, pack_id)
    if cohort_names is not None and pack.cohort_name not in cohort_names:
        raise NotFound("There is no such learner in that archive.")
    return pack


def pack_customers(data: bytes) -> tuple[list[str], list[str]]:
    """The customer references and the customer fields the pack's session exports carry (for the record
    of who saw what); empty for a zip that cannot be read."""
    refs: list[str] = []
    fields: list[str] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for name in zf.namelist():
                if not (name.startswith("contacts/") and name.endswith("/session.json")):
                    continue
                if zf.getinfo(name).file_size > 16 * 1024 * 1024:
                    continue
                customer = json.loads(zf.read(name)).get("customer") or {}
                refs.append(str(customer.get("ref") or customer.get("id") or ""))
                fields += [k for k in customer if k not in ("id", "ref", "withheld")]
    except (zipfile.BadZipFile, ValueError, AttributeError, KeyError):
        return [], []
    return [r for r in refs if r], list(dict.fromkeys(fields))
