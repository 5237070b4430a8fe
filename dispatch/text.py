"""What text people and programs may write into the cooperative's records.

One rule for every door: the API's bodies and sockets, and the admin commands of the CLI. Text
that lies about itself (a reason that reads differently than it is stored, two logins that look
the same) or that a database cannot store (NUL: PostgreSQL refuses it) is refused before it is
written.
"""

from __future__ import annotations

import unicodedata

from dispatch.errors import InvalidInput

#: Characters that make text lie about itself: direction overrides and isolates (a reason that
#: reads differently than it is stored), and invisible ones (two logins that look the same).
DECEPTIVE = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u2060\u180e\ufeff")


def check_text(field: str, value: str, *, identifier: bool = False) -> str:
    """Refuse control characters (NUL among them: PostgreSQL cannot store it), direction
    overrides and invisible characters; an identifier also refuses every other format character
    (joiners, soft hyphens), since two different ids must never look alike."""
    for char in value:
        category = unicodedata.category(char)
        if category == "Cc" and (identifier or char not in "\n\t"):
            raise InvalidInput(field, "control_character", char=f"U+{ord(char):04X}")
        if char in DECEPTIVE or (identifier and category == "Cf"):
            raise InvalidInput(field, "invisible_character", char=f"U+{ord(char):04X}")
        if category == "Cs":
            raise InvalidInput(field, "lone_surrogate")
    return value


#: Letters that draw nothing: a Braille blank and the Hangul fillers (a "reason" of them reads
#: as empty though it is letters and symbols to Unicode).
BLANK_GLYPHS = frozenset("\u2800\u3164\u115f\u1160\uffa0")


def says_something(value: str) -> bool:
    """Whether a person could read anything in ``value``: a letter, digit, punctuation or
    symbol that draws something. A forced decision needs a reason a colleague can read later;
    blanks, format characters, combining marks alone and blank glyphs are no reason."""
    return any(unicodedata.category(c)[0] in "LNPS" and c not in BLANK_GLYPHS for c in value)
