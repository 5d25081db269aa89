"""Which parser reads which kind of output, for ``harness parse KIND FILE``.

Every parser module exposes ``parse(text: str | bytes)`` returning a dataclass with a
``to_json()`` method. Modules are imported lazily so that the CLI starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

PARSER_MODULES: dict[str, str] = {
    "deviceidle": "harness.android.deviceidle",
    "battery": "harness.android.battery",
    "power": "harness.android.power",
    "usagestats": "harness.android.usagestats",
    "appops": "harness.android.appops",
    "getprop": "harness.android.getprop",
    "jobscheduler": "harness.android.jobscheduler",
    "job_state": "harness.android.job_state",
    "workmanager_diag": "harness.android.workmanager_diag",
    "content": "harness.android.content",
    "alarm": "harness.android.alarm",
    "activity_services": "harness.android.activity_services",
    "notification": "harness.android.notification",
}


def kinds() -> list[str]:
    return sorted(PARSER_MODULES)


def parse(kind: str, data: str | bytes) -> Any:
    """Parse ``data`` as output of ``kind``; raises KeyError for an unknown kind."""
    module = importlib.import_module(PARSER_MODULES[kind])
    return module.parse(data)


def parse_to_json(kind: str, data: str | bytes) -> dict[str, Any]:
    return parse(kind, data).to_json()
