"""Parser for ``getprop`` (all properties): ``[key]: [value]`` lines.

A value may hold line breaks (``persist.sys.boot.reason.history`` does on most devices): its
first line then has no closing bracket and the value runs on until a line that ends with ``]``.
A value is also closed, without its bracket, when the next line opens a new property, so that
one broken value cannot swallow the properties after it. Lines that fit neither shape are kept
in ``unparsed`` (blank lines are dropped); a line that is recognisably a property but
misshapen (a wrong opening bracket, a missing closing one) is read as well as it can be and
its number recorded in ``irregular_lines``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from harness.android.text import normalize
from harness.errors import ParseError

COMMAND = "getprop"

_PROP = re.compile(r"^\[(?P<key>[^\]\s]*)\]: \[(?P<value>.*)$")
# Something that still reads as "key]: [value" after its first character got mangled.
_LOOSE_PROP = re.compile(r"^\W?(?P<key>[\w.\-:@]+)\]:\s*\[(?P<value>.*)$")


@dataclass
class Properties:
    props: dict[str, str] = field(default_factory=dict)
    irregular_lines: list[int] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.props.get(key, default)

    def __getitem__(self, key: str) -> str:
        return self.props[key]

    def __contains__(self, key: object) -> bool:
        return key in self.props

    @property
    def sdk(self) -> int | None:
        """``ro.build.version.sdk`` as an int, when present and numeric."""
        try:
            return int(self.props["ro.build.version.sdk"])
        except (KeyError, ValueError):
            return None

    def to_json(self) -> dict[str, Any]:
        return dict(self.props)


def _mark_irregular(result: Properties, line_number: int) -> None:
    if line_number not in result.irregular_lines:
        result.irregular_lines.append(line_number)


def parse(text: str | bytes) -> Properties:
    result = Properties()
    open_key: str | None = None  # a multi-line value still waiting for its "]"
    open_parts: list[str] = []
    open_line = 0

    for number, line in enumerate(normalize(text).split("\n"), start=1):
        m = _PROP.match(line)
        if open_key is not None:
            if m is None:
                if line.endswith("]"):
                    result.props[open_key] = "\n".join([*open_parts, line[:-1]])
                    open_key = None
                else:
                    open_parts.append(line)
                continue
            # A new property starts: the open value never got its bracket.
            result.props[open_key] = "\n".join(open_parts).rstrip("\n")
            _mark_irregular(result, open_line)
            open_key = None
        if not line.strip():
            continue
        loose = False
        if m is None:
            m = _LOOSE_PROP.match(line)
            loose = m is not None
        if m is None:
            result.unparsed.append(line)
            continue
        if loose:
            _mark_irregular(result, number)
        key, value = m.group("key"), m.group("value")
        if value.endswith("]"):
            result.props[key] = value[:-1]
        else:
            open_key, open_parts, open_line = key, [value], number
    if open_key is not None:
        # Output cut short (a timeout, a truncated file): keep what came.
        result.props[open_key] = "\n".join(open_parts).rstrip("\n")
        _mark_irregular(result, open_line)

    if not result.props:
        first = result.unparsed[0] if result.unparsed else ""
        raise ParseError(COMMAND, "no [key]: [value] lines", 1 if first else 0, first)
    return result
