"""Card data never stored in clear (PCI DSS 3.3.1, 3.4.1): masking card numbers and security codes.

Pure: text in, masked text and what was masked out. A card number keeps at most its first six and
last four digits; a security code is never kept at all.
"""

from .language import CVV_VALUE
from .matching import find_card_numbers
from .normalise import digits


def mask_pan(digits: str) -> str:
    """ "4111111111111111" -> "411111******1111"."""
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def mask_card_data(text: str) -> tuple[str, list[dict]]:
    """``text`` with every card number and security code masked, and a list of what was masked."""
    found: list[tuple[int, dict]] = []
    out = text
    for start, end in sorted(find_card_numbers(text), reverse=True):
        value = mask_pan(digits(text[start:end]))
        found.append((start, {"kind": "card_number", "masked": value}))
        out = out[:start] + value + out[end:]
    for m in reversed(list(CVV_VALUE.finditer(out))):
        start, end = m.span(1)
        found.append((start, {"kind": "card_security_code", "masked": "*" * (end - start)}))
        out = out[:start] + "*" * (end - start) + out[end:]
    return out, [item for _, item in sorted(found, key=lambda f: f[0])]
