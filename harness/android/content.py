"""Parser for the output of the ``content`` shell tool.

- ``content query --uri ...`` prints one ``Row: <n> col=value, col2=value2`` line per row, or
  ``No result found.``; a NULL column prints as ``NULL``.
- ``content call --uri ... --method ...`` prints ``Result: Bundle[{key=value, ...}]`` or
  ``Result: null``.
- ``content insert/update/delete`` print nothing; failures print
  ``Error while accessing provider:<authority>`` and a Java stack trace.

Values are printed raw, so they may contain ", " and "=". Without column names a row is split
before every ", name=" outside brackets, which is right unless a value itself contains such a
sequence; pass the column names (for example the ``--projection``) to :func:`parse_query` to
split only before the known columns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.android.dumpsys_format import split_fields
from harness.android.text import normalize
from harness.errors import ParseError

COMMAND = "content"

_ROW = re.compile(r"^Row: (?P<index>\d+)(?: (?P<body>.*))?$")
_RESULT = re.compile(r"^Result: (?P<value>.*)$")
_ERROR = re.compile(r"^Error while accessing provider:?\s*(?P<authority>.*)$")
_BUNDLE = re.compile(r"^(?:Persistable)?Bundle\[(?P<inner>.*)\]$", re.S)


@dataclass
class ContentRow:
    index: int
    values: dict[str, str | None] = field(default_factory=dict)  # NULL columns are None


@dataclass
class ContentResult:
    kind: str  # "query", "call", "empty" (insert/update/delete) or "error"
    rows: list[ContentRow] = field(default_factory=list)
    no_result: bool = False  # "No result found."
    bundle: dict[str, str] | None = None  # content call; None for "Result: null"
    bundle_raw: str | None = None
    error: str | None = None  # first line of a Java exception, when the provider failed
    error_authority: str | None = None
    unparsed: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        seen: dict[str, None] = {}
        for row in self.rows:
            seen.update(dict.fromkeys(row.values))
        return list(seen)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse(text: str | bytes) -> ContentResult:
    """Whatever the ``content`` tool printed: query rows, a call result, nothing, or an error."""
    body = normalize(text)
    lines = [ln for ln in body.split("\n") if ln.strip()]
    if not lines:
        return ContentResult(kind="empty")
    if any(_ROW.match(ln) or ln.strip() == "No result found." for ln in lines):
        return parse_query(body)
    if any(_RESULT.match(ln) for ln in lines):
        return parse_call(body)
    error = _error(lines)
    if error is not None:
        return error
    raise ParseError(COMMAND, "neither query rows, a call result nor a provider error", 1, lines[0])


def parse_query(text: str | bytes, columns: Sequence[str] | None = None) -> ContentResult:
    """``content query`` output; ``columns`` (as printed) make values with ", x=" safe."""
    lines = normalize(text).split("\n")
    result = ContentResult(kind="query")
    recognized = False
    for number, line in enumerate(lines, 1):
        stripped = line.rstrip()
        if not stripped.strip():
            continue
        match = _ROW.match(stripped)
        if match:
            recognized = True
            values = _split_row(match["body"] or "", columns)
            result.rows.append(
                ContentRow(index=int(match["index"]), values={k: _null(v) for k, v in values})
            )
        elif stripped.strip() == "No result found.":
            recognized = True
            result.no_result = True
        elif result.rows and not _ERROR.match(stripped):
            # A value with a newline continues on the next printed line.
            last = result.rows[-1]
            if last.values:
                key = list(last.values)[-1]
                last.values[key] = f"{last.values[key] or ''}\n{stripped}"
            else:
                result.unparsed.append(f"{number}: {stripped}")
        else:
            result.unparsed.append(f"{number}: {stripped}")
    if not recognized:
        error = _error([ln for ln in lines if ln.strip()])
        if error is not None:
            return error
        raise ParseError(COMMAND + " query", "no 'Row:' lines and no 'No result found.'")
    return result


def parse_call(text: str | bytes) -> ContentResult:
    """``content call`` output: ``Result: Bundle[{...}]`` or ``Result: null``."""
    body = normalize(text).strip("\n")
    match = re.search(r"^Result: (?P<value>.*)$", body, re.M | re.S)
    if not match:
        error = _error([ln for ln in body.split("\n") if ln.strip()])
        if error is not None:
            return error
        raise ParseError(COMMAND + " call", "no 'Result:' line")
    value = match["value"].strip()
    result = ContentResult(kind="call", bundle_raw=value)
    if value == "null":
        return result
    result.bundle = parse_bundle(value)
    return result


def parse_bundle(text: str) -> dict[str, str]:
    """``Bundle[{k=v, k2=v2}]`` to a dict; a still-parcelled bundle gives ``{}``."""
    match = _BUNDLE.match(text.strip())
    inner = match["inner"] if match else text.strip()
    if inner.startswith("{") and inner.endswith("}"):
        return {k: v for k, v in split_fields(inner[1:-1], ", ") if k}
    return {}


def _split_row(body: str, columns: Sequence[str] | None) -> list[tuple[str, str]]:
    if not columns:
        pairs = split_fields(body, ", ")
        # A leading chunk without "=" cannot happen in a well-formed row; keep it visible.
        return [(k or "?", v) for k, v in pairs]
    # Where each known column starts: at the very beginning or right after ", ".
    starts: dict[str, int] = {}
    for column in columns:
        prefix = f"{column}="
        if body.startswith(prefix):
            starts[column] = 0
        else:
            at = body.rfind(f", {prefix}")
            if at >= 0:
                starts[column] = at + 2
    ordered = sorted(starts.items(), key=lambda item: item[1])
    pairs = []
    for i, (column, at) in enumerate(ordered):
        end = ordered[i + 1][1] - 2 if i + 1 < len(ordered) else len(body)
        pairs.append((column, body[at + len(column) + 1 : end]))
    return pairs


def _null(value: str) -> str | None:
    return None if value == "NULL" else value


def _error(lines: list[str]) -> ContentResult | None:
    for i, line in enumerate(lines):
        match = _ERROR.match(line.strip())
        if match:
            detail = next((ln.strip() for ln in lines[i + 1 :] if ln.strip()), "")
            return ContentResult(
                kind="error",
                error=detail or line.strip(),
                error_authority=match["authority"] or None,
            )
    return None
