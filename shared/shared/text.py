"""Text that requests may carry: bounded in length, without control characters.

Every string a client sends (a body field, a path or query parameter, a dict key) is one
of these types, so none is unbounded (a megabyte "name" costs memory at each hop and in
every error that mentions it) and none carries NUL, which PostgreSQL cannot store (a
500 instead of a 422), or another C0 control character, which no name, glosa or id has.

    name: Text(200) = Field(min_length=1)
    reason: Text(500, multiline=True) | None = None
    company_id: Annotated[Identifier, Path(description=...)]

``preview`` is what an error message may quote of a value a client sent: a short prefix.
"""

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

# C0 controls (U+0000-U+001F) and DEL. Multi-line text (a reason a person types) may also
# hold tab, line feed and carriage return; single-line text (names, codes, ids) may not.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_CONTROL_NAMES = {0x00: "NUL", 0x09: "tab", 0x0A: "line feed", 0x0D: "carriage return",
                  0x1B: "ESC", 0x7F: "DEL"}

PREVIEW_LENGTH = 40
IDENTIFIER_MAX_LENGTH = 100  # ids are UUIDs (36 characters); room for other id schemes


def preview(value: object, limit: int = PREVIEW_LENGTH) -> str:
    """At most ``limit`` characters of ``value`` for a message, saying how long it was."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


def control_character_problem(value: str, *, multiline: bool = False) -> str | None:
    """What is wrong with ``value``'s characters, in words, or None when nothing is."""
    found = (_CONTROL_IN_MULTILINE if multiline else _CONTROL).search(value)
    if found is None:
        return None
    code = ord(found.group())
    name = _CONTROL_NAMES.get(code, "a control character")
    allowed = "; only tab and line breaks are allowed" if multiline else ""
    return (f"contains {name} (U+{code:04X}) at character {found.start() + 1}: remove "
            f"control characters{allowed}")


def text_problem(value: str, max_length: int, *, multiline: bool = False) -> str | None:
    """The same checks as ``Text(max_length)``, for code that sees a raw value before
    validation does (access checks that look a path parameter up)."""
    if len(value) > max_length:
        return f"has {len(value)} characters; at most {max_length} are allowed"
    return control_character_problem(value, multiline=multiline)


def _single_line(value: str) -> str:
    problem = control_character_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _multiline(value: str) -> str:
    problem = control_character_problem(value, multiline=True)
    if problem is not None:
        raise ValueError(problem)
    return value


def Text(max_length: int, *, multiline: bool = False) -> type[str]:  # noqa: N802 - a type
    """A pydantic/FastAPI string type of at most ``max_length`` characters, without
    control characters (but tab and line breaks when ``multiline``). The length is
    checked first (in pydantic's core), so the character check only sees bounded text;
    add ``min_length``, ``pattern`` or a description with ``Field``/``Query``/``Path``."""
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(max_length=max_length),
        AfterValidator(_multiline if multiline else _single_line),
    ]


Identifier = Text(IDENTIFIER_MAX_LENGTH)
"""An id a client names (a company, sync, entry, request or document id)."""
