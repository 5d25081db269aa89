"""Which devices a run uses: ``--serial``, ``--all-devices`` and ``--device-filter``.

The filter is a small expression language, parsed here by hand and never handed to ``eval``::

    api>=31 and manufacturer=Google
    virtual
    not virtual and model~Pixel
    (profile=pixel or profile=samsung-oneui) and api!=33
    model~"Pixel [78]"

Grammar (keywords ``and``, ``or``, ``not`` are case-insensitive; ``not`` binds tightest, then
``and``, then ``or``)::

    expr      := term ("or" term)*
    term      := factor ("and" factor)*
    factor    := "not" factor | "(" expr ")" | condition
    condition := FIELD OP VALUE | "virtual"

Fields: ``api`` (a number: ``= != < <= > >=``), ``manufacturer``, ``model``, ``profile``,
``serial``, ``server`` (text: ``=``/``==`` and ``!=`` compare without regard to case, ``~`` and
``!~`` search a case-insensitive regular expression), and ``virtual`` (true or false; alone it
means ``virtual=true``). A value is a word without spaces, parentheses, quotes or operator
characters, or a quoted string (``"..."`` or ``'...'``, backslash escapes the quote).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness.errors import DeviceFilterError, DeviceNotFound, NoDevicesSelected
from harness.farm.discovery import FarmDevice

FIELDS: dict[str, str] = {
    "api": "number",
    "manufacturer": "text",
    "model": "text",
    "profile": "text",
    "serial": "text",
    "server": "text",
    "virtual": "boolean",
}
_OPERATORS_BY_TYPE = {
    "number": ("=", "==", "!=", "<", "<=", ">", ">="),
    "text": ("=", "==", "!=", "~", "!~"),
    "boolean": ("=", "==", "!="),
}
# Longest first, so that ">=" is not read as ">" followed by "=".
_OPERATORS = ("==", "!=", ">=", "<=", "!~", "=", "<", ">", "~")
_KEYWORDS = ("and", "or", "not")
_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")
_WORD = re.compile(r"""[^\s()'"=!<>~]+""")


# ------------------------------------------------------------------------------ tokens
@dataclass(frozen=True)
class _Token:
    kind: str  # word, string, op, lparen, rparen, end
    text: str
    pos: int

    def is_keyword(self, word: str | None = None) -> bool:
        if self.kind != "word" or self.text.lower() not in _KEYWORDS:
            return False
        return word is None or self.text.lower() == word


def _tokenize(expr: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(expr):
        c = expr[i]
        if c.isspace():
            i += 1
        elif c in "()":
            tokens.append(_Token("lparen" if c == "(" else "rparen", c, i))
            i += 1
        elif c in "\"'":
            start, i, chars = i, i + 1, []
            while i < len(expr) and expr[i] != c:
                if expr[i] == "\\" and i + 1 < len(expr):
                    i += 1
                chars.append(expr[i])
                i += 1
            if i >= len(expr):
                raise DeviceFilterError(expr, start, f"unterminated string (missing {c})")
            tokens.append(_Token("string", "".join(chars), start))
            i += 1
        elif op := next((o for o in _OPERATORS if expr.startswith(o, i)), None):
            tokens.append(_Token("op", op, i))
            i += len(op)
        elif m := _WORD.match(expr, i):
            tokens.append(_Token("word", m.group(), i))
            i = m.end()
        else:  # a lone "!"
            raise DeviceFilterError(expr, i, f"unexpected character {c!r}")
    tokens.append(_Token("end", "", len(expr)))
    return tokens


# ------------------------------------------------------------------------------ tree
@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: str | int | bool
    pattern: re.Pattern[str] | None = None

    def matches(self, facts: Mapping[str, object]) -> bool:
        actual = facts.get(self.field)
        if self.op in ("~", "!~"):
            assert self.pattern is not None
            found = self.pattern.search(str(actual or "")) is not None
            return found if self.op == "~" else not found
        if isinstance(self.value, bool | int):
            left, right = actual, self.value
        else:
            left, right = str(actual or "").casefold(), self.value.casefold()
        if self.op in ("=", "=="):
            return left == right
        if self.op == "!=":
            return left != right
        left_n, right_n = int(left or 0), int(right)  # type: ignore[arg-type]
        return {
            "<": left_n < right_n,
            "<=": left_n <= right_n,
            ">": left_n > right_n,
            ">=": left_n >= right_n,
        }[self.op]

    def __str__(self) -> str:
        value = self.value
        if isinstance(value, bool):
            if value and self.op in ("=", "=="):
                return self.field
            return f"{self.field}{self.op}{str(value).lower()}"
        text = str(value)
        if not _WORD.fullmatch(text) or text.lower() in _KEYWORDS:
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{self.field}{self.op}{text}"


@dataclass(frozen=True)
class Not:
    operand: Expr

    def matches(self, facts: Mapping[str, object]) -> bool:
        return not self.operand.matches(facts)

    def __str__(self) -> str:
        return f"not {_wrapped(self.operand, Not)}"


@dataclass(frozen=True)
class And:
    left: Expr
    right: Expr

    def matches(self, facts: Mapping[str, object]) -> bool:
        return self.left.matches(facts) and self.right.matches(facts)

    def __str__(self) -> str:
        return f"{_wrapped(self.left, And)} and {_wrapped(self.right, And)}"


@dataclass(frozen=True)
class Or:
    left: Expr
    right: Expr

    def matches(self, facts: Mapping[str, object]) -> bool:
        return self.left.matches(facts) or self.right.matches(facts)

    def __str__(self) -> str:
        return f"{self.left} or {self.right}"


Expr = Condition | Not | And | Or


def _wrapped(expr: Expr, parent: type) -> str:
    # Parenthesize only what binds looser than the parent.
    looser = {Not: (And, Or), And: (Or,)}.get(parent, ())
    return f"({expr})" if isinstance(expr, looser) else str(expr)


# ------------------------------------------------------------------------------ parser
class _Parser:
    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.tokens = _tokenize(expr)
        self.i = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def fail(self, message: str, token: _Token | None = None) -> DeviceFilterError:
        return DeviceFilterError(self.expr, (token or self.tok).pos, message)

    def parse(self) -> Expr:
        if self.tok.kind == "end":
            raise self.fail("the filter is empty")
        expr = self.expr_()
        if self.tok.kind != "end":
            if self.tok.kind == "rparen":
                raise self.fail("')' without a matching '('")
            raise self.fail(
                f"unexpected {self.tok.text!r}; join conditions with 'and' or 'or'"
            )
        return expr

    def expr_(self) -> Expr:
        left = self.term()
        while self.tok.is_keyword("or"):
            self.i += 1
            left = Or(left, self.term())
        return left

    def term(self) -> Expr:
        left = self.factor()
        while self.tok.is_keyword("and"):
            self.i += 1
            left = And(left, self.factor())
        return left

    def factor(self) -> Expr:
        tok = self.tok
        if tok.is_keyword("not"):
            self.i += 1
            return Not(self.factor())
        if tok.kind == "lparen":
            self.i += 1
            inner = self.expr_()
            if self.tok.kind != "rparen":
                raise self.fail(f"expected ')' to close the '(' at column {tok.pos + 1}")
            self.i += 1
            return inner
        return self.condition()

    def condition(self) -> Condition:
        tok = self.tok
        if tok.kind == "end":
            raise self.fail("the filter ends where a condition was expected")
        if tok.kind != "word" or tok.is_keyword():
            raise self.fail(
                f"expected a condition (e.g. api>=31, model~Pixel, virtual), found {tok.text!r}"
            )
        field = tok.text.lower()
        if field not in FIELDS:
            close = difflib.get_close_matches(field, FIELDS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise self.fail(f"unknown field {tok.text!r}{hint} (fields: {', '.join(FIELDS)})")
        kind = FIELDS[field]
        self.i += 1
        op_tok = self.tok
        if op_tok.kind != "op":
            if kind == "boolean":
                return Condition(field, "=", True)
            ops = " ".join(_OPERATORS_BY_TYPE[kind])
            raise self.fail(f"expected an operator after {tok.text!r} ({ops})")
        if op_tok.text not in _OPERATORS_BY_TYPE[kind]:
            ops = " ".join(_OPERATORS_BY_TYPE[kind])
            raise self.fail(f"{op_tok.text!r} does not apply to {kind} field {field!r} ({ops})")
        self.i += 1
        value_tok = self.tok
        if value_tok.kind not in ("word", "string") or (
            value_tok.kind == "word" and value_tok.is_keyword()
        ):
            raise self.fail(f"expected a value after '{tok.text}{op_tok.text}'")
        self.i += 1
        return self.typed(field, kind, op_tok.text, value_tok)

    def typed(self, field: str, kind: str, op: str, tok: _Token) -> Condition:
        text = tok.text
        if kind == "number":
            try:
                return Condition(field, op, int(text))
            except ValueError:
                raise self.fail(f"{field} needs a whole number, found {text!r}", tok) from None
        if kind == "boolean":
            if text.lower() in _TRUE:
                return Condition(field, op, True)
            if text.lower() in _FALSE:
                return Condition(field, op, False)
            raise self.fail(f"{field} is true or false, found {text!r}", tok)
        if op in ("~", "!~"):
            try:
                return Condition(field, op, text, re.compile(text, re.IGNORECASE))
            except re.error as exc:
                raise self.fail(f"invalid regular expression {text!r}: {exc}", tok) from None
        return Condition(field, op, text)


def parse_filter(expr: str) -> Expr:
    """Parse a ``--device-filter`` expression; raises :class:`DeviceFilterError`."""
    return _Parser(expr).parse()


# ------------------------------------------------------------------------------ selection
def split_serial(spec: str) -> tuple[str, str | None]:
    """``SERIAL`` or ``SERIAL@HOST:PORT`` (a serial qualified by its adb server)."""
    serial, sep, server = spec.rpartition("@")
    if not sep or ":" not in server:
        return spec, None
    return serial, server


def select(
    seen: Sequence[FarmDevice],
    serials: Sequence[str] = (),
    expr: Expr | None = None,
    all_devices: bool = False,
    filter_text: str = "",
) -> tuple[list[FarmDevice], list[str]]:
    """The devices to run on, plus notes about devices passed over (offline, unauthorized).

    - ``serials``: exactly these (each ``SERIAL`` or ``SERIAL@HOST:PORT``), in this order;
      a serial listed by two servers must name its server;
    - otherwise, with ``all_devices`` or a filter: every online device;
    - ``expr`` then keeps only the devices it matches.

    Raises :class:`DeviceNotFound` for a named serial nobody lists, and
    :class:`NoDevicesSelected` (listing every device seen) when nothing is left.
    """
    listing = [d.describe() for d in seen]
    notes: list[str] = []
    chosen: list[FarmDevice] = []
    if serials:
        for spec in serials:
            serial, server = split_serial(spec)
            hits = [
                d for d in seen if d.serial == serial and server in (None, d.server)
            ]
            if not hits:
                servers = sorted({d.server for d in seen}) or ["(none)"]
                raise DeviceNotFound(spec, listing, ", ".join(servers))
            if len(hits) > 1:
                where = ", ".join(d.server for d in hits)
                raise NoDevicesSelected(
                    f"serial {serial} is listed by several adb servers ({where}); name one as "
                    f"{serial}@HOST:PORT",
                    listing,
                )
            device = hits[0]
            if not device.online:
                raise NoDevicesSelected(
                    f"device {spec} is {device.state}"
                    + (f" ({device.note})" if device.note else ""),
                    listing,
                )
            if device not in chosen:
                chosen.append(device)
    else:
        for d in seen:
            if d.online:
                chosen.append(d)
            else:
                notes.append(f"skipped {d.describe()}")
    if expr is not None:
        chosen = [d for d in chosen if expr.matches(d.facts())]
    if not chosen:
        if expr is not None:
            raise NoDevicesSelected(f"no device matches --device-filter {filter_text!r}", listing)
        raise NoDevicesSelected("no online device found", listing)
    return chosen, notes


def labels(devices: Sequence[FarmDevice]) -> dict[str, str]:
    """Short names for test ids: the serial, or ``serial@server`` when two servers share it."""
    counts: dict[str, int] = {}
    for d in devices:
        counts[d.serial] = counts.get(d.serial, 0) + 1
    return {d.key: d.serial if counts[d.serial] == 1 else d.key for d in devices}
