"""Device profiles: which exact shell command a device takes for an operation, and what to expect.

Version and vendor differences live in data (``device_profiles/*.yaml``), not in ``if`` ladders
spread across the power controllers. A controller asks the device's profile::

    profile = load_profiles().match(getprop)          # once per device
    adb_shell(profile.command("standby_set", package=pkg, bucket="rare"))
    adb_shell(profile.argv("deviceidle", "force-idle", "deep"))

There are two kinds of profile file (the schema is in ``device_profiles/README.md``):

- **API profiles** (``aosp-28`` ... ``aosp-35``) carry ``api_level`` and describe generic AOSP at
  that level. They form one ``extends`` chain, each level overriding only what changed.
- **Overlays** (``pixel``, ``samsung-oneui``, ``emulator``, ``virtual`` ...) carry ``match``
  conditions. Matching picks the best overlay for a device and lays it over the API profile for
  the device's SDK, so that one vendor file serves every Android release.

Templates are argv lists and placeholders are filled per argv element: a hostile package name
stays one argument and is never re-parsed by a shell on the host side.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

import yaml

from harness.errors import HarnessError

PROFILES_ENV = "HARNESS_PROFILES_DIR"
SDK_PROP = "ro.build.version.sdk"
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BOOT_TIMEOUT_S = 180.0

_MISSING = object()


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class ProfileError(HarnessError):
    """A profile file is invalid, or a profile was asked for something it cannot give.

    Validation errors carry the file, the key path inside it, what was expected and what was
    found, so that a broken YAML edit can be fixed without reading this module.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        key: str = "",
        expected: str = "",
        found: Any = _MISSING,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.key = key
        self.expected = expected
        self.found = None if found is _MISSING else found
        where = ": ".join(part for part in (self.file or "", key) if part)
        text = message
        if expected:
            text = f"expected {expected}" + (f", found {_describe(found)}" if found is not _MISSING
                                              else "")
            if message:
                text = f"{message}: {text}"
        super().__init__(f"{where}: {text}" if where else text)


class UnsupportedOperation(ProfileError):
    """The profile says the device cannot do this operation (its template is null)."""

    def __init__(self, profile: str, operation: str, reason: str = "") -> None:
        self.profile = profile
        self.operation = operation
        self.reason = reason
        detail = f": {reason}" if reason else ""
        super().__init__(
            f"profile {profile!r} has no command for operation {operation!r}{detail}"
        )


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(value).__name__} {text}"


# --------------------------------------------------------------------------------------------
# Vocabulary: operations, their placeholders, and the per-API features
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OperationSpec:
    placeholders: frozenset[str]
    doc: str
    # A prefix is completed by the caller (``deviceidle`` + ``["force-idle", "deep"]``).
    prefix: bool = False


def _op(doc: str, *placeholders: str, prefix: bool = False) -> OperationSpec:
    return OperationSpec(frozenset(placeholders), doc, prefix)


OPERATIONS: dict[str, OperationSpec] = {
    "deviceidle": _op("argv prefix of deviceidle (Doze) shell commands", prefix=True),
    "battery_unplug": _op("fake 'unplugged'; with -f it prints the new battery sequence number"),
    "battery_set": _op("force one battery property (level, ac, usb, status ...)", "prop", "value"),
    "battery_reset": _op("return the battery service to the hardware's values"),
    "battery_seq": _op("last battery sequence number JobScheduler has seen"),
    "battery_monitor_on": _op("make JobScheduler track every battery change (for battery_seq)"),
    "battery_monitor_off": _op("stop the battery monitoring of battery_monitor_on"),
    "battery_charging": _op("whether JobScheduler considers the device charging"),
    "battery_not_low": _op("whether JobScheduler considers the battery not low"),
    "saver_on": _op("turn battery saver on (unplug first)"),
    "saver_off": _op("turn battery saver off, including its sticky state"),
    "standby_set": _op("force an app's standby bucket", "package", "bucket"),
    "standby_get": _op("read an app's standby bucket (prints the number)", "package"),
    "app_inactive_set": _op("mark an app idle or not (pre-bucket app standby)", "package", "value"),
    "app_inactive_get": _op("read an app's idle flag (prints Idle=true|false)", "package"),
    "make_uid_idle": _op("make an app's uid idle now", "package"),
    "appops_set": _op("set an app op mode", "package", "op", "mode"),
    "appops_get": _op("read an app op mode", "package", "op"),
    "appops_reset": _op("reset all app ops of a package", "package"),
    "exact_alarm_appop": _op("grant or deny SCHEDULE_EXACT_ALARM (uid mode)", "package", "mode"),
    "screen_wake": _op("turn the screen on"),
    "screen_sleep": _op("turn the screen off"),
    "dismiss_keyguard": _op("dismiss a non-secure keyguard"),
    "stay_on": _op("keep the screen on while powered (true|false|usb|ac|wireless)", "value"),
    "job_run": _op("force a scheduled job to run now", "package", "job_id"),
    "job_run_satisfied": _op("run a job only if its constraints are met", "package", "job_id"),
    "job_state": _op("state words of one job (ready, waiting, active ...)", "package", "job_id"),
    "job_reset_quota": _op("reset an app's JobScheduler execution quota", "package"),
    "batterystats_reset": _op("clear battery stats"),
    "batterystats_enable_full_history": _op("record wakelocks, alarms and processes in history"),
    "batterystats_disable_full_history": _op("stop recording the detailed history events"),
    "batterystats_enable_no_auto_reset": _op("keep battery stats when the device is unplugged"),
    "batterystats_checkin": _op("current battery stats in checkin format, without side effects"),
    "batterystats_history": _op("battery history only"),
    "alarm_set_time": _op("set the wall clock (RTC) in ms since the epoch", "millis"),
    "alarm_config_version": _op("alarm manager config version (rises after device_config)"),
    "device_config_put": _op("write a DeviceConfig flag", "namespace", "key", "value"),
}


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_optional_int(v: Any) -> bool:
    return v is None or (_is_int(v) and v >= 0)


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(s, str) and s for s in v)


def _is_bucket_map(v: Any) -> bool:
    return (isinstance(v, dict) and bool(v)
            and all(isinstance(k, str) and _is_int(n) for k, n in v.items()))


@dataclass(frozen=True)
class FeatureSpec:
    check: Callable[[Any], bool]
    expected: str
    doc: str


def _bool_feature(doc: str) -> FeatureSpec:
    return FeatureSpec(_is_bool, "true or false", doc)


FEATURES: dict[str, FeatureSpec] = {
    "standby_buckets": FeatureSpec(
        _is_bucket_map, "a mapping of bucket name to number",
        "standby buckets of this level, name -> number (am get-standby-bucket prints numbers)"),
    "restricted_bucket_name": _bool_feature(
        "am set-standby-bucket accepts the name 'restricted' (else pass the number 45)"),
    "supports_light_doze": _bool_feature("the light Doze state machine exists"),
    "supports_quick_doze": _bool_feature("battery saver sends the device to deep idle quickly"),
    "doze_force_active": _bool_feature(
        "'deviceidle force-active' exists (force ACTIVE whatever the screen and charger say)"),
    "deep_doze_states": FeatureSpec(
        _is_str_list, "a list of state names", "states 'deviceidle get deep' may print"),
    "light_doze_states": FeatureSpec(
        _is_str_list, "a list of state names", "states 'deviceidle get light' may print"),
    "battery_saver_refused_while_charging": _bool_feature(
        "battery saver cannot be turned on while the device is powered; unplug first"),
    "has_significant_motion_sensor": _bool_feature(
        "without one, deep Doze is only reached by force-idle/step or quick doze"),
    "exact_alarm_permission": _bool_feature(
        "SCHEDULE_EXACT_ALARM exists (apps targeting API 31+ need it for exact alarms)"),
    "exact_alarm_denied_by_default": _bool_feature(
        "SCHEDULE_EXACT_ALARM is not pre-granted to new installs targeting API 33+"),
    "expedited_jobs": _bool_feature("JobScheduler expedited jobs exist"),
    "user_initiated_jobs": _bool_feature("user-initiated jobs exist (they run in Doze)"),
    "job_namespaces": _bool_feature("jobs have namespaces (cmd jobscheduler -n)"),
    "fgs_background_start_restricted": _bool_feature(
        "apps targeting API 31+ cannot start foreground services from the background"),
    "fgs_types_required": _bool_feature(
        "apps targeting API 34+ must declare foreground service types"),
    "post_notifications_permission": _bool_feature(
        "notifications (including a foreground service's) need the POST_NOTIFICATIONS grant"),
    "force_stop_cancels_pending_intents": _bool_feature(
        "force-stop cancels the app's PendingIntents; BOOT_COMPLETED follows the next start"),
    "restricted_bucket_after_unused_days": FeatureSpec(
        _is_optional_int, "a non-negative integer or null",
        "days without user interaction after which the system may restrict an app"),
    "awi_min_interval_s": FeatureSpec(
        _is_optional_int, "a non-negative integer or null",
        "allow-while-idle alarms: minimum spacing per app while idle (pre-S rule)"),
    "awi_exact_quota_per_hour": FeatureSpec(
        _is_optional_int, "a non-negative integer or null",
        "exact allow-while-idle alarms per app per hour while idle (S+ rule)"),
    "awi_compat_quota_per_hour": FeatureSpec(
        _is_optional_int, "a non-negative integer or null",
        "inexact/compat allow-while-idle alarms per app per hour while idle (S+ rule)"),
}

# Fields of ``match`` and the properties each one reads (a field matches if any of them does).
MATCH_FIELDS: dict[str, tuple[str, ...]] = {
    "manufacturer": ("ro.product.manufacturer", "ro.product.vendor.manufacturer",
                     "ro.product.system.manufacturer"),
    "brand": ("ro.product.brand", "ro.product.vendor.brand", "ro.product.system.brand"),
    "model": ("ro.product.model", "ro.product.vendor.model", "ro.product.system.model"),
    "device": ("ro.product.device", "ro.product.vendor.device"),
    "hardware": ("ro.hardware", "ro.boot.hardware"),
}

_LAYER_KEYS = {"description", "is_virtual", "boot_timeout_s", "vendor_power_managers", "quirks",
               "commands", "features"}
_TOP_KEYS = _LAYER_KEYS | {"name", "extends", "api_level", "match", "priority", "by_sdk"}
_BY_SDK_KEYS = (_LAYER_KEYS - {"description"}) | {"min_sdk", "max_sdk"}
_MATCH_KEYS = set(MATCH_FIELDS) | {"min_sdk", "max_sdk", "properties"}
_VPM_KEYS = {"name", "notes", "breaks", "source"}

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


# --------------------------------------------------------------------------------------------
# Parsed files
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VendorPowerManager:
    """A vendor's own app killer or restriction layer, which acts outside AOSP's rules."""

    name: str
    notes: str
    breaks: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class _Template:
    argvs: tuple[tuple[str, ...], ...]
    single: bool  # written as one argv (returned as list[str]) rather than a list of argvs

    @property
    def placeholders(self) -> set[str]:
        return {m for argv in self.argvs for arg in argv for m in _PLACEHOLDER.findall(arg)}

    def raw(self) -> list[str] | list[list[str]]:
        if self.single:
            return list(self.argvs[0])
        return [list(a) for a in self.argvs]


@dataclass(frozen=True)
class _Layer:
    """The part of a file that merges along ``extends`` chains and onto API profiles."""

    description: str | None = None
    is_virtual: bool | None = None
    boot_timeout_s: float | None = None
    vendor_power_managers: tuple[VendorPowerManager, ...] = ()
    quirks: tuple[str, ...] = ()
    commands: Mapping[str, _Template | None] = field(default_factory=dict)
    features: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Condition:
    """One alternative of ``match``: every condition in it must hold."""

    fields: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]
    properties: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]
    min_sdk: int | None
    max_sdk: int | None

    @property
    def size(self) -> int:
        return (len(self.fields) + len(self.properties) + (self.min_sdk is not None)
                + (self.max_sdk is not None))

    def test(self, props: Mapping[str, str], sdk: int | None) -> list[str] | None:
        """Why this alternative matches (one reason per condition), or None."""
        reasons: list[str] = []
        for name, patterns in self.fields:
            hit = _first_hit(props, MATCH_FIELDS[name], patterns)
            if hit is None:
                return None
            reasons.append(f"{name} {hit}")
        for prop, patterns in self.properties:
            hit = _first_hit(props, (prop,), patterns)
            if hit is None:
                return None
            reasons.append(hit)
        if self.min_sdk is not None:
            if sdk is None or sdk < self.min_sdk:
                return None
            reasons.append(f"sdk {sdk} >= {self.min_sdk}")
        if self.max_sdk is not None:
            if sdk is None or sdk > self.max_sdk:
                return None
            reasons.append(f"sdk {sdk} <= {self.max_sdk}")
        return reasons


def _first_hit(props: Mapping[str, str], keys: tuple[str, ...],
               patterns: tuple[re.Pattern[str], ...]) -> str | None:
    for key in keys:
        value = props.get(key)
        if value is None:
            continue
        for pattern in patterns:
            if pattern.fullmatch(value.strip()):
                return f"{key}={value.strip()!r} ~ /{pattern.pattern}/"
    return None


@dataclass(frozen=True)
class _SdkOverride:
    min_sdk: int | None
    max_sdk: int | None
    layer: _Layer

    def applies(self, sdk: int | None) -> bool:
        if sdk is None:
            return False
        return ((self.min_sdk is None or sdk >= self.min_sdk)
                and (self.max_sdk is None or sdk <= self.max_sdk))


@dataclass(frozen=True)
class _ProfileFile:
    name: str
    path: Path
    extends: str | None
    api_level: int | None
    match: tuple[_Condition, ...] | None  # None: abstract overlay, used via extends/get only
    priority: int
    layer: _Layer
    by_sdk: tuple[_SdkOverride, ...]

    @property
    def is_api(self) -> bool:
        return self.api_level is not None


# --------------------------------------------------------------------------------------------
# Resolved profile
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceProfile:
    """What one device (or one named profile) takes and does, fully merged.

    ``name`` is the overlay's name when an overlay matched (``pixel``), else the API profile's
    (``aosp-31``); ``api_profile`` is always the API profile underneath.
    """

    name: str
    description: str
    api_profile: str
    api_level: int
    sdk: int | None
    is_virtual: bool
    boot_timeout_s: float
    vendor_power_managers: tuple[VendorPowerManager, ...]
    quirks: tuple[str, ...]
    features: Mapping[str, Any]
    matched_by: str
    sources: tuple[str, ...]  # the profile files merged, in merge order
    _templates: Mapping[str, _Template | None] = field(repr=False, compare=False)

    # -- commands ---------------------------------------------------------------------------

    def supports(self, operation: str) -> bool:
        return self._template(operation) is not None

    def template(self, operation: str) -> list[str] | list[list[str]] | None:
        """The raw template, placeholders unfilled (for reports and debugging)."""
        t = self._template(operation)
        return None if t is None else t.raw()

    def command(self, operation: str, **values: str | int | bool) -> list[str] | list[list[str]]:
        """The argv (or list of argvs) for ``operation``, placeholders filled.

        Raises :class:`UnsupportedOperation` when the profile's template is null, and
        :class:`ProfileError` when a placeholder value is missing or not one the operation takes.
        """
        template = self._template_or_raise(operation)
        filled = self._fill(operation, template, values)
        return filled[0] if template.single else filled

    def argv(self, operation: str, *extra: str, **values: str | int | bool) -> list[str]:
        """The single argv of ``operation`` with ``extra`` arguments appended, typed as one argv:
        ``profile.argv("deviceidle", "force-idle", "deep")``."""
        template = self._template_or_raise(operation)
        if not template.single:
            raise ProfileError(f"operation {operation!r} of profile {self.name!r} is a list of "
                               "commands; use commands()")
        return [*self._fill(operation, template, values)[0], *extra]

    def commands(self, operation: str, **values: str | int | bool) -> list[list[str]]:
        """Like :meth:`command`, always as a list of argvs (a single command is a list of one)."""
        return self._fill(operation, self._template_or_raise(operation), values)

    def _template(self, operation: str) -> _Template | None:
        if operation not in OPERATIONS:
            known = ", ".join(sorted(OPERATIONS))
            raise ProfileError(f"unknown operation {operation!r}; known operations: {known}")
        return self._templates.get(operation)

    def _template_or_raise(self, operation: str) -> _Template:
        t = self._template(operation)
        if t is None:
            raise UnsupportedOperation(self.name, operation,
                                       f"not available on {self.api_profile} or this device")
        return t

    def _fill(self, operation: str, t: _Template, values: Mapping[str, Any]) -> list[list[str]]:
        spec = OPERATIONS[operation]
        unexpected = set(values) - spec.placeholders
        if unexpected:
            takes = ", ".join(sorted(spec.placeholders)) or "none"
            raise ProfileError(
                f"operation {operation!r} takes placeholders {takes}; "
                f"got unexpected {', '.join(sorted(unexpected))} (profile {self.name!r})")
        missing = t.placeholders - set(values)
        if missing:
            raise ProfileError(
                f"operation {operation!r} of profile {self.name!r} needs a value for "
                f"{', '.join(sorted(missing))}")
        text = {k: _argument_text(k, v) for k, v in values.items()}
        # One substitution per argv element: the value lands inside that element and nowhere
        # else, whatever quotes, spaces or semicolons it holds.
        return [[_PLACEHOLDER.sub(lambda m: text[m.group(1)], arg) for arg in argv]
                for argv in t.argvs]

    # -- features ---------------------------------------------------------------------------

    def feature(self, name: str) -> Any:
        if name not in FEATURES:
            raise ProfileError(f"unknown feature {name!r}; known: {', '.join(sorted(FEATURES))}")
        return self.features.get(name)

    @property
    def standby_buckets(self) -> Mapping[str, int]:
        return self.features["standby_buckets"]

    @property
    def supports_quick_doze(self) -> bool:
        return bool(self.features["supports_quick_doze"])

    @property
    def supports_light_doze(self) -> bool:
        return bool(self.features["supports_light_doze"])

    @property
    def deep_doze_states(self) -> tuple[str, ...]:
        return tuple(self.features["deep_doze_states"])

    @property
    def light_doze_states(self) -> tuple[str, ...]:
        return tuple(self.features["light_doze_states"])

    @property
    def battery_saver_refused_while_charging(self) -> bool:
        return bool(self.features["battery_saver_refused_while_charging"])

    def bucket_argument(self, bucket: str) -> str:
        """What to pass to ``am set-standby-bucket`` for ``bucket`` (a name) on this device.

        Older shells reject the name ``restricted`` but every shell takes the number, so the
        number is passed wherever the profile says the name is not accepted.
        """
        buckets = self.standby_buckets
        number = buckets.get(bucket)
        if number is None:
            raise UnsupportedOperation(
                self.name, "standby_set",
                f"bucket {bucket!r} does not exist on {self.api_profile}; "
                f"buckets: {', '.join(buckets)}")
        if number < 10:
            # The server only accepts buckets in [10, 50]; EXEMPTED cannot be forced.
            raise UnsupportedOperation(self.name, "standby_set",
                                       f"bucket {bucket!r} ({number}) cannot be set")
        if bucket == "restricted" and not self.features.get("restricted_bucket_name"):
            return str(number)
        return bucket


def _argument_text(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if not value:
            raise ValueError(f"placeholder {name!r} got an empty string")
        return value
    raise TypeError(f"placeholder {name!r} takes str, int or bool, got {type(value).__name__}")


# --------------------------------------------------------------------------------------------
# Profile set: lookup and matching
# --------------------------------------------------------------------------------------------


class ProfileSet:
    """All profiles of one directory, validated."""

    def __init__(self, files: Mapping[str, _ProfileFile], directory: Path) -> None:
        self.directory = directory
        self._files = dict(files)
        self._api = sorted((f for f in self._files.values() if f.is_api),
                           key=lambda f: f.api_level or 0)

    @property
    def names(self) -> list[str]:
        return sorted(self._files)

    @property
    def api_levels(self) -> list[int]:
        return [f.api_level for f in self._api if f.api_level is not None]

    def __contains__(self, name: object) -> bool:
        return name in self._files

    def get(self, name: str, sdk: int | None = None) -> DeviceProfile:
        """A profile by name. An overlay is laid over the API profile for ``sdk`` (default: the
        newest API profile); an API profile is returned as it is."""
        f = self._files.get(name)
        if f is None:
            raise ProfileError(f"no profile named {name!r} in {self.directory}; "
                               f"profiles: {', '.join(self.names)}")
        if f.is_api:
            return self._resolve(None, f, sdk if sdk is not None else f.api_level,
                                 f"requested by name ({name})")
        api, how = self._api_for(sdk) if sdk is not None else (self._api[-1], "newest")
        return self._resolve(f, api, sdk if sdk is not None else api.api_level,
                             f"requested by name ({name}) on {api.name} ({how})")

    def for_sdk(self, sdk: int | None) -> DeviceProfile:
        """The generic AOSP profile for an SDK level (nearest level when not covered)."""
        api, how = self._api_for(sdk)
        return self._resolve(None, api, sdk, f"{api.name} ({how})")

    def match(self, props: Mapping[str, str]) -> DeviceProfile:
        """The profile for a device, from its ``getprop`` (as a dict, or a parsed Properties).

        Picks the best matching overlay (highest ``priority``, then the alternative with the most
        conditions, then the name) and lays it over the API profile for ``ro.build.version.sdk``,
        or the nearest API profile when the SDK is outside the covered levels. Always returns a
        profile; ``matched_by`` says how it was chosen.
        """
        props = getattr(props, "props", props)  # harness.android.getprop.Properties
        sdk = _parse_sdk(props.get(SDK_PROP))
        api, how = self._api_for(sdk)

        candidates: list[tuple[int, int, str, _ProfileFile, list[str]]] = []
        for f in self._files.values():
            for condition in f.match or ():
                reasons = condition.test(props, sdk)
                if reasons is not None:
                    candidates.append((-f.priority, -condition.size, f.name, f, reasons))
        api_text = f"{api.name} ({how})"
        if not candidates:
            return self._resolve(None, api, sdk, f"no vendor profile matched; {api_text}")
        # Highest priority first, then the most specific alternative, then the name, so that
        # ties are deterministic.
        *_, overlay, reasons = min(candidates, key=lambda c: c[:3])
        return self._resolve(overlay, api, sdk,
                             f"{overlay.name} ({'; '.join(reasons)}) on {api_text}")

    # -- internals --------------------------------------------------------------------------

    def _api_for(self, sdk: int | None) -> tuple[_ProfileFile, str]:
        levels = self.api_levels
        span = f"profiles cover {levels[0]}..{levels[-1]}"
        if sdk is None:
            # The oldest level's commands are the ones most releases accept; an unsupported
            # operation then fails clearly instead of sending a command the device lacks.
            return self._api[0], f"{SDK_PROP} unknown, oldest level used; {span}"
        for f in self._api:
            if f.api_level == sdk:
                return f, f"{SDK_PROP}={sdk}"
        if sdk < levels[0]:
            return self._api[0], f"nearest level to {SDK_PROP}={sdk}; {span}"
        below = [f for f in self._api if (f.api_level or 0) < sdk]
        return below[-1], f"nearest level to {SDK_PROP}={sdk}; {span}"

    def _chain(self, f: _ProfileFile) -> list[_ProfileFile]:
        chain = [f]
        while chain[-1].extends is not None:
            chain.append(self._files[chain[-1].extends])
        return chain[::-1]

    def _resolve(self, overlay: _ProfileFile | None, api: _ProfileFile, sdk: int | None,
                 matched_by: str) -> DeviceProfile:
        layers: list[_Layer] = [f.layer for f in self._chain(api)]
        sources = [f.name for f in self._chain(api)]
        if overlay is not None:
            # With the SDK unknown, by_sdk entries follow the API profile that was chosen.
            by_sdk_sdk = sdk if sdk is not None else api.api_level
            for f in self._chain(overlay):
                layers.append(f.layer)
                sources.append(f.name)
                for i, o in enumerate(f.by_sdk):
                    if o.applies(by_sdk_sdk):
                        layers.append(o.layer)
                        sources.append(f"{f.name}.by_sdk[{i}]")
        merged = _merge(layers)
        assert api.api_level is not None
        return DeviceProfile(
            name=overlay.name if overlay is not None else api.name,
            description=merged.description or "",
            api_profile=api.name,
            api_level=api.api_level,
            sdk=sdk,
            is_virtual=bool(merged.is_virtual),
            boot_timeout_s=(merged.boot_timeout_s if merged.boot_timeout_s is not None
                            else DEFAULT_BOOT_TIMEOUT_S),
            vendor_power_managers=merged.vendor_power_managers,
            quirks=merged.quirks,
            features=MappingProxyType(dict(merged.features)),
            matched_by=matched_by,
            sources=tuple(sources),
            _templates=MappingProxyType(dict(merged.commands)),
        )


def _parse_sdk(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    return int(text) if text.isdigit() else None


def _merge(layers: list[_Layer]) -> _Layer:
    """Later layers win: scalars and each command/feature key are replaced; quirks and vendor
    power managers accumulate (a same-named manager is replaced)."""
    description: str | None = None
    is_virtual: bool | None = None
    boot: float | None = None
    quirks: list[str] = []
    managers: dict[str, VendorPowerManager] = {}
    commands: dict[str, _Template | None] = {}
    features: dict[str, Any] = {}
    for layer in layers:
        description = layer.description if layer.description is not None else description
        is_virtual = layer.is_virtual if layer.is_virtual is not None else is_virtual
        boot = layer.boot_timeout_s if layer.boot_timeout_s is not None else boot
        quirks.extend(q for q in layer.quirks if q not in quirks)
        for m in layer.vendor_power_managers:
            managers[m.name] = m
        commands.update(layer.commands)
        features.update(layer.features)
    return _Layer(description, is_virtual, boot, tuple(managers.values()), tuple(quirks),
                  commands, features)


# --------------------------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (PyYAML would silently keep the last one)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, f"duplicate key {key!r}",
                key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def default_profiles_dir() -> Path:
    """``$HARNESS_PROFILES_DIR``, else ``device_profiles/`` of the repository this module lives
    in, else the first ``device_profiles/`` in the working directory or one of its parents."""
    env = os.environ.get(PROFILES_ENV)
    if env:
        path = Path(env)
        if not path.is_dir():
            raise ProfileError(f"${PROFILES_ENV} is {env!r}, which is not a directory")
        return path
    cwd = Path.cwd()
    candidates = [REPO_ROOT / "device_profiles",
                  *(d / "device_profiles" for d in (cwd, *cwd.parents))]
    for c in candidates:
        if c.is_dir() and any(c.glob("*.yaml")):
            return c
    raise ProfileError(
        f"no device_profiles directory found (looked in {REPO_ROOT / 'device_profiles'} and "
        f"above {cwd}); set ${PROFILES_ENV}")


def load_profiles(directory: Path | str | None = None) -> ProfileSet:
    """Load and validate every ``*.yaml`` profile of ``directory`` (default:
    :func:`default_profiles_dir`). Raises :class:`ProfileError` on the first problem."""
    root = Path(directory) if directory is not None else default_profiles_dir()
    if not root.is_dir():
        raise ProfileError(f"profile directory {root} does not exist")
    files: dict[str, _ProfileFile] = {}
    for path in sorted(root.glob("*.yaml")):
        f = _read_file(path)
        files[f.name] = f
    _check_set(files, root)
    return ProfileSet(files, root)


def _read_file(path: Path) -> _ProfileFile:
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
    except yaml.YAMLError as e:
        raise ProfileError(f"invalid YAML: {e}", file=path.name) from e
    return _Reader(path).profile(doc)


class _Reader:
    """Validates one file's document and builds its :class:`_ProfileFile`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = path.name

    def fail(self, key: str, expected: str, found: Any = _MISSING, message: str = "") -> NoReturn:
        raise ProfileError(message, file=self.file, key=key, expected=expected, found=found)

    def error(self, key: str, message: str) -> ProfileError:
        return ProfileError(message, file=self.file, key=key)

    def mapping(self, value: Any, key: str, allowed: set[str] | None = None) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(key or "(top level)", "a mapping", value)
        for k in value:
            if not isinstance(k, str):
                self.fail(key or "(top level)", "string keys", k)
            if allowed is not None and k not in allowed:
                raise self.error(_join(key, k), f"unknown key {k!r}; allowed: "
                                 f"{', '.join(sorted(allowed))}")
        return value

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "a non-empty string", value)
        return value

    def integer(self, value: Any, key: str, minimum: int | None = None) -> int:
        if not _is_int(value) or (minimum is not None and value < minimum):
            self.fail(key, "an integer" + (f" >= {minimum}" if minimum is not None else ""),
                      value)
        return value

    def str_list(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.fail(key, "a list of strings", value)
        return tuple(self.string(v, f"{key}[{i}]") for i, v in enumerate(value))

    def profile(self, doc: Any) -> _ProfileFile:
        d = self.mapping(doc, "", _TOP_KEYS)
        for required in ("name", "description"):
            if required not in d:
                raise self.error(required, "missing required key")
        name = self.string(d["name"], "name")
        if name != self.path.stem:
            self.fail("name", f"the file name without .yaml ({self.path.stem!r})", name)
        extends = d.get("extends")
        if extends is not None:
            extends = self.string(extends, "extends")
        api_level = d.get("api_level")
        if api_level is not None:
            api_level = self.integer(api_level, "api_level", minimum=1)
            for key in ("match", "priority", "by_sdk"):
                if key in d:
                    raise self.error(key, "only overlays (profiles without api_level) take this"
                                     " key; an API profile is chosen by its api_level")
        match = None
        if d.get("match") is not None:
            match = self.match(d["match"])
        priority = self.integer(d.get("priority", 0), "priority")
        by_sdk = tuple(self.by_sdk(v, f"by_sdk[{i}]")
                       for i, v in enumerate(self._list(d.get("by_sdk", []), "by_sdk")))
        return _ProfileFile(name, self.path, extends, api_level, match, priority,
                            self.layer(d, ""), by_sdk)

    def _list(self, value: Any, key: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(key, "a list", value)
        return value

    def layer(self, d: Mapping[str, Any], prefix: str) -> _Layer:
        description = d.get("description")
        if description is not None:
            description = self.string(description, _join(prefix, "description"))
        is_virtual = d.get("is_virtual")
        if is_virtual is not None and not isinstance(is_virtual, bool):
            self.fail(_join(prefix, "is_virtual"), "true or false", is_virtual)
        boot = d.get("boot_timeout_s")
        if boot is not None:
            if not (isinstance(boot, int | float) and not isinstance(boot, bool) and boot > 0):
                self.fail(_join(prefix, "boot_timeout_s"), "a positive number of seconds", boot)
            boot = float(boot)
        managers = tuple(
            self.manager(v, _join(prefix, f"vendor_power_managers[{i}]"))
            for i, v in enumerate(self._list(d.get("vendor_power_managers", []),
                                             _join(prefix, "vendor_power_managers"))))
        quirks = self.str_list(d.get("quirks", []), _join(prefix, "quirks"))
        commands = {
            op: self.template(op, t, _join(prefix, f"commands.{op}"))
            for op, t in self.mapping(d.get("commands", {}), _join(prefix, "commands"),
                                      set(OPERATIONS)).items()}
        features = {
            k: self.feature(k, v, _join(prefix, f"features.{k}"))
            for k, v in self.mapping(d.get("features", {}), _join(prefix, "features"),
                                     set(FEATURES)).items()}
        return _Layer(description, is_virtual, boot, managers, quirks, commands, features)

    def manager(self, value: Any, key: str) -> VendorPowerManager:
        m = self.mapping(value, key, _VPM_KEYS)
        for required in ("name", "notes"):
            if required not in m:
                raise self.error(_join(key, required), "missing required key")
        return VendorPowerManager(
            name=self.string(m["name"], _join(key, "name")),
            notes=self.string(m["notes"], _join(key, "notes")),
            breaks=self.str_list(m.get("breaks", []), _join(key, "breaks")),
            source=self.string(m["source"], _join(key, "source")) if "source" in m else "",
        )

    def template(self, op: str, value: Any, key: str) -> _Template | None:
        if value is None:
            return None
        shape = "null, an argv list of strings, or a list of argv lists"
        if not isinstance(value, list) or not value:
            self.fail(key, shape, value)
        # No nested list means one argv; its elements are checked one by one below, so that an
        # unquoted on/off/1 is reported at its own position.
        single = not any(isinstance(v, list) for v in value)
        if single:
            argvs = [value]
        elif all(isinstance(v, list) for v in value):
            argvs = value
        else:
            self.fail(key, shape, value)
        spec = OPERATIONS[op]
        if spec.prefix and not single:
            self.fail(key, "a single argv (it is a prefix the caller completes)", value)
        out: list[tuple[str, ...]] = []
        for i, argv in enumerate(argvs):
            at = key if single else f"{key}[{i}]"
            if not argv:
                self.fail(at, "a non-empty argv", argv)
            for j, arg in enumerate(argv):
                self.argument(spec, op, arg, f"{at}[{j}]")
            out.append(tuple(argv))
        return _Template(tuple(out), single)

    def argument(self, spec: OperationSpec, op: str, arg: Any, key: str) -> None:
        if not isinstance(arg, str) or not arg:
            self.fail(key, "a non-empty string (quote numbers and words like on/off/yes/no)",
                      arg)
        for name in _PLACEHOLDER.findall(arg):
            if name not in spec.placeholders:
                allowed = ", ".join(f"{{{p}}}" for p in sorted(spec.placeholders)) or "none"
                raise self.error(key, f"unknown placeholder {{{name}}} for operation {op!r}; "
                                 f"allowed: {allowed}")
        if "{" in _PLACEHOLDER.sub("", arg) or "}" in _PLACEHOLDER.sub("", arg):
            self.fail(key, "placeholders of the form {name} and no other braces", arg)

    def feature(self, name: str, value: Any, key: str) -> Any:
        spec = FEATURES[name]
        if not spec.check(value):
            self.fail(key, spec.expected, value)
        return value

    def match(self, value: Any) -> tuple[_Condition, ...]:
        if isinstance(value, dict):
            return (self.condition(value, "match"),)
        if isinstance(value, list) and value:
            return tuple(self.condition(v, f"match[{i}]") for i, v in enumerate(value))
        self.fail("match", "a mapping of conditions or a non-empty list of them", value)

    def condition(self, value: Any, key: str) -> _Condition:
        c = self.mapping(value, key, _MATCH_KEYS)
        if not c:
            raise self.error(key, "empty condition would match every device")
        fields = tuple((name, self.patterns(c[name], _join(key, name)))
                       for name in MATCH_FIELDS if name in c)
        props = ()
        if "properties" in c:
            pmap = self.mapping(c["properties"], _join(key, "properties"))
            if not pmap:
                raise self.error(_join(key, "properties"), "empty mapping")
            props = tuple((p, self.patterns(v, f'{_join(key, "properties")}["{p}"]'))
                          for p, v in pmap.items())
        min_sdk = self.integer(c["min_sdk"], _join(key, "min_sdk"), 1) if "min_sdk" in c else None
        max_sdk = self.integer(c["max_sdk"], _join(key, "max_sdk"), 1) if "max_sdk" in c else None
        if min_sdk is not None and max_sdk is not None and min_sdk > max_sdk:
            self.fail(_join(key, "max_sdk"), f"a level >= min_sdk ({min_sdk})", max_sdk)
        return _Condition(fields, props, min_sdk, max_sdk)

    def patterns(self, value: Any, key: str) -> tuple[re.Pattern[str], ...]:
        items = value if isinstance(value, list) else [value]
        if not items:
            self.fail(key, "a regex or a non-empty list of regexes", value)
        out = []
        for i, item in enumerate(items):
            at = key if not isinstance(value, list) else f"{key}[{i}]"
            if not isinstance(item, str) or not item:
                self.fail(at, "a regex string (quote numbers)", item)
            try:
                out.append(re.compile(item, re.IGNORECASE))
            except re.error as e:
                self.fail(at, "a valid regular expression", item, message=f"bad regex ({e})")
        return tuple(out)

    def by_sdk(self, value: Any, key: str) -> _SdkOverride:
        d = self.mapping(value, key, _BY_SDK_KEYS)
        if "min_sdk" not in d and "max_sdk" not in d:
            raise self.error(key, "needs min_sdk and/or max_sdk")
        min_sdk = self.integer(d["min_sdk"], _join(key, "min_sdk"), 1) if "min_sdk" in d else None
        max_sdk = self.integer(d["max_sdk"], _join(key, "max_sdk"), 1) if "max_sdk" in d else None
        if min_sdk is not None and max_sdk is not None and min_sdk > max_sdk:
            self.fail(_join(key, "max_sdk"), f"a level >= min_sdk ({min_sdk})", max_sdk)
        return _SdkOverride(min_sdk, max_sdk, self.layer(d, key))


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _check_set(files: Mapping[str, _ProfileFile], root: Path) -> None:
    """Checks that need every file: extends targets, cycles, API levels, completeness."""
    for f in files.values():
        if f.extends is None:
            continue
        parent = files.get(f.extends)
        if parent is None:
            raise ProfileError(f"unknown profile {f.extends!r}; profiles: "
                               f"{', '.join(sorted(files))}", file=f.path.name, key="extends")
        if parent.is_api != f.is_api:
            kind = "an API profile" if f.is_api else "an overlay"
            raise ProfileError(
                f"{kind} can only extend a profile of the same kind; {parent.name!r} is not",
                file=f.path.name, key="extends")
    for f in files.values():
        seen = [f.name]
        cur = f
        while cur.extends is not None:
            if cur.extends in seen:
                cycle = " -> ".join([*seen[seen.index(cur.extends):], cur.extends])
                raise ProfileError(f"extends cycle: {cycle}", file=f.path.name, key="extends")
            seen.append(cur.extends)
            cur = files[cur.extends]

    api = [f for f in files.values() if f.is_api]
    if not api:
        raise ProfileError(f"no API profiles (files with api_level) in {root}")
    by_level: dict[int, str] = {}
    for f in api:
        assert f.api_level is not None
        if f.api_level in by_level:
            raise ProfileError(f"api_level {f.api_level} is also declared by "
                               f"{by_level[f.api_level]!r}", file=f.path.name, key="api_level")
        by_level[f.api_level] = f.name
    # Every API profile must say something (a template or null) about every operation and
    # feature, so that a controller never meets an operation its device's profile ignores.
    pset = ProfileSet(files, root)
    for f in api:
        resolved = pset.get(f.name)
        missing_ops = sorted(set(OPERATIONS) - set(resolved._templates))
        if missing_ops:
            raise ProfileError(f"operations not defined by {f.name} or the profiles it extends "
                               f"(write null if unsupported): {', '.join(missing_ops)}",
                               file=f.path.name, key="commands")
        missing_features = sorted(set(FEATURES) - set(resolved.features))
        if missing_features:
            raise ProfileError(f"features not defined by {f.name} or the profiles it extends: "
                               f"{', '.join(missing_features)}", file=f.path.name, key="features")
