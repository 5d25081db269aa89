"""JSON in and out of the control channel, as the app's ``Json.kt`` does it.

:class:`Args` gives typed access to a call's arguments and names the key in every error
(``bad_arguments``); :func:`ok` and :func:`error` build results; :func:`dumps` writes JSON the
way ``org.json`` does (compact, ``/`` escaped, integral numbers without ``.0``), so results and
event details read the same as on a phone.
"""

from __future__ import annotations

import json
import math
from typing import Any


class BadArguments(Exception):
    """A control call's arguments were missing or had the wrong type (``bad_arguments``)."""


def type_name(value: Any) -> str:
    """Args.typeName: how an error message names a JSON value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _plain(value: Any) -> Any:
    # JSONObject.numberToString: a double with an integral value prints as a long.
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """JSONObject.toString(): compact, insertion order, ``/`` written as ``\\/``."""
    text = json.dumps(_plain(value), separators=(",", ":"), ensure_ascii=False)
    return text.replace("/", "\\/")


def loads_object(text: str | None) -> dict[str, Any]:
    """EventLog.parseObject: a JSON object kept as text; empty when unreadable."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def ok(**fields: Any) -> dict[str, Any]:
    return {"ok": True, **fields}


def error(code: str, message: str | None = None, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = {"ok": False, "error": code}
    if message is not None:
        result["message"] = message
    result.update(fields)
    return result


def json_of(**fields: Any) -> dict[str, Any]:
    """jsonOf: like a dict, but None values are left out."""
    return {k: v for k, v in fields.items() if v is not None}


class Args:
    """Typed access to a call's JSON arguments (Json.kt ``Args``); unknown keys are ignored."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.json = values

    @classmethod
    def parse(cls, arg: str | None) -> Args:
        if arg is None or not arg.strip():
            return cls({})
        try:
            value = json.loads(arg)
        except ValueError as exc:
            raise BadArguments(f"the argument is not a JSON object: {exc}") from exc
        if not isinstance(value, dict):
            raise BadArguments(
                f"the argument is not a JSON object: {type_name(value)} cannot be converted "
                "to JSONObject"
            )
        return cls(value)

    def has(self, key: str) -> bool:
        return self.json.get(key) is not None

    # ------------------------------------------------------------------ strings
    def opt_string(self, key: str) -> str | None:
        if not self.has(key):
            return None
        value = self.json[key]
        if not isinstance(value, str):
            raise BadArguments(f"'{key}' must be a string, not {type_name(value)}")
        return value

    def string(self, key: str, default: str | None = None) -> str:
        value = self.opt_string(key)
        if value is not None:
            return value
        if default is None:
            raise BadArguments(f"'{key}' is required (a string)")
        return default

    # ------------------------------------------------------------------ numbers
    def opt_long(self, key: str) -> int | None:
        if not self.has(key):
            return None
        value = self.json[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadArguments(f"'{key}' must be an integer, not {type_name(value)}")
        if isinstance(value, float):
            if not math.isfinite(value) or value != math.floor(value):
                raise BadArguments(f"'{key}' must be an integer, not {value}")
            value = int(value)
        return value

    def long(self, key: str, default: int | None = None) -> int:
        value = self.opt_long(key)
        if value is not None:
            return value
        if default is None:
            raise BadArguments(f"'{key}' is required (an integer)")
        return default

    def non_negative_long(self, key: str, default: int) -> int:
        value = self.long(key, default)
        if value < 0:
            raise BadArguments(f"'{key}' must not be negative, not {value}")
        return value

    def opt_int(self, key: str) -> int | None:
        value = self.opt_long(key)
        if value is not None and not -(2**31) <= value < 2**31:
            raise BadArguments(f"'{key}' is out of range for an int: {value}")
        return value

    def int(self, key: str, default: int | None = None) -> int:
        value = self.opt_int(key)
        if value is not None:
            return value
        if default is None:
            raise BadArguments(f"'{key}' is required (an integer)")
        return default

    # ------------------------------------------------------------------ others
    def bool(self, key: str, default: bool) -> bool:
        if not self.has(key):
            return default
        value = self.json[key]
        if not isinstance(value, bool):
            raise BadArguments(f"'{key}' must be true or false, not {type_name(value)}")
        return value

    def opt_object(self, key: str) -> Args | None:
        if not self.has(key):
            return None
        value = self.json[key]
        if not isinstance(value, dict):
            raise BadArguments(f"'{key}' must be an object, not {type_name(value)}")
        return Args(value)

    def opt_array(self, key: str) -> list[Any] | None:
        if not self.has(key):
            return None
        value = self.json[key]
        if not isinstance(value, list):
            raise BadArguments(f"'{key}' must be a list, not {type_name(value)}")
        return value

    def string_list(self, key: str) -> list[str]:
        items = self.opt_array(key) or []
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise BadArguments(f"'{key}' must hold strings; item {i} is {type_name(item)}")
        return list(items)

    def object_list(self, key: str) -> list[Args]:
        items = self.opt_array(key)
        if items is None:
            raise BadArguments(f"'{key}' is required (a list of objects)")
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise BadArguments(f"'{key}' must hold objects; item {i} is {type_name(item)}")
            out.append(Args(item))
        return out

    def choice(self, key: str, default: str | None, choices: dict[str, Any]) -> Any:
        """One of ``choices`` (its keys), mapped to its value; ``default`` when absent."""
        name = self.opt_string(key) or default
        if name is None:
            raise BadArguments(f"'{key}' is required")
        if name not in choices:
            raise BadArguments(f"'{key}' must be one of {', '.join(choices)}, not '{name}'")
        return choices[name]


RESERVED_PREFIX = "harness."


def is_reserved(key: str) -> bool:
    """WorkKeys.isReserved: the app's own keys in a worker's Data."""
    return key.startswith(RESERVED_PREFIX)

