"""Text a person or another system sends: no control characters, never blank.

Two kinds of text field:

- a *line* (names, addresses, titles, identifiers, codes): no control character at all, no line
  or paragraph separator, no bidirectional-override character (which can make a name read
  differently from what is stored);
- a *message* (an explanation, a purpose, the scope of a guarantee): the same, except that it
  may span lines and hold tabs. CR LF and lone CR are stored as LF.

Both are stored without surrounding white space and refused when nothing else is left. The same
rules, as JSON Schema patterns, are published in the OpenAPI documents.
"""

from __future__ import annotations

import re
import unicodedata

# Code points refused in every text field, as regular-expression class ranges.
_ALWAYS_REFUSED = (
    r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"  # C0 and C1 controls except \t \n \r
    r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional formatting
    r"\u2028\u2029"  # line and paragraph separators
    r"\ufeff\ufff9-\ufffb\ufffe\uffff"  # byte-order mark, annotation controls, non-characters
)
_LINE_BREAKS = r"\u0009\u000a\u000d"
# White space as `str.strip()` sees it, less what the classes above refuse anyway.
_SPACE = r"\u0020\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"

_LINE_REFUSED = _ALWAYS_REFUSED + _LINE_BREAKS
_MESSAGE_REFUSED = _ALWAYS_REFUSED

LINE_PATTERN = f"^[^{_LINE_REFUSED}]*[^{_LINE_REFUSED}{_SPACE}][^{_LINE_REFUSED}]*$"
MESSAGE_PATTERN = (
    f"^[^{_MESSAGE_REFUSED}]*[^{_MESSAGE_REFUSED}{_SPACE}{_LINE_BREAKS}][^{_MESSAGE_REFUSED}]*$"
)

_LINE_BAD = re.compile(f"[{_LINE_REFUSED}\ud800-\udfff]")
_MESSAGE_BAD = re.compile(f"[{_MESSAGE_REFUSED}\ud800-\udfff]")
_CARRIAGE_RETURN = re.compile(r"\r\n?")


class TextRefused(ValueError):
    """Text that breaks a rule; ``code`` is stable and machine-readable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def clean_line(value: str) -> str:
    """A single line of text, stripped; refused with a control character or when blank."""
    return _clean(value, _LINE_BAD)


def clean_message(value: str) -> str:
    """Free text that may span lines, stripped and with LF line ends; refused as a line is."""
    return _CARRIAGE_RETURN.sub("\n", _clean(value, _MESSAGE_BAD))


def _clean(value: str, refused: re.Pattern[str]) -> str:
    bad = refused.search(value)
    if bad is not None:
        char = bad.group()
        if "\ud800" <= char <= "\udfff":
            raise TextRefused("text.unpaired_surrogate", f"unpaired surrogate at {bad.start()}")
        raise TextRefused(
            "text.control_character",
            f"control character U+{ord(char):04X} ({_name(char)}) at position {bad.start()}",
        )
    stripped = value.strip()
    if not stripped:
        raise TextRefused("text.blank", "must not be blank")
    return stripped


def _name(char: str) -> str:
    return unicodedata.name(char, "") or unicodedata.category(char)
