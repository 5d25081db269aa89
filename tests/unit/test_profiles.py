"""Device profiles: loading, validation, matching and command templates."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.android import getprop
from harness.errors import HarnessError
from harness.profiles import (
    FEATURES,
    OPERATIONS,
    PROFILES_ENV,
    ProfileError,
    ProfileSet,
    UnsupportedOperation,
    load_profiles,
)
from tests.conformance.captures import Capture, capture_params

SHIPPED = Path(__file__).resolve().parents[2] / "device_profiles"
HOSTILE = "a'b; rm -rf /"


@pytest.fixture(scope="module")
def profiles() -> ProfileSet:
    return load_profiles(SHIPPED)


def props(sdk: int | None = None, **extra: str) -> dict[str, str]:
    p = {"ro.build.version.sdk": str(sdk)} if sdk is not None else {}
    p.update({k.replace("_", "."): v for k, v in extra.items()})
    return p


PIXEL_8 = {"ro.product.manufacturer": "Google", "ro.product.brand": "google",
           "ro.product.model": "Pixel 8", "ro.hardware": "shiba", "ro.build.version.sdk": "34"}
SAMSUNG_S23 = {"ro.product.manufacturer": "samsung", "ro.product.brand": "samsung",
               "ro.product.model": "SM-S911B", "ro.hardware": "qcom", "ro.kernel.qemu": "0",
               "ro.build.version.oneui": "50100", "ro.build.version.sdk": "33"}
XIAOMI = {"ro.product.manufacturer": "Xiaomi", "ro.product.brand": "Xiaomi",
          "ro.product.model": "23127PN0CG", "ro.hardware": "qcom",
          "ro.mi.os.version.name": "OS1.0", "ro.build.version.sdk": "34"}
EMULATOR = {"ro.product.manufacturer": "Google", "ro.product.brand": "google",
            "ro.product.model": "sdk_gphone64_x86_64", "ro.hardware": "ranchu",
            "ro.kernel.qemu": "1", "ro.build.version.sdk": "34"}


# --------------------------------------------------------------------------------------------
# Shipped profiles
# --------------------------------------------------------------------------------------------


def test_all_shipped_profiles_load_and_validate(profiles: ProfileSet) -> None:
    expected = {f"aosp-{n}" for n in range(28, 36)} | {
        "virtual", "virtual-emulator", "pixel", "samsung-oneui", "xiaomi-hyperos", "emulator"}
    assert set(profiles.names) == expected
    assert profiles.api_levels == list(range(28, 36))


def test_default_directory_is_the_repository_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROFILES_ENV, raising=False)
    assert load_profiles().directory.resolve() == SHIPPED.resolve()


@pytest.mark.parametrize("name", sorted(p.stem for p in SHIPPED.glob("*.yaml")))
def test_every_operation_fills_or_is_unsupported(profiles: ProfileSet, name: str) -> None:
    for sdk in profiles.api_levels:
        profile = profiles.get(name, sdk=sdk)
        for op, spec in OPERATIONS.items():
            values = dict.fromkeys(spec.placeholders, "x")
            if not profile.supports(op):
                with pytest.raises(UnsupportedOperation):
                    profile.commands(op, **values)
                continue
            for argv in profile.commands(op, **values):
                assert argv and all(isinstance(a, str) and a for a in argv)
                assert not any("{" in a or "}" in a for a in argv), (name, sdk, op, argv)
        assert set(profile.features) == set(FEATURES)


def test_readme_documents_every_operation_and_feature() -> None:
    readme = (SHIPPED / "README.md").read_text(encoding="utf-8")
    for key in [*OPERATIONS, *FEATURES]:
        assert f"`{key}`" in readme, key


@pytest.mark.parametrize(("operation", "first_level"), [
    ("exact_alarm_appop", 31),
    ("job_run_satisfied", 30),
    ("job_reset_quota", 30),
    ("alarm_config_version", 31),
    ("device_config_put", 29),
    ("battery_seq", 28),
    ("saver_on", 28),
])
def test_operation_gating_per_api_level(profiles: ProfileSet, operation: str,
                                        first_level: int) -> None:
    for level in profiles.api_levels:
        assert profiles.for_sdk(level).supports(operation) == (level >= first_level), level


def test_per_level_data(profiles: ProfileSet) -> None:
    p28, p29, p30, p35 = (profiles.for_sdk(n) for n in (28, 29, 30, 35))
    assert "restricted" not in p29.standby_buckets
    assert p30.standby_buckets["restricted"] == 45
    assert not p28.supports_quick_doze and p29.supports_quick_doze
    assert "QUICK_DOZE_DELAY" not in p28.deep_doze_states
    assert "QUICK_DOZE_DELAY" in p29.deep_doze_states
    assert "PRE_IDLE" in p28.light_doze_states and "PRE_IDLE" not in p35.light_doze_states
    assert all(p.supports_light_doze and p.battery_saver_refused_while_charging
               for p in (p28, p35))
    assert p35.feature("awi_exact_quota_per_hour") == 72
    assert p28.feature("awi_min_interval_s") == 540


def test_saver_commands(profiles: ProfileSet) -> None:
    p = profiles.for_sdk(34)
    assert p.command("saver_on") == [["cmd", "power", "set-mode", "1"],
                                     ["settings", "put", "global", "low_power", "1"]]
    assert ["settings", "put", "global", "low_power_sticky", "0"] in p.command("saver_off")


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------


def test_pixel_8_on_api_34(profiles: ProfileSet) -> None:
    p = profiles.match(PIXEL_8)
    assert (p.name, p.api_profile, p.api_level, p.sdk) == ("pixel", "aosp-34", 34, 34)
    assert p.feature("job_namespaces") is True  # aosp-34 data underneath
    assert not p.is_virtual and p.boot_timeout_s == 180
    assert p.matched_by.startswith("pixel (") and "aosp-34" in p.matched_by
    assert p.sources[-1] == "pixel" and p.sources[0] == "aosp-28"


def test_samsung_on_api_33(profiles: ProfileSet) -> None:
    p = profiles.match(SAMSUNG_S23)
    assert (p.name, p.api_profile) == ("samsung-oneui", "aosp-33")
    names = [m.name for m in p.vendor_power_managers]
    assert any("Deep sleeping" in n for n in names)
    assert all("dontkillmyapp.com" in m.source for m in p.vendor_power_managers)
    # vendor quirks come after the API quirks
    assert any("Never sleeping apps" in q for q in p.quirks)


def test_xiaomi_on_api_34(profiles: ProfileSet) -> None:
    p = profiles.match(XIAOMI)
    assert (p.name, p.api_profile) == ("xiaomi-hyperos", "aosp-34")
    assert any("Autostart" in m.name for m in p.vendor_power_managers)


def test_poco_matches_xiaomi_by_brand(profiles: ProfileSet) -> None:
    p = profiles.match({"ro.product.manufacturer": "POCO-ish", "ro.product.brand": "POCO",
                        "ro.build.version.sdk": "31"})
    assert p.name == "xiaomi-hyperos" and p.api_profile == "aosp-31"


def test_emulator(profiles: ProfileSet) -> None:
    p = profiles.match(EMULATOR)
    assert p.name == "emulator"  # outranks pixel even though the manufacturer is Google
    assert p.is_virtual and p.boot_timeout_s == 300
    assert p.feature("has_significant_motion_sensor") is False
    assert any("deep idle" in q for q in p.quirks)


def test_emulator_by_boot_qemu_alone(profiles: ProfileSet) -> None:
    assert profiles.match(props(33, ro_boot_qemu="1")).name == "emulator"


def test_qemu_zero_is_not_an_emulator(profiles: ProfileSet) -> None:
    assert profiles.match(SAMSUNG_S23).name == "samsung-oneui"
    assert profiles.match(props(31, ro_kernel_qemu="0")).name == "aosp-31"


def test_virtual_device_wins_over_its_claimed_vendor(profiles: ProfileSet) -> None:
    p = profiles.match({**PIXEL_8, "ro.hardware": "harness_virtual"})
    assert (p.name, p.api_profile) == ("virtual", "aosp-34")
    assert p.is_virtual and p.boot_timeout_s == 30
    assert p.vendor_power_managers == ()
    assert p.feature("has_significant_motion_sensor") is True
    samsung = profiles.match({**SAMSUNG_S23, "ro.boot.hardware": "harness_virtual"})
    assert samsung.name == "virtual"


def test_virtual_device_of_the_emulator_family_has_no_motion_sensor(profiles: ProfileSet) -> None:
    p = profiles.match({**PIXEL_8, "ro.hardware": "harness_virtual", "ro.kernel.qemu": "1"})
    assert (p.name, p.api_profile) == ("virtual-emulator", "aosp-34")
    assert p.is_virtual and p.boot_timeout_s == 30
    assert p.feature("has_significant_motion_sensor") is False


def test_unknown_vendor_gets_the_aosp_profile(profiles: ProfileSet) -> None:
    p = profiles.match({"ro.product.manufacturer": "motorola", "ro.product.model": "edge 20",
                        "ro.build.version.sdk": "31"})
    assert p.name == "aosp-31" and p.api_profile == "aosp-31"
    assert "no vendor profile matched" in p.matched_by


def test_sdk_below_range_uses_the_nearest_level(profiles: ProfileSet) -> None:
    p = profiles.match(props(26, ro_product_manufacturer="LGE"))
    assert (p.name, p.api_level, p.sdk) == ("aosp-28", 28, 26)
    assert "nearest" in p.matched_by and "26" in p.matched_by


def test_sdk_above_range_uses_the_newest_level(profiles: ProfileSet) -> None:
    p = profiles.match({**SAMSUNG_S23, "ro.build.version.sdk": "36"})
    assert (p.name, p.api_profile, p.sdk) == ("samsung-oneui", "aosp-35", 36)
    assert "nearest" in p.matched_by


def test_unknown_sdk_uses_the_oldest_level(profiles: ProfileSet) -> None:
    p = profiles.match({"ro.product.manufacturer": "Google", "ro.product.model": "Pixel 3"})
    assert (p.name, p.api_profile, p.sdk) == ("pixel", "aosp-28", None)
    assert "unknown" in p.matched_by


def test_match_accepts_parsed_getprop(profiles: ProfileSet) -> None:
    text = "".join(f"[{k}]: [{v}]\n" for k, v in PIXEL_8.items())
    assert profiles.match(getprop.parse(text)).name == "pixel"


def test_get_by_name(profiles: ProfileSet) -> None:
    assert profiles.get("pixel").api_profile == "aosp-35"
    assert profiles.get("pixel", sdk=30).api_profile == "aosp-30"
    assert profiles.get("aosp-29").name == "aosp-29"
    with pytest.raises(ProfileError, match="no profile named 'nope'"):
        profiles.get("nope")


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


def test_placeholders_fill_per_argv_element(profiles: ProfileSet) -> None:
    p = profiles.match(PIXEL_8)
    assert p.command("standby_set", package=HOSTILE, bucket="rare") == [
        "am", "set-standby-bucket", HOSTILE, "rare"]
    assert p.command("job_run", package=HOSTILE, job_id=4) == [
        "cmd", "jobscheduler", "run", "-f", HOSTILE, "4"]
    # A value that looks like a placeholder is not substituted again.
    assert p.command("appops_set", package="{op}", op="RUN_ANY_IN_BACKGROUND",
                     mode="ignore")[3] == "{op}"
    assert p.command("stay_on", value=True) == ["svc", "power", "stayon", "true"]


def test_single_and_multi_command_shapes(profiles: ProfileSet) -> None:
    p = profiles.for_sdk(31)
    assert p.command("battery_unplug") == ["cmd", "battery", "unplug", "-f"]
    assert p.commands("battery_unplug") == [["cmd", "battery", "unplug", "-f"]]
    assert len(p.commands("saver_off")) == 3
    assert p.argv("deviceidle", "force-idle", "deep") == [
        "cmd", "deviceidle", "force-idle", "deep"]
    assert p.argv("standby_get", package=HOSTILE) == ["am", "get-standby-bucket", HOSTILE]
    with pytest.raises(ProfileError, match="use commands"):
        p.argv("saver_on")
    # The returned lists are fresh copies.
    p.command("battery_unplug").append("x")
    assert p.command("battery_unplug") == ["cmd", "battery", "unplug", "-f"]


def test_null_command_raises_naming_profile_and_operation(profiles: ProfileSet) -> None:
    p = profiles.match({**PIXEL_8, "ro.build.version.sdk": "29"})
    with pytest.raises(ProfileError) as info:
        p.command("exact_alarm_appop", package="p", mode="allow")
    err = info.value
    assert isinstance(err, UnsupportedOperation) and isinstance(err, HarnessError)
    assert (err.profile, err.operation) == ("pixel", "exact_alarm_appop")
    assert "'pixel'" in str(err) and "'exact_alarm_appop'" in str(err)
    assert not p.supports("exact_alarm_appop") and p.template("exact_alarm_appop") is None


def test_placeholder_value_errors(profiles: ProfileSet) -> None:
    p = profiles.for_sdk(34)
    with pytest.raises(ProfileError, match="needs a value for bucket"):
        p.command("standby_set", package="p")
    with pytest.raises(ProfileError, match="unexpected job_id"):
        p.command("standby_get", package="p", job_id=1)
    with pytest.raises(ProfileError, match="unknown operation 'standby_sett'"):
        p.command("standby_sett", package="p")
    with pytest.raises(TypeError):
        p.command("standby_get", package=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        p.command("standby_get", package="")


def test_bucket_argument(profiles: ProfileSet) -> None:
    assert profiles.for_sdk(34).bucket_argument("restricted") == "restricted"
    assert profiles.for_sdk(34).bucket_argument("rare") == "rare"
    with pytest.raises(UnsupportedOperation, match="restricted"):
        profiles.for_sdk(29).bucket_argument("restricted")
    with pytest.raises(UnsupportedOperation, match="cannot be set"):
        profiles.for_sdk(34).bucket_argument("exempted")


# --------------------------------------------------------------------------------------------
# Validation of broken files
# --------------------------------------------------------------------------------------------


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of the shipped profiles to break."""
    target = tmp_path / "profiles"
    shutil.copytree(SHIPPED, target)
    return target


def write(directory: Path, name: str, body: str) -> None:
    (directory / f"{name}.yaml").write_text(body, encoding="utf-8")


def load_error(directory: Path) -> ProfileError:
    with pytest.raises(ProfileError) as info:
        load_profiles(directory)
    return info.value


OVERLAY = "name: {name}\ndescription: test overlay\n"


def test_unknown_top_level_key(workdir: Path) -> None:
    write(workdir, "acme", OVERLAY.format(name="acme") + "boot_timeout: 10\n")
    err = load_error(workdir)
    assert err.file == "acme.yaml" and err.key == "boot_timeout"
    assert "unknown key 'boot_timeout'" in str(err) and "boot_timeout_s" in str(err)


def test_unknown_operation_key(workdir: Path) -> None:
    write(workdir, "acme", OVERLAY.format(name="acme") + "commands:\n  batery_unplug: null\n")
    err = load_error(workdir)
    assert (err.file, err.key) == ("acme.yaml", "commands.batery_unplug")


def test_bad_regex(workdir: Path) -> None:
    write(workdir, "acme", OVERLAY.format(name="acme")
          + "match:\n  - manufacturer: acme\n  - properties: {ro.acme.version: '(unclosed'}\n")
    err = load_error(workdir)
    assert err.file == "acme.yaml"
    assert err.key == 'match[1].properties["ro.acme.version"]'
    assert "regular expression" in str(err) and err.found == "(unclosed"


def test_extends_cycle(workdir: Path) -> None:
    write(workdir, "acme-a", OVERLAY.format(name="acme-a") + "extends: acme-b\n")
    write(workdir, "acme-b", OVERLAY.format(name="acme-b") + "extends: acme-a\n")
    err = load_error(workdir)
    assert err.file in {"acme-a.yaml", "acme-b.yaml"} and err.key == "extends"
    assert "cycle" in str(err) and "acme-a -> acme-b" in str(err).replace(
        "acme-b -> acme-a", "acme-a -> acme-b")


def test_unknown_extends(workdir: Path) -> None:
    write(workdir, "acme", OVERLAY.format(name="acme") + "extends: acme-base\n")
    err = load_error(workdir)
    assert (err.file, err.key) == ("acme.yaml", "extends") and "'acme-base'" in str(err)


def test_overlay_cannot_extend_an_api_profile(workdir: Path) -> None:
    write(workdir, "acme", OVERLAY.format(name="acme") + "extends: aosp-30\n")
    err = load_error(workdir)
    assert (err.file, err.key) == ("acme.yaml", "extends") and "same kind" in str(err)


def test_unknown_placeholder(workdir: Path) -> None:
    write(workdir, "acme", OVERLAY.format(name="acme")
          + "commands:\n  standby_get: [am, get-standby-bucket, '{pkg}']\n")
    err = load_error(workdir)
    assert (err.file, err.key) == ("acme.yaml", "commands.standby_get[2]")
    assert "unknown placeholder {pkg}" in str(err) and "{package}" in str(err)


def test_stray_brace(workdir: Path) -> None:
    write(workdir, "acme", OVERLAY.format(name="acme")
          + "commands:\n  standby_get: [am, get-standby-bucket, '{package']\n")
    assert load_error(workdir).key == "commands.standby_get[2]"


def test_unquoted_yaml_boolean_in_argv(workdir: Path) -> None:
    write(workdir, "acme", OVERLAY.format(name="acme")
          + "commands:\n  saver_on:\n    - [cmd, power, set-mode, '1']\n"
          + "    - [settings, put, global, low_power, 1]\n")
    err = load_error(workdir)
    assert err.key == "commands.saver_on[1][4]" and "quote" in str(err) and err.found == 1
    write(workdir, "acme", OVERLAY.format(name="acme")
          + "commands:\n  battery_monitor_on: [cmd, jobscheduler, monitor-battery, on]\n")
    err = load_error(workdir)
    assert err.key == "commands.battery_monitor_on[3]" and err.found is True


def test_wrong_type_reports_expected_and_found(workdir: Path) -> None:
    write(workdir, "acme", OVERLAY.format(name="acme") + "boot_timeout_s: slow\n")
    err = load_error(workdir)
    assert (err.file, err.key, err.found) == ("acme.yaml", "boot_timeout_s", "slow")
    assert "expected a positive number of seconds, found str 'slow'" in str(err)


def test_bad_feature_value(workdir: Path) -> None:
    write(workdir, "acme", OVERLAY.format(name="acme")
          + "features:\n  standby_buckets: [active, rare]\n")
    err = load_error(workdir)
    assert err.key == "features.standby_buckets" and "mapping of bucket name" in str(err)


def test_duplicate_key(workdir: Path) -> None:
    write(workdir, "acme", OVERLAY.format(name="acme") + "priority: 1\npriority: 2\n")
    err = load_error(workdir)
    assert err.file == "acme.yaml" and "duplicate key 'priority'" in str(err)


def test_invalid_yaml(workdir: Path) -> None:
    write(workdir, "acme", OVERLAY.format(name="acme") + "commands: [unclosed\n")
    err = load_error(workdir)
    assert err.file == "acme.yaml" and "invalid YAML" in str(err)


def test_name_must_match_file(workdir: Path) -> None:
    write(workdir, "acme", OVERLAY.format(name="acme-phone"))
    err = load_error(workdir)
    assert (err.file, err.key, err.found) == ("acme.yaml", "name", "acme-phone")


def test_empty_match_condition(workdir: Path) -> None:
    write(workdir, "acme", OVERLAY.format(name="acme") + "match: {}\n")
    assert "match every device" in str(load_error(workdir))


def test_api_profile_must_define_every_operation(workdir: Path) -> None:
    base = workdir / "aosp-28.yaml"
    base.write_text(base.read_text().replace("  make_uid_idle:", "  # make_uid_idle:"))
    err = load_error(workdir)
    assert (err.file, err.key) == ("aosp-28.yaml", "commands") and "make_uid_idle" in str(err)


def test_api_level_must_be_unique(workdir: Path) -> None:
    write(workdir, "aosp-30b", "name: aosp-30b\ndescription: dup\napi_level: 30\n"
          "extends: aosp-29\n")
    err = load_error(workdir)
    assert (err.file, err.key) == ("aosp-30b.yaml", "api_level")


# --------------------------------------------------------------------------------------------
# Overlay inheritance and by_sdk
# --------------------------------------------------------------------------------------------


def test_overlay_extends_and_by_sdk(workdir: Path) -> None:
    write(workdir, "acme", OVERLAY.format(name="acme") + """\
boot_timeout_s: 240
quirks: [acme quirk]
vendor_power_managers:
  - {name: Acme Killer, notes: kills everything, source: https://dontkillmyapp.com/}
commands:
  dismiss_keyguard: null
""")
    write(workdir, "acme-phone", """\
name: acme-phone
description: Acme phones
extends: acme
priority: 5
match: {manufacturer: acme, model: ["AP-\\\\d+", "acme phone .*"]}
quirks: [phone quirk]
by_sdk:
  - max_sdk: 30
    commands:
      screen_wake: [input, keyevent, KEYCODE_POWER]
    features:
      supports_quick_doze: false
""")
    ps = load_profiles(workdir)
    old = ps.match({"ro.product.manufacturer": "ACME", "ro.product.model": "AP-12",
                    "ro.build.version.sdk": "30"})
    new = ps.match({"ro.product.manufacturer": "acme", "ro.product.model": "acme phone x",
                    "ro.build.version.sdk": "33"})
    assert old.name == new.name == "acme-phone"
    assert old.sources[-3:] == ("acme", "acme-phone", "acme-phone.by_sdk[0]")
    assert old.command("screen_wake") == ["input", "keyevent", "KEYCODE_POWER"]
    assert new.command("screen_wake") == ["input", "keyevent", "KEYCODE_WAKEUP"]
    assert not old.supports_quick_doze and new.supports_quick_doze
    for p in (old, new):
        assert p.boot_timeout_s == 240 and not p.supports("dismiss_keyguard")
        assert p.quirks[-2:] == ("acme quirk", "phone quirk")
        assert [m.name for m in p.vendor_power_managers] == ["Acme Killer"]
    # The abstract parent has no match of its own.
    assert ps.match({"ro.product.manufacturer": "acme", "ro.build.version.sdk": "33",
                     "ro.product.model": "tablet"}).name == "aosp-33"


def test_more_specific_alternative_wins_a_priority_tie(workdir: Path) -> None:
    write(workdir, "acme", OVERLAY.format(name="acme") + "priority: 10\n"
          "match: {manufacturer: samsung, model: 'SM-S9.*'}\n")
    ps = load_profiles(workdir)
    assert ps.match(SAMSUNG_S23).name == "acme"
    assert ps.match({**SAMSUNG_S23, "ro.product.model": "SM-A546B"}).name == "samsung-oneui"


def test_profiles_dir_from_environment(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(workdir, "acme", OVERLAY.format(name="acme") + "match: {manufacturer: acme}\n")
    monkeypatch.setenv(PROFILES_ENV, str(workdir))
    assert "acme" in load_profiles()
    monkeypatch.setenv(PROFILES_ENV, str(workdir / "missing"))
    with pytest.raises(ProfileError, match=PROFILES_ENV):
        load_profiles()


# --------------------------------------------------------------------------------------------
# Real getprop captures
# --------------------------------------------------------------------------------------------

# What a capture's file name says about the device, and the profile it must get.
_VENDOR_BY_PREFIX = {"samsung-": "samsung-oneui", "poco-": "xiaomi-hyperos",
                     "xiaomi-": "xiaomi-hyperos", "redmi-": "xiaomi-hyperos",
                     "google-pixel": "pixel", "emulator": "emulator"}


@pytest.mark.parametrize("capture", capture_params("getprop"))
def test_every_getprop_capture_matches(profiles: ProfileSet, capture: Capture) -> None:
    parsed = getprop.parse(capture.read_bytes())
    profile = profiles.match(parsed.props)
    assert profile.api_profile in profiles.names and profile.matched_by
    assert profile.sdk == parsed.sdk
    expected = next((v for k, v in _VENDOR_BY_PREFIX.items() if capture.name.startswith(k)),
                    None)
    if expected is not None:
        assert profile.name == expected, profile.matched_by
    else:
        # Other vendors must not be mistaken for a known one.
        assert profile.name == profile.api_profile, profile.matched_by
