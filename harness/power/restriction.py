"""Background restriction: the user's "Restricted" battery setting, the app op
RUN_ANY_IN_BACKGROUND (AppStateTrackerImpl: jobs and alarms of a restricted app do not run
while it is in the background)."""

from __future__ import annotations

from harness.android.appops import parse as parse_appops
from harness.power.base import Controller

OP = "RUN_ANY_IN_BACKGROUND"


class BackgroundRestriction(Controller):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._found: dict[str, str] = {}

    def mode(self, package: str) -> str:
        out = self.run(self.profile.command("appops_get", package=package, op=OP))  # type: ignore[arg-type]
        return parse_appops(out.stdout).mode(OP) or "allow"

    def is_restricted(self, package: str) -> bool:
        return self.mode(package) not in ("allow", "default")

    def _set(self, package: str, mode: str) -> None:
        if package not in self._found:
            self._found[package] = self.mode(package)
        self.run(self.profile.command("appops_set", package=package, op=OP, mode=mode))  # type: ignore[arg-type]

        def probe() -> tuple[bool, str]:
            seen = self.mode(package)
            return seen == mode, f"{OP}: {seen}"

        self.wait_for(f"{OP} {mode} for {package}", probe)

    def restrict(self, package: str) -> None:
        self._set(package, "ignore")

    def allow(self, package: str) -> None:
        self._set(package, "allow")

    def restore(self) -> None:
        found, self._found = self._found, {}
        for package, mode in found.items():
            if not self.installed(package):
                continue
            if self.mode(package) != mode:
                self.run(
                    self.profile.command(
                        "appops_set",
                        package=package,
                        op=OP,  # type: ignore[arg-type]
                        mode=mode,
                    ),
                    check=False,
                )
