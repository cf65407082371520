"""How values are shown to people: pounds, labels, references, UK dates, times.

One function per kind of value, used by the pages (as Jinja filters), the reports, the PDFs and the
event labels alike, so an amount or a label reads the same wherever it appears.
"""

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol

PENNY = Decimal("0.01")


def money(value: object) -> str:
    """Pounds and pence with thousands separators: 5000.0 -> "£5,000.00"; "-3" -> "-£3.00";
    "£1,250" -> "£1,250.00". An int, float, Decimal or numeric string; None is ""; anything
    else is shown unchanged (never an error on a page)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    text = value if isinstance(value, Decimal) else str(value).strip().replace("£", "").replace(",", "")
    try:
        # Half a penny rounds up, as people expect. Infinity, or more digits than quantize can
        # hold, is InvalidOperation; NaN quantizes to NaN.
        amount = Decimal(text).quantize(PENNY, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    if amount.is_nan():
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"


def label(value: object) -> str:
    """A code or slug as a label in sentence case: "change-of-address" -> "Change of address",
    "third_party" -> "Third party", "live" -> "Live". Labels never read in title case."""
    text = " ".join(str(value or "").replace("_", " ").replace("-", " ").split())
    return text[:1].upper() + text[1:]


# A contact's mode, fixed when the trainer assigns it: practice (formative: coaching tips may show, never
# evidence of competence) or an observed assessment (no tips; the only competence evidence). One wording
# for every page, report, PDF, pack and export.
MODES = {"practice": "Practice (formative)", "assessment": "Observed assessment"}


def mode_label(mode: object) -> str:
    """ "practice" -> "Practice (formative)"; "assessment" -> "Observed assessment"."""
    return MODES.get(str(mode), label(mode))


def escalation_reference(contact_id: int, seq: int) -> str:
    """The reference the learner gives the customer for an escalation: "ESC-00042-17" for the
    ``escalated`` event 17 of contact 42. Derived from the event, so every page shows the same one."""
    return f"ESC-{contact_id:05d}-{seq:02d}"


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as the session export writes times."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def clock(value: datetime | None) -> str:
    return value.strftime("%H:%M:%S") if value else ""


def when(value: datetime | None) -> str:
    return value.strftime("%d %b %Y %H:%M") if value else ""


def results_count(search: Mapping[str, Any]) -> str:
    """' (3 results)' for the data of a ``customer.searched`` event that recorded its results, else ''."""
    if not isinstance(search.get("results"), list):  # searches recorded before results were kept
        return ""
    n = len(search["results"])
    return f" ({n} result{'' if n == 1 else 's'})"


def slug(name: str) -> str:
    """A file-system-safe folder name for a cohort or user name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "unnamed"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """ "=HYPERLINK(…)" -> "'=HYPERLINK(…)": shown as text, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class _Numbered(Protocol):
    @property
    def id(self) -> int: ...


def contact_ref(contact: _Numbered) -> str:
    """A contact as people refer to it: ``c-12``."""
    return f"c-{contact.id}"
