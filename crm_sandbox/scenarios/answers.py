"""What a learner reads out of the caller's words to type into the ID&V panel (the demo and tests)."""

import re

ANSWER_PATTERNS = {
    "date_of_birth": r"\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}(?:st|nd|rd|th)? [A-Z][a-z]+ \d{4}",
    "postcode": r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b",
    "account_number_last4": r"\b\d{4}\b",
    "memorable_word_characters": r"(?<![\w'])[A-Z](?![\w'])",  # "The 2nd is U and the 5th is E." -> U E
}


def heard(factor: str, caller_text: str) -> str:
    """The caller's answer to ``factor`` as the learner would type it, taken from what they said.

    Raises ValueError when the caller's words hold no such answer.
    """
    found = re.findall(ANSWER_PATTERNS[factor], caller_text)
    if not found:
        raise ValueError(f"no {factor} in the caller's words: {caller_text!r}")
    return " ".join(found) if factor == "memorable_word_characters" else found[-1]
