"""``content``: call, query, insert, delete against a content provider (cmds/content Content.java).

Output as Android prints it: ``Result: Bundle[{k=v, ...}]`` / ``Result: null`` for call,
``Row: N col=value, col=value`` or ``No result found.`` for query. Failures print
``Error while accessing provider:AUTHORITY`` and the exception on stderr; the tool exits 0
all the same, because Content.java catches the exception and returns.
"""

from __future__ import annotations

from typing import Any

from harness.virtual.apps.base import ProviderError
from harness.virtual.shell.registry import Invocation, command

USAGE = ("usage: adb shell content [subcommand] [options]\n\n"
         "usage: adb shell content call --uri <URI> --method <METHOD> [--arg <ARG>]\n"
         "  [--extra <BINDING> ...]\n"
         "usage: adb shell content query --uri <URI> [--user <USER_ID>] "
         "[--projection <PROJECTION>] [--where <WHERE>] [--sort <SORT_ORDER>]")


def format_value(value: Any) -> str:
    """Java's toString of a Bundle value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return format_bundle(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def format_bundle(values: dict[str, Any]) -> str:
    # Bundle.toString: "Bundle[" + its ArrayMap's toString (keys in hash order; we keep
    # insertion order, which is what a one-key result shows anyway) + "]".
    inner = ", ".join(f"{k}={format_value(v)}" for k, v in values.items())
    return f"Bundle[{{{inner}}}]"


def _authority(uri: str) -> str:
    if not uri.startswith("content://"):
        raise ValueError(f"Invalid URI: {uri}")
    return uri[len("content://"):].split("/", 1)[0]


def _parse_extra(binding: str) -> tuple[str, Any]:
    # --extra key:type:value with types s (string), i (int), l (long), f (float), b (boolean)
    key, _, rest = binding.partition(":")
    kind, _, value = rest.partition(":")
    converters = {"s": str, "i": int, "l": int, "f": float, "d": float,
                  "b": lambda v: v.lower() == "true"}
    return key, converters.get(kind, str)(value)


@command("content")
def content(inv: Invocation) -> int:
    args = list(inv.args)
    if not args or args[0] not in ("call", "query", "insert", "delete", "update", "read"):
        inv.errln(USAGE)
        return 1
    verb, opts = args[0], args[1:]
    values: dict[str, Any] = {"extras": {}, "binds": {}}
    it = iter(opts)
    for a in it:
        if a in ("--uri", "--method", "--arg", "--projection", "--where", "--sort", "--user"):
            values[a[2:]] = next(it, "")
        elif a in ("--extra", "--bind"):
            key, value = _parse_extra(next(it, ""))
            values["extras" if a == "--extra" else "binds"][key] = value
        else:
            inv.errln(f"Unsupported argument: {a}")
            return 1
    uri = values.get("uri")
    if not uri:
        inv.errln("Content provider URI not specified. Did you specify --uri argument?")
        return 1
    try:
        authority = _authority(uri)
    except ValueError as exc:
        inv.errln(str(exc))
        return 1
    if not inv.device.system_ready:
        inv.errln(f"Error while accessing provider:{authority}\n"
                  f"java.lang.NullPointerException: Attempt to invoke interface method on a "
                  f"null object reference")
        return 0
    from harness.virtual.system.activity import ActivityManagerService, ProviderAccessError

    am = inv.device.system.service(ActivityManagerService)  # type: ignore[union-attr]
    try:
        app = am.acquire_provider(authority, inv.uid, write=verb in ("insert", "delete",
                                                                     "update"))
        if verb == "call":
            if "method" not in values:
                inv.errln("Content provider method not specified.")
                return 1
            result = app.provider_call(authority, values["method"], values.get("arg"),
                                       values["extras"], inv.uid)
            inv.outln("Result: " + (format_bundle(result) if result is not None else "null"))
        elif verb == "query":
            projection = values["projection"].split(":") if values.get("projection") else None
            columns, rows = app.provider_query(uri, projection, values.get("where"),
                                               values.get("sort"), inv.uid)
            if not rows:
                inv.outln("No result found.")
            for index, row in enumerate(rows):
                cells = ", ".join(f"{c}={'NULL' if v is None else format_value(v)}"
                                  for c, v in zip(columns, row, strict=False))
                inv.outln(f"Row: {index} {cells}")
        else:
            raise ProviderError("java.lang.UnsupportedOperationException",
                                f"{verb} is not supported by this provider")
    except (ProviderAccessError, ProviderError) as exc:
        inv.errln(f"Error while accessing provider:{authority}")
        inv.errln(f"{exc.exception}: {exc.message}")
        inv.errln(f"\tat com.android.commands.content.Content$Command.execute(Content.java:{521})")
    return 0
