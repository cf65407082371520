"""The adviser's message made readable: chat shorthand expanded, common typos mended, split into clauses."""

from __future__ import annotations

import re
from difflib import get_close_matches

MAX_READ = 2000  # a longer message is read from its start (the caller skims)

SHORTHAND = {
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "ty": "thank you",
    "sry": "sorry",
    "wat": "what",
    "wot": "what",
    "whats": "what's",
    "whos": "who's",
    "wheres": "where's",
    "hows": "how's",
    "im": "i'm",
    "ive": "i've",
    "itd": "it'd",
    "didnt": "didn't",
    "dont": "don't",
    "cant": "can't",
    "wont": "won't",
    "isnt": "isn't",
    "theres": "there's",
    "thats": "that's",
    "youre": "you're",
    "cn": "can",
    "n": "and",
    "hav": "have",
    "abt": "about",
    "b4": "before",
    "2day": "today",
    "chars": "characters",
    "acc": "account",
    "acct": "account",
    "lately": "recently",
    "dob": "date of birth",
    "d.o.b": "date of birth",
    # contractions typed without the apostrophe (the intents listen for "you're", "you'll"...)
    "youll": "you'll",
    "youve": "you've",
    "youd": "you'd",
    "theyre": "they're",
    "theyll": "they'll",
    "theyve": "they've",
    "itll": "it'll",
    "weve": "we've",
    "doesnt": "doesn't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "arent": "aren't",
    "couldnt": "couldn't",
    "wouldnt": "wouldn't",
    "shouldnt": "shouldn't",
    "whens": "when's",
    "whys": "why's",
    "lets": "let's",
    # chat shorthand
    "cld": "could",
    "cud": "could",
    "wld": "would",
    "wud": "would",
    "shld": "should",
    "yr": "your",
    "ya": "you",
    "rn": "right now",
    "atm": "at the moment",
    "btw": "by the way",
    "tbh": "to be honest",
    "asap": "as soon as possible",
    "msg": "message",
    "pw": "password",
    "pwd": "password",
    "addy": "address",
    "yrs": "years",
    "cos": "because",
    "coz": "because",
    "bc": "because",
    "y": "why",
    "wanna": "want to",
    "gonna": "going to",
    "lemme": "let me",
    "gimme": "give me",
    "tho": "though",
    "thru": "through",
    "info": "information",
    "num": "number",
}
# Words the intents listen for; a word one typo away from one of them is read as it ("adress", "wrod").
VOCABULARY = (
    "address",
    "memorable",
    "word",
    "character",
    "characters",
    "postcode",
    "account",
    "number",
    "birth",
    "refund",
    "happened",
    "payment",
    "statement",
    "password",
    "computer",
    "laptop",
    "browser",
    "email",
    "phone",
    "balance",
    "apologise",
    "understand",
    "confirm",
    "anything",
    "something",
    "complaint",
    "manager",
    "supervisor",
    "country",
    "outcome",
    "repeat",
    "please",
    "recently",
    "direct",
    "debit",
    "attorney",
    "registered",
    "marketing",
)
ENDINGS = ("s", "es", "ed", "ing", "er", "ers", "ly", "ment", "ments", "al", "ation", "ations", "ful")
COMMON = frozenset(  # everyday words that are one letter from a keyword: never "mended"
    "where there their these those which while would could should shall about after again being "
    "thing think thanks moved using whole words".split()
)
# Hesitations typed as the adviser thinks ("erm", "um"): not words the caller reads.
_HESITATION = re.compile(r"(?<![\w'])(?:e+r+m+|u+m+|u+h+|e+r+|e+h+m+|h+m+)(?![\w'])[,.]*\s*", re.I)
# Words that only stress a question ("what exactly does it say", "what did he actually say").
_STRESS = re.compile(r"(?<!\w)(?:exactly|actually|basically|literally)(?!\w) ?", re.I)
_WORD = re.compile(r"[a-z][a-z.']*[a-z]|[a-z0-9]+", re.I)


def mend_word(word: str, vocabulary: tuple[str, ...] = VOCABULARY, words: dict[str, str] | None = None) -> str:
    """A word as the intents would read it: shorthand expanded, a typo of a listened-for word mended
    ("adress", "anythin", "pasword"); a word with an ending ("refunded", "payments") is left alone."""
    low = word.lower()
    if words and low in words:
        return words[low]
    if low in SHORTHAND:
        return SHORTHAND[low]
    if len(low) < 5 or not low.isalpha() or low in vocabulary or low in COMMON:
        return word
    if any(low.startswith(v) and (low[len(v) :] in ENDINGS or v[-1] + low[len(v) :] == "ed") for v in vocabulary):
        return word
    close = get_close_matches(low, vocabulary, n=1, cutoff=0.85)
    if not close or close[0][0] != low[0] or (close[0].startswith(low) and len(low) < 7):
        return word  # "manage" is a word, not a cut-off "manager"; "anythin" is cut off
    if close[0].startswith(low) and close[0][len(low) :] in ENDINGS:
        return word  # "current" is a word, not a cut-off "currently" (nor "personal" of "personally")
    return close[0]


def normalise(message: str, vocabulary: tuple[str, ...] = VOCABULARY, words: dict[str, str] | None = None) -> str:
    """Lower-case text with shorthand expanded, near-miss keywords mended and synonyms (``words``: the
    library's ``shorthand`` and ``synonyms``, phrases included) read as the word the intents listen for."""
    text = (message or "")[:MAX_READ].replace("\u2019", "'").replace("&", " and ")
    text = _STRESS.sub("", _HESITATION.sub("", text))
    text = _WORD.sub(lambda m: mend_word(m.group(0), vocabulary, words), text)
    text = re.sub(r"[ \t]+", " ", text).strip().lower()
    for phrase, canonical in (words or {}).items():
        if " " in phrase and phrase in text:
            text = re.sub(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", canonical, text)
    return text


def clauses(text: str) -> list[str]:
    """The message split where a new question or sentence starts: "when was it and where to?" stays one
    clause, "whats the new address and when did u move in" becomes two."""
    parts = re.split(r"(?<=[?!])\s+|(?<=\.)\s+(?=[a-z])|\n+|;\s*", text)
    out: list[str] = []
    for part in parts:
        out += [
            p.strip(" ,")
            for p in re.split(
                r",? (?:and|&) (?=(?:when|what|where|who|which|why|how|have|has|do|did|are|is|can|could)\b)"
                r"|, (?=(?:what|why|how|was|were|is|are|do|does|did|can|could|would)\b)",  # not "which", "when": often relative
                part,
            )
        ]
    return [p for p in out if p]


def has_words(message: str) -> bool:
    """Whether the message holds any letters at all (not only emoji, digits or punctuation)."""
    return bool(re.search(r"[A-Za-z]", message or ""))


def looks_foreign(message: str) -> bool:
    """Mostly letters outside English's alphabet, or common words of another language and no English ones."""
    letters = [ch for ch in message if ch.isalpha()]
    if letters and sum(1 for ch in letters if ch.isascii()) / len(letters) < 0.5:
        return True
    words = set(re.findall(r"[a-zà-ÿ]+", message.lower()))
    foreign = {
        "bonjour",
        "hola",
        "gracias",
        "merci",
        "por",
        "favor",
        "usted",
        "est",
        "vous",
        "je",
        "el",
        "la",
        "los",
        "bitte",
        "danke",
        "ich",
        "sie",
        "und",
        "ist",
        "puede",
        "ayudar",
        "qué",
        "cómo",
        "comment",
        "pouvez",
        "le",
        "sur",
        "appuyez",
        "cliquez",
        "bouton",
        "klicken",
        "drücken",
        "pulse",
        "botón",
    }
    english = {"the", "you", "your", "can", "what", "is", "are", "i", "to", "and", "please", "help", "a", "how"}
    return len(words & foreign) >= 2 and not words & english


def is_question(clause: str) -> bool:
    return clause.rstrip().endswith("?") or bool(
        re.match(
            r"(?:can|could|would|will|do|does|did|have|has|are|is|was|were|what|when|where|whereabouts|which|who|why|how)\b",
            clause,
        )
    )
