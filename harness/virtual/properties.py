"""Android system properties (getprop/setprop) with init's rules.

``ro.*`` properties are write-once, ``persist.*`` survive reboots (the device keeps them in its
persistent store), everything else is reset at boot.
"""

from __future__ import annotations

from collections.abc import Callable


class PropertyError(Exception):
    pass


class PropertyStore:
    def __init__(self) -> None:
        self._props: dict[str, str] = {}
        self._watchers: list[Callable[[str, str], None]] = []

    def reset(self, initial: dict[str, str]) -> None:
        self._props = dict(initial)

    def get(self, key: str, default: str = "") -> str:
        return self._props.get(key, default)

    def set(self, key: str, value: str, force: bool = False) -> None:
        """setprop semantics; ``force`` is for init/the system, which may set ro.* once."""
        if len(value) > 91 and not key.startswith("ro."):
            # PROP_VALUE_MAX is 92 including the terminator for non-ro properties.
            raise PropertyError(f"Failed to set property '{key}' to '{value}'.")
        if key.startswith("ro.") and key in self._props and not force:
            raise PropertyError(f"Failed to set property '{key}' to '{value}'.")
        self._props[key] = value
        for cb in list(self._watchers):
            cb(key, value)

    def watch(self, callback: Callable[[str, str], None]) -> None:
        self._watchers.append(callback)

    def snapshot(self) -> dict[str, str]:
        return dict(self._props)

    def items(self) -> list[tuple[str, str]]:
        return sorted(self._props.items())
