"""The control methods of the app's provider by name, and what ``reset`` and BOOT_COMPLETED ask
of each kind of work.

A module adds a contract method with ``@register("name")``; the function gets the running app
model and the call's :class:`~harness.virtual.apps.sample.jsonargs.Args` and returns the result
object. Every module of this package whose name ends in ``_methods`` is imported with the
package, so a new kind of work (alarms, foreground services) is one new module. A contract
method nobody registered answers ``unknown_method``, as does a name outside the contract
(ControlProvider.dispatch).

``@register_reset(kind)`` adds a count to ``reset``'s result (ControlProvider.reset: work,
jobs, alarms, services, in-process work, each counted even when another one fails);
``@register_boot(kind)`` runs on BOOT_COMPLETED (BootReceiver: alarms re-registered).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from harness.app import contract as c
from harness.virtual.apps.sample.jsonargs import Args, BadArguments, error

if TYPE_CHECKING:
    from harness.virtual.apps.sample.app import SampleAppModel

Method = Callable[["SampleAppModel", Args], dict[str, Any]]
Counter = Callable[["SampleAppModel"], int]

# Error codes of the contract ("Control channel").
UNKNOWN_METHOD = "unknown_method"
BAD_ARGUMENTS = "bad_arguments"
ILLEGAL_ARGUMENT = "illegal_argument"
SECURITY_EXCEPTION = "security_exception"
INTERNAL_ERROR = "internal_error"

# ControlProvider.reset's order of kinds.
RESET_KINDS = ("work", "jobs", "alarms", "services", "inprocess")

_METHODS: dict[str, Method] = {}
_RESETS: dict[str, Counter] = {}
_BOOT: dict[str, Counter] = {}


def register(name: str) -> Callable[[Method], Method]:
    """Decorator: ``fn`` answers the contract method ``name``."""
    if name not in c.METHODS:
        raise ValueError(f"{name!r} is not a contract method ({', '.join(c.METHODS)})")

    def add(fn: Method) -> Method:
        _METHODS[name] = fn
        return fn

    return add


def register_reset(kind: str) -> Callable[[Counter], Counter]:
    """Decorator: ``fn`` cancels everything of ``kind`` for ``reset`` and returns how many."""
    if kind not in RESET_KINDS:
        raise ValueError(f"{kind!r} is not one of reset's kinds ({', '.join(RESET_KINDS)})")

    def add(fn: Counter) -> Counter:
        _RESETS[kind] = fn
        return fn

    return add


def register_boot(kind: str) -> Callable[[Counter], Counter]:
    """Decorator: ``fn`` runs when BOOT_COMPLETED reaches the app; returns how many things of
    ``kind`` it scheduled again (``boot_completed``'s ``reregistered_<kind>``)."""

    def add(fn: Counter) -> Counter:
        _BOOT[kind] = fn
        return fn

    return add


def registered() -> list[str]:
    """Registered methods, in contract order."""
    return [m for m in c.METHODS if m in _METHODS]


def dispatch(app: SampleAppModel, method: str, arg: str | None) -> dict[str, Any]:
    """ControlProvider.dispatch: every failure becomes a result, never an exception."""
    fn = _METHODS.get(method)
    if fn is None:
        return error(
            UNKNOWN_METHOD, f"unknown method '{method}'; known: {', '.join(registered())}"
        )
    try:
        return fn(app, Args.parse(arg))
    except BadArguments as exc:
        return error(BAD_ARGUMENTS, str(exc))
    except Exception as exc:  # the app catches everything and reports it
        app.log("E", f"control method '{method}' failed: {exc}")
        return error(INTERNAL_ERROR, java_name(exc))


def java_name(exc: BaseException) -> str:
    """``"${e.javaClass.name}: ${e.message}"`` for the model's exceptions."""
    java_class = getattr(exc, "java_class", None)
    if java_class:
        return f"{java_class}: {getattr(exc, 'message', str(exc))}"
    return f"{type(exc).__name__}: {exc}"


def reset(app: SampleAppModel) -> dict[str, Any]:
    """ControlProvider.reset: counts per kind; one failing kind does not stop the others.
    Kinds nobody models count 0: nothing of them can exist."""
    counts: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for kind in RESET_KINDS:
        fn = _RESETS.get(kind)
        try:
            counts[kind] = fn(app) if fn is not None else 0
        except Exception as exc:
            app.log("E", f"reset: could not cancel {kind}: {exc}")
            errors[kind] = java_name(exc)
    result: dict[str, Any] = {"ok": True, **counts}
    if errors:
        result["errors"] = errors
    return result


def on_boot(app: SampleAppModel) -> dict[str, int]:
    """What the BOOT_COMPLETED receiver scheduled again, per kind (alarms always reported)."""
    counts = {"alarms": 0}
    for kind, fn in _BOOT.items():
        try:
            counts[kind] = fn(app)
        except Exception as exc:
            app.log("E", f"boot: could not re-register {kind}: {exc}")
    return counts


def load_method_modules() -> None:
    """Import every ``*_methods`` module of this package (they register themselves)."""
    import harness.virtual.apps.sample as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.endswith("_methods"):
            importlib.import_module(f"{pkg.__name__}.{info.name}")
