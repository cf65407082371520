"""How values are shown to people: pounds, UK dates, times."""
from datetime import datetime
from decimal import Decimal, InvalidOperation


def money(value) -> str:
    """ "1284.5" -> "£1,284.50"; "-3" -> "-£3.00"; anything else unchanged."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as the session export writes times."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def clock(value: datetime | None) -> str:
    return value.strftime("%H:%M:%S") if value else ""


def when(value: datetime | None) -> str:
    return value.strftime("%d %b %Y %H:%M") if value else ""


def results_count(search: dict) -> str:
    """' (3 results)' for the data of a ``customer.searched`` event that recorded its results, else ''."""
    if "results" not in search:
        return ""
    n = len(search["results"])
    return f" ({n} result{'' if n == 1 else 's'})"
