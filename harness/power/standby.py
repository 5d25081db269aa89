"""App standby buckets: set and read back, restore what was there.

``am set-standby-bucket`` answers nothing; the bucket is read back with
``am get-standby-bucket``. Whitelisted and system apps stay EXEMPTED (5) whatever is set
(AppStandbyController clamps by the app's minimum bucket): that is reported as an error, not
silently accepted.
"""

from __future__ import annotations

from harness.android.usagestats import parse_get_standby_bucket
from harness.errors import DeviceError
from harness.power.base import Controller

EXEMPTED = 5
BUCKET_NAMES = {
    5: "exempted",
    10: "active",
    20: "working_set",
    30: "frequent",
    40: "rare",
    45: "restricted",
    50: "never",
}


class BucketPinned(DeviceError):
    """The app stays EXEMPTED: it is on the Doze whitelist or a system app."""


class Standby(Controller):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._found: dict[str, int] = {}

    def bucket(self, package: str) -> int:
        out = self.run(self.profile.command("standby_get", package=package))  # type: ignore[arg-type]
        value = parse_get_standby_bucket(out.stdout)
        if isinstance(value, dict):
            return value.get(package, 0)
        return value

    def set_bucket(self, package: str, bucket: str | int) -> None:
        if isinstance(bucket, int):
            name = BUCKET_NAMES.get(bucket)
            if name is None:
                raise ValueError(f"unknown standby bucket {bucket}")
        else:
            name = bucket.lower()
        number = self.profile.standby_buckets.get(name)
        if number is None:
            raise ValueError(
                f"bucket {name!r} does not exist on this device "
                f"({', '.join(self.profile.standby_buckets)})"
            )
        if package not in self._found:
            self._found[package] = self.bucket(package)
        self.run(
            self.profile.command(
                "standby_set",
                package=package,  # type: ignore[arg-type]
                bucket=self.profile.bucket_argument(name),
            )
        )
        now = self.bucket(package)
        if now == EXEMPTED and number != EXEMPTED:
            raise BucketPinned(
                self.device.serial,
                f"{package} stays in the EXEMPTED bucket (5): it is on the Doze "
                f"whitelist or a system app, so it cannot be moved to {name}",
            )

        def probe() -> tuple[bool, str]:
            seen = self.bucket(package)
            return seen == number, f"bucket {seen}"

        self.wait_for(f"standby bucket {name} ({number}) for {package}", probe)

    def restore(self) -> None:
        found, self._found = self._found, {}
        for package, bucket in found.items():
            if not self.installed(package):
                continue
            if bucket >= 10 and self.bucket(package) != bucket:
                self.run(
                    self.profile.command(
                        "standby_set",
                        package=package,  # type: ignore[arg-type]
                        bucket=str(bucket),
                    ),
                    check=False,
                )
