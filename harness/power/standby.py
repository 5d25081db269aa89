"""App standby buckets: set and read back, restore what was there.

``am set-standby-bucket`` answers nothing; the bucket is read back with
``am get-standby-bucket``. AppStandbyController clamps what is set by the app's minimum bucket
(getAppMinBucket), and a clamped bucket is reported as an error, not silently accepted:

- whitelisted and system apps stay EXEMPTED (5);
- from Android 12 an app granted ACCESS_BACKGROUND_LOCATION goes no lower than FREQUENT (30);
- from Android 12 an app whose exact-alarm permission is granted goes no lower than
  WORKING_SET (20): SCHEDULE_EXACT_ALARM on Android 12-13, USE_EXACT_ALARM, and on Android 14+
  SCHEDULE_EXACT_ALARM of apps targeting 33 or lower. ``lift_exact_alarm_floor=True`` denies
  the SCHEDULE_EXACT_ALARM app op for the test (restored afterwards, as the bucket is), which
  is what lets a test put such an app in RARE or RESTRICTED; the app cannot set exact alarms
  meanwhile.
"""

from __future__ import annotations

from harness.android.usagestats import parse_get_standby_bucket
from harness.errors import DeviceError
from harness.power.base import Controller, uid_appop_mode

EXEMPTED = 5
WORKING_SET = 20
FREQUENT = 30
EXACT_ALARM_OP = "SCHEDULE_EXACT_ALARM"
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
    """The app's minimum bucket keeps it above the one asked for: EXEMPTED (on the Doze
    whitelist or a system app), WORKING_SET (its exact-alarm permission, Android 12+) or
    FREQUENT (ACCESS_BACKGROUND_LOCATION granted, Android 12+)."""


class Standby(Controller):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._found: dict[str, int] = {}
        self._exact_alarm_modes: dict[str, str] = {}  # package -> SCHEDULE_EXACT_ALARM mode found

    def bucket(self, package: str) -> int:
        out = self.run(self.profile.command("standby_get", package=package))  # type: ignore[arg-type]
        value = parse_get_standby_bucket(out.stdout)
        if isinstance(value, dict):
            return value.get(package, 0)
        return value

    def set_bucket(
        self, package: str, bucket: str | int, *, lift_exact_alarm_floor: bool = False
    ) -> None:
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
        now = self._set(package, name)
        if now == EXEMPTED and number != EXEMPTED:
            raise BucketPinned(
                self.device.serial,
                f"{package} stays in the EXEMPTED bucket (5): it is on the Doze "
                f"whitelist or a system app, so it cannot be moved to {name}",
            )
        floor = now == WORKING_SET and number > WORKING_SET and self.profile.api_level >= 31
        if floor and lift_exact_alarm_floor and package not in self._exact_alarm_modes:
            self._deny_exact_alarms(package)
            now = self._set(package, name)
            floor = now == WORKING_SET
        if floor:
            hint = (
                "it still holds an exact-alarm permission (USE_EXACT_ALARM cannot be denied)"
                if lift_exact_alarm_floor
                else "pass lift_exact_alarm_floor=True to deny SCHEDULE_EXACT_ALARM for the test"
            )
            raise BucketPinned(
                self.device.serial,
                f"{package} stays in the WORKING_SET bucket (20), not {name} ({number}): on "
                "Android 12+ an app whose exact-alarm permission is granted goes no lower "
                f"(AppStandbyController.getAppMinBucket); {hint}",
            )
        if now == FREQUENT and number > FREQUENT and self.profile.api_level >= 31:
            raise BucketPinned(
                self.device.serial,
                f"{package} stays in the FREQUENT bucket (30), not {name} ({number}): on "
                "Android 12+ an app granted ACCESS_BACKGROUND_LOCATION goes no lower "
                "(AppStandbyController.getAppMinBucket); revoke it to test lower buckets",
            )

        def probe() -> tuple[bool, str]:
            seen = self.bucket(package)
            return seen == number, f"bucket {seen}"

        self.wait_for(f"standby bucket {name} ({number}) for {package}", probe)

    def _set(self, package: str, name: str) -> int:
        self.run(
            self.profile.command(
                "standby_set",
                package=package,  # type: ignore[arg-type]
                bucket=self.profile.bucket_argument(name),
            )
        )
        return self.bucket(package)

    # The op is set in uid mode, as the profile's exact_alarm_appop does (see uid_appop_mode).
    def _exact_alarm_mode(self, package: str) -> str:
        return uid_appop_mode(self.device, package, EXACT_ALARM_OP) or "default"

    def _set_exact_alarm_mode(self, package: str, mode: str, check: bool = True) -> None:
        self.run(
            self.profile.command("exact_alarm_appop", package=package, mode=mode),  # type: ignore[arg-type]
            check=check,
        )

    def _deny_exact_alarms(self, package: str) -> None:
        if not self.profile.supports("exact_alarm_appop"):
            return
        self._exact_alarm_modes[package] = self._exact_alarm_mode(package)
        self._set_exact_alarm_mode(package, "deny")

    def restore(self) -> None:
        self._restore_buckets()
        modes, self._exact_alarm_modes = self._exact_alarm_modes, {}
        for package, mode in modes.items():
            # Only while it is still the "deny" set here: whoever changed it since (the sample
            # app's own restore) has put back what it wants.
            if self.installed(package) and self._exact_alarm_mode(package) == "deny" != mode:
                self._set_exact_alarm_mode(package, mode, check=False)

    def _restore_buckets(self) -> None:
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
