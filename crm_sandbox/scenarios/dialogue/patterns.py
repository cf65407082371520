"""The caller's fixed patterns: verification questions, confirmations of an action, and other cues that
the scenario rules can name as ``intent:NAME`` (kept as code: they are the ID&V vocabulary)."""

import re


def _rx(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.I)


RX = {
    "dob": _rx(r"date of birth|\bd\.?o\.?b\b|birth ?date|birthday|when were you born|\bborn\b"),
    "postcode": _rx(r"post ?code"),
    "address_line": _rx(
        r"first line|house (?:number|name)|where do you live|which street|"
        r"(?:what(?:'s| is)|confirm|tell me|give me|provide|take|have|need|get) (?:me )?"
        r"(?:your|the) (?:full |home |current |registered |postal )?address|"
        r"your (?:full |home |current |postal )?address(?: please|\?)|"
        r"(?:name|birth|postcode),? and (?:your|the) (?:full |home |current |registered |postal )?address\b"
    ),
    "new_detail": _rx(
        r"\bnew\b|moved|moving|change (?:it|them) to|update (?:it|them) to|"
        r"(?:change|update) (?:your|the) (?:address|email)\s+to"
    ),
    "account": _rx(r"account number|last (?:four|4)\b|\b(?:four|4) digits|sort code"),
    "sort_code": _rx(r"sort code"),
    "name": _rx(
        r"full name|your name|\bname please|who (?:am i|i am|i'm) (?:speaking|talking|chatting)|"
        r"who(?:'s| is) (?:calling|this|speaking)|(?:take|have|get|confirm|tell me) your (?:full )?name|"
        r"(?:take|have|get) (?:a|your) name|whom? am i"
    ),
    "chars": _rx(r"charact|letter"),
    "secret": _rx(
        r"memorable (?:word|phrase|answer|information)|password|passcode|\bpin\b|secret word|"
        r"security (?:word|answer)"
    ),
    "full_secret": _rx(
        r"\b(?:full|whole|entire|complete|all of (?:your|the))\b"
        r"|what (?:password|passcode|memorable word|pin)\b"
        r"|(?:what(?:'s| is)|tell me|give me|confirm|type|spell(?: out)?|send me|provide|"
        r"need|have) (?:me )?(?:your|the) (?:online (?:banking )?)?"
        r"(?:memorable|password|passcode|pin|secret|security)"
    ),
    "greeting": _rx(
        r"^\s*(?:hi|hello|hey|good (?:morning|afternoon|evening)|welcome)\b|"
        r"thanks? (?:you )?for (?:contacting|calling|getting in touch|your (?:email|message))"
    ),
    "need": _rx(
        r"how (?:can|may|could) (?:i|we) (?:help|assist)|what can (?:i|we) (?:do|help)|"
        r"what (?:is|was|'s) the (?:reason|issue|problem|query)|what(?:'s| is) (?:happened|wrong)|"
        r"(?:calling|contacting|getting in touch|writing) (?:about|regarding|today)|"
        r"what do you need|what would you like|how can i be of|tell me (?:more|what)|"
        r"what (?:seems to be|is) the (?:matter|problem)|what(?:'s| is) (?:up|going on)|"
        r"help (?:you )?with today|anything i can help"
    ),
    "anything_else": _rx(
        r"anything else|something else|any(?:thing)? (?:other|further) (?:questions|queries|help)|"
        r"any other (?:questions|queries|way)|help (?:you )?with anything"
    ),
    "goodbye": _rx(
        r"\b(?:good)?bye\b|have a (?:good|nice|lovely|great|wonderful) (?:day|evening|afternoon|"
        r"weekend|morning|night)|\btake care\b|all the best|speak (?:to you )?soon"
    ),
    "confirm_update": _rx(
        r"(?:i'?ve|i have|has been|have been|that'?s|that is|all|now)\s+(?:now\s+|just\s+)?"
        r"(?:updated|changed|amended)|(?:updated|changed|amended) (?:your|the|that)|"
        r"(?:is|are) now (?:updated|changed|showing)|reset link|unlocked|unblocked"
    ),
    "confirm_refund": _rx(
        r"refund(?:ed)? (?:has|have) been|(?:i'?ve|i have|has been)\s+(?:now\s+|just\s+)?"
        r"(?:raised|issued|processed|credited|refunded|applied|added|paid)|"
        r"credited (?:your|the|to)|(?:raised|issued|processed) (?:a|the|your) (?:refund|credit)"
    ),
    "confirm_escalation": _rx(
        r"(?:passed|escalated|referred|transferred|handed)\s+(?:this|it|you|your|the)\b"
        r"|sent (?:this|it|your \w+) (?:on |over )?to (?:my|our|the|a)\b|supervisor|\bmanager\b|team leader|(?:complaints|specialist|data "
        r"protection|bereavement|support|privacy) team|\bdpo\b"
    ),
    "confirm_complaint": _rx(
        r"(?:logged|raised|recorded|registered|opened)\s+(?:a|your|the|this as a)\s+"
        r"(?:formal\s+)?complaint|complaint (?:reference|has been|number)"
    ),
    "hold": _rx(
        r"bear with|one (?:moment|minute|second|sec)|hold on|on hold|hold please|"
        r"give me a (?:moment|second|minute|sec)|just (?:checking|looking)|let me (?:check|look|have a look|"
        r"see|just)|while i (?:check|look)"
    ),
    "card_warning": _rx(
        r"(?:don'?t|do not|never|shouldn'?t|should not|please avoid|avoid)\s+(?:\w+\s+){0,3}?"
        r"(?:share|send|give|type|post|provide|put|write|include)\b|"
        r"(?:removed|deleted|redacted|masked) (?:your|the) card|for your (?:own )?security"
    ),
    "refusal": _rx(
        r"(?:i'?m|i am|we'?re|we are)\s+(?:\w+\s+)?(?:unable|not able)|"
        r"(?:i|we)\s+(?:can'?t|cannot|can not|won'?t be able to|am not allowed to)\s+"
        r"(?:\w+\s+)?(?:discuss|disclose|give|share|tell|go|make|change|process|access|help|do|"
        r"confirm|release|accept|speak|action|update|delete|erase)|"
        r"(?:not|un)able to (?:pass|complete|verify)|(?:failed|didn'?t pass|not passed) "
        r"(?:security|verification)|(?:security|verification) (?:has )?(?:failed|is locked|locked)|"
        r"locked|only (?:speak|discuss|deal) (?:to|with) the account holder"
    ),
    "verified": _rx(
        r"(?:thank you|thanks) for (?:verifying|confirming|those|that|passing)|"
        r"(?:passed|completed|cleared) (?:security|verification|the security)|you(?:'re| are) verified"
    ),
    "amount": _rx(r"how much|\bamount\b|\bvalue\b|what (?:was|is) the (?:fee|charge|cost)"),
    "email": _rx(r"e-?mail"),
    "thanks": _rx(r"^\s*(?:thank you|thanks|ok(?:ay)?|great|perfect|lovely|brilliant)\W*$"),
}
