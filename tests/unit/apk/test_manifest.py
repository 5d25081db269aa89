"""Unit tests of manifest reading: from an APK, from binary XML and from text, which must agree."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from xml.sax.saxutils import quoteattr

import pytest

from harness.apk import (
    Activity,
    ApkError,
    Application,
    AppManifest,
    IntentFilter,
    PermissionDecl,
    Provider,
    Receiver,
    Service,
    build_apk,
    encode_axml,
    parse_manifest_xml,
    read_manifest,
)
from harness.apk.axml import ANDROID_NS
from harness.apk.manifest import BAD_PACKAGE_NAME, MANIFEST_MALFORMED, NOT_APK, qualify
from tests.unit.apk import REALISTIC_MANIFEST, requires_pyaxmlparser

NS = f'xmlns:android="{ANDROID_NS}"'
PKG = "com.example.bgwork"

EXPECTED = AppManifest(
    package=PKG,
    version_code=1207,
    version_name="3.2.1-beta",
    min_sdk=26,
    target_sdk=34,
    debuggable=True,
    test_only=False,
    has_code=True,
    uses_permissions=[
        "android.permission.FOREGROUND_SERVICE",
        "android.permission.FOREGROUND_SERVICE_DATA_SYNC",
        "android.permission.FOREGROUND_SERVICE_SPECIAL_USE",
        "android.permission.POST_NOTIFICATIONS",
        "android.permission.SCHEDULE_EXACT_ALARM",
        "android.permission.RECEIVE_BOOT_COMPLETED",
        "android.permission.WAKE_LOCK",
    ],
    permissions=[
        PermissionDecl(
            name="com.example.bgwork.permission.TRIGGER",
            protection_level=0x12,
            protection_level_names=["signature", "privileged"],
        )
    ],
    application=Application(
        name=f"{PKG}.BgApp",
        label="Background Work",
        icon="@mipmap/ic_launcher",
        allow_backup=False,
        meta_data={
            "com.example.bgwork.FLAVOR": "canary",
            "com.example.bgwork.MAX_JOBS": 42,
            "com.example.bgwork.VERBOSE": True,
            "com.example.bgwork.BACKOFF": 1.5,
            "com.example.bgwork.ACCENT": -65536,  # 0xffff0000 as the Java int a Bundle holds
            "com.example.bgwork.RULES": "@xml/rules",
        },
    ),
    activities=[
        Activity(
            name=f"{PKG}.MainActivity",
            exported=True,
            launch_mode=2,
            intent_filters=[
                IntentFilter(
                    actions=["android.intent.action.MAIN"],
                    categories=["android.intent.category.LAUNCHER"],
                ),
                IntentFilter(
                    actions=["android.intent.action.VIEW"],
                    categories=[
                        "android.intent.category.DEFAULT",
                        "android.intent.category.BROWSABLE",
                    ],
                    data_schemes=["bgwork"],
                    data_hosts=["open"],
                ),
            ],
        ),
        Activity(name=f"{PKG}.SettingsActivity", exported=False),
    ],
    services=[
        Service(
            name=f"{PKG}.sync.SyncService",
            exported=False,
            process=":sync",
            foreground_service_types=0x40000001,
            foreground_service_type_names=["dataSync", "specialUse"],
            meta_data={"android.app.PROPERTY_SPECIAL_USE_FGS_SUBTYPE": "harness self-test"},
        ),
        Service(
            name="androidx.work.impl.foreground.SystemForegroundService",
            foreground_service_types=0x1,
            foreground_service_type_names=["dataSync"],
            stop_with_task=False,
        ),
    ],
    receivers=[
        Receiver(
            name=f"{PKG}.BootReceiver",
            direct_boot_aware=True,
            intent_filters=[
                IntentFilter(
                    actions=[
                        "android.intent.action.BOOT_COMPLETED",
                        "android.intent.action.LOCKED_BOOT_COMPLETED",
                    ],
                    priority=999,
                )
            ],
        ),
        Receiver(name=f"{PKG}.alarm.AlarmReceiver", enabled=False, exported=False),
    ],
    providers=[
        Provider(
            name=f"{PKG}.debug.DumpProvider",
            exported=True,
            permission="android.permission.DUMP",
            authorities=["com.example.bgwork.dump", "com.example.bgwork.dump.v2"],
            grant_uri_permissions=True,
            meta_data={"com.example.bgwork.SCHEMA": 3},
        )
    ],
)


def manifest(body: str = "", package: str = "com.example.t", attrs: str = "") -> str:
    return f"<manifest {NS} package={quoteattr(package)} {attrs}>{body}</manifest>"


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- round trips --------------------------------------------------------------------------------


@requires_pyaxmlparser
def test_realistic_manifest_round_trips_through_an_apk():
    read = read_manifest(build_apk(REALISTIC_MANIFEST))
    # Field by field first, so that a failure names the field.
    for name in AppManifest.__dataclass_fields__:
        assert getattr(read, name) == getattr(EXPECTED, name), name
    assert read == EXPECTED


@requires_pyaxmlparser
@pytest.mark.parametrize("utf16", [True, False])
def test_bare_binary_xml_reads_the_same(utf16):
    assert read_manifest(encode_axml(REALISTIC_MANIFEST, utf16=utf16)) == EXPECTED


def test_text_reads_the_same():
    assert parse_manifest_xml(REALISTIC_MANIFEST) == EXPECTED
    assert parse_manifest_xml(REALISTIC_MANIFEST.encode()) == EXPECTED


def test_to_json_is_plain_data():
    data = json.loads(json.dumps(EXPECTED.to_json()))
    assert data["services"][0]["foreground_service_type_names"] == ["dataSync", "specialUse"]
    assert data["providers"][0]["authorities"][1] == "com.example.bgwork.dump.v2"


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "qualified"),
    [
        (".Main", "com.example.t.Main"),
        (".ui.Main", "com.example.t.ui.Main"),
        ("Main", "com.example.t.Main"),
        ("org.other.Main", "org.other.Main"),
        ("androidx.work.impl.background.systemalarm.RescheduleReceiver", None),
    ],
)
def test_component_names_are_qualified_like_the_package_manager(written, qualified):
    assert qualify("com.example.t", written) == (qualified or written)


def test_every_component_kind_and_the_application_are_qualified():
    text = manifest(
        '<application android:name="App">'
        '<activity android:name=".A"/>'
        '<activity-alias android:name="Alias" android:targetActivity=".A"/>'
        '<service android:name="S"/>'
        '<receiver android:name=".r.R"/>'
        '<provider android:name="org.lib.P" android:authorities="x"/>'
        "</application>"
    )
    read = parse_manifest_xml(text)
    assert read.application.name == "com.example.t.App"
    assert [c.name for c in read.components()] == [
        "com.example.t.A",
        "com.example.t.Alias",
        "com.example.t.S",
        "com.example.t.r.R",
        "org.lib.P",
    ]
    assert read.activities[1].target_activity == "com.example.t.A"
    assert read.component(".A") is read.activities[0]
    assert read.component("org.lib.P") is read.providers[0]
    assert read.component("Missing") is None


# --- hostile values -----------------------------------------------------------------------------

HOSTILE = "com.evil.app/.Pwn;--'\"<x>&amp;$(reboot)`id`\\n\u202e\U0001f600 .Main"


@requires_pyaxmlparser
def test_a_hostile_package_like_value_survives_unchanged():
    text = manifest(
        "<application>"
        f'<meta-data android:name="k" android:value={quoteattr(HOSTILE)}/>'
        f'<service android:name=".S" android:permission={quoteattr(HOSTILE)}'
        f" android:process={quoteattr(HOSTILE)}/>"
        "</application>"
    )
    for read in (parse_manifest_xml(text), read_manifest(build_apk(text))):
        assert read.application.meta_data == {"k": HOSTILE}
        service = read.services[0]
        assert service.name == "com.example.t.S"
        assert service.permission == HOSTILE
        assert service.process == HOSTILE


@pytest.mark.parametrize(
    "package", ["com.example;rm -rf /", "nodots", "com..double", "1com.example", "com.ex-ample", ""]
)
def test_an_invalid_package_name_is_refused(package):
    with pytest.raises(ApkError) as caught:
        parse_manifest_xml(manifest(package=package))
    assert caught.value.reason == BAD_PACKAGE_NAME
    assert str(caught.value).startswith(BAD_PACKAGE_NAME)


# --- not an APK ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, not an apk",
        b"PK\x03\x04 truncated zip",
        b"\x7fELF\x02\x01\x01\x00" + bytes(64),
        REALISTIC_MANIFEST.encode(),  # a textual manifest is not an APK either
    ],
)
def test_bytes_that_are_neither_zip_nor_axml_are_not_an_apk(data):
    with pytest.raises(ApkError) as caught:
        read_manifest(data)
    assert caught.value.reason == NOT_APK == "INSTALL_PARSE_FAILED_NOT_APK"


@pytest.mark.parametrize(
    "entries",
    [
        {},
        {"classes.dex": b"dex\n035\0"},
        {"assets/AndroidManifest.xml": b"\x03\x00\x08\x00"},  # not at the root
        {"androidmanifest.xml": b"\x03\x00\x08\x00"},  # names are case-sensitive
    ],
)
def test_a_zip_without_a_manifest_is_not_an_apk(entries):
    with pytest.raises(ApkError, match=r"no AndroidManifest\.xml") as caught:
        read_manifest(zip_of(entries))
    assert caught.value.reason == NOT_APK


@requires_pyaxmlparser
@pytest.mark.parametrize(
    "manifest_bytes",
    [
        REALISTIC_MANIFEST.encode(),  # textual, never compiled
        b"\x03\x00\x08\x00\xff\xff\xff\xff",  # header promising more than there is
        lambda: encode_axml(REALISTIC_MANIFEST)[:200],  # truncated
    ],
)
def test_a_zip_with_an_unreadable_manifest_is_refused(manifest_bytes):
    data = manifest_bytes() if callable(manifest_bytes) else manifest_bytes
    with pytest.raises(ApkError) as caught:
        read_manifest(zip_of({"AndroidManifest.xml": data}))
    assert caught.value.reason == NOT_APK


def test_a_zip_whose_manifest_data_is_corrupt_is_refused():
    apk = bytearray(build_apk(REALISTIC_MANIFEST))
    with zipfile.ZipFile(io.BytesIO(bytes(apk))) as archive:
        info = archive.getinfo("AndroidManifest.xml")
    data_start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    apk[data_start : data_start + 64] = bytes(range(64))  # garbles the deflate stream
    with pytest.raises(ApkError) as caught:
        read_manifest(bytes(apk))
    assert caught.value.reason == NOT_APK


def test_a_zip_with_duplicate_entries_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, pytest.warns(UserWarning):
        archive.writestr("AndroidManifest.xml", encode_axml(manifest()))
        archive.writestr("AndroidManifest.xml", encode_axml(manifest(package="com.other.x")))
    with pytest.raises(ApkError, match="duplicate"):
        read_manifest(buffer.getvalue())


# --- malformed manifests ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<manifest", "not well-formed"),
        (f'<application {NS} package="a.b"/>', "No <manifest> tag"),
        (manifest("<application><service/></application>"), "does not specify android:name"),
        (manifest("<application/><application/>"), "more than one <application>"),
        (manifest('<application><meta-data android:name="k"/></application>'), "requires"),
        (manifest('<application android:debuggable="maybe"/>'), "android:debuggable"),
        (manifest('<application><activity-alias android:name="A"/></application>'), "target"),
        (manifest("<permission/>"), "no android:name"),
    ],
)
def test_malformed_manifests_are_refused(text, message):
    with pytest.raises(ApkError, match=message) as caught:
        parse_manifest_xml(text)
    assert caught.value.reason == MANIFEST_MALFORMED


# --- defaults and helpers -----------------------------------------------------------------------


def test_absent_attributes_take_the_platform_defaults():
    read = parse_manifest_xml(manifest('<application><service android:name=".S"/></application>'))
    assert (read.version_code, read.version_name, read.min_sdk, read.target_sdk) == (None,) * 4
    assert (read.debuggable, read.test_only, read.has_code) == (False, False, True)
    service = read.services[0]
    assert service.exported is None and service.enabled and not service.direct_boot_aware
    assert service.foreground_service_types == 0 and service.foreground_service_type_names == []
    assert read.effective_target_sdk() == 1
    assert read.launcher_activity() is None


def test_helpers_on_the_realistic_manifest():
    read = parse_manifest_xml(REALISTIC_MANIFEST)
    assert read.launcher_activity().name == f"{PKG}.MainActivity"
    boot = read.receivers_for("android.intent.action.BOOT_COMPLETED")
    assert [r.name for r in boot] == [f"{PKG}.BootReceiver"]
    assert read.receivers_for("android.intent.action.LOCKED_BOOT_COMPLETED") == boot
    assert read.receivers_for("android.intent.action.TIME_SET") == []
    provider = read.provider_for_authority("com.example.bgwork.dump.v2")
    assert provider is read.providers[0]
    assert read.provider_for_authority("com.example.bgwork") is None
    assert read.process_name(read.services[0]) == f"{PKG}:sync"
    assert read.process_name(read.services[1]) == PKG
    assert read.process_name() == PKG
    # exported defaults: true with intent filters, false without, false for providers at 17+.
    assert read.is_exported(read.receivers[0]) is True
    assert read.is_exported(read.services[1]) is False


def test_receivers_for_orders_by_priority_and_keeps_disabled_ones():
    # Disabled in the manifest is only the initial state: apps enable receivers at run time.
    text = manifest(
        "<application>"
        '<receiver android:name=".Low"><intent-filter android:priority="-5">'
        '<action android:name="a.B"/></intent-filter></receiver>'
        '<receiver android:name=".High" android:enabled="false">'
        '<intent-filter android:priority="7">'
        '<action android:name="a.B"/></intent-filter></receiver>'
        "</application>"
    )
    assert [r.name for r in parse_manifest_xml(text).receivers_for("a.B")] == [
        "com.example.t.High",
        "com.example.t.Low",
    ]


def test_launcher_activity_skips_disabled_activities_and_finds_aliases():
    text = manifest(
        "<application>"
        '<activity android:name=".Off" android:enabled="false"><intent-filter>'
        '<action android:name="android.intent.action.MAIN"/>'
        '<category android:name="android.intent.category.LAUNCHER"/></intent-filter></activity>'
        '<activity-alias android:name=".Alias" android:targetActivity=".Off"><intent-filter>'
        '<action android:name="android.intent.action.MAIN"/>'
        '<category android:name="android.intent.category.LAUNCHER"/></intent-filter>'
        "</activity-alias></application>"
    )
    launcher = parse_manifest_xml(text).launcher_activity()
    assert (launcher.name, launcher.target_activity) == ("com.example.t.Alias", "com.example.t.Off")


@pytest.mark.parametrize(
    ("target", "exported"),
    [('android:targetSdkVersion="16"', True), ("", True), ('android:targetSdkVersion="17"', False)],
)
def test_provider_exported_default_depends_on_target_sdk(target, exported):
    text = manifest(
        f'<uses-sdk android:minSdkVersion="14" {target}/>'
        '<application><provider android:name=".P" android:authorities="a"/></application>'
    )
    read = parse_manifest_xml(text)
    assert read.is_exported(read.providers[0]) is exported


@pytest.mark.parametrize(
    ("level", "value", "names"),
    [
        ("normal", 0, ["normal"]),
        ("dangerous", 1, ["dangerous"]),
        ("signature|privileged", 0x12, ["signature", "privileged"]),
        ("signature|system", 0x12, ["signature", "privileged"]),
        ("signatureOrSystem", 3, ["signatureOrSystem"]),
        ("signature|appop|development", 0x62, ["signature", "development", "appop"]),
        ("signature|knownSigner", 0x8000002, ["signature", "knownSigner"]),
        ("0x00000012", 0x12, ["signature", "privileged"]),
    ],
)
def test_protection_levels_read_as_value_and_names(level, value, names):
    text = manifest(f'<permission android:name="a.b.P" android:protectionLevel="{level}"/>')
    permission = parse_manifest_xml(text).permissions[0]
    assert (permission.protection_level, permission.protection_level_names) == (value, names)


def test_uses_permission_variants_are_collected_once():
    text = manifest(
        '<uses-permission android:name="a.P"/>'
        '<uses-permission-sdk-23 android:name="a.Q"/>'
        '<uses-permission android:name="a.P" android:maxSdkVersion="32"/>'
    )
    assert parse_manifest_xml(text).uses_permissions == ["a.P", "a.Q"]


def test_codename_sdk_versions_stay_strings():
    text = manifest(
        '<uses-sdk android:minSdkVersion="Baklava" android:targetSdkVersion="Baklava"/>'
    )
    read = parse_manifest_xml(text)
    assert (read.min_sdk, read.target_sdk) == ("Baklava", "Baklava")
    assert read.effective_target_sdk() == 10_000


@requires_pyaxmlparser
def test_meta_data_values_read_alike_from_text_and_binary():
    values = {
        "i": ("42", 42),
        "neg": ("-7", -7),
        "hex": ("0x10", 16),
        "b": ("false", False),
        "f": ("0.1", 0.1),
        "c": ("#80ff0000", -2130771968),
        "s": ("1.2.3", "1.2.3"),
        "empty": ("", ""),
    }
    body = "".join(
        f'<meta-data android:name="{k}" android:value="{text}"/>' for k, (text, _) in values.items()
    )
    text = manifest(f"<application>{body}</application>")
    expected = {k: v for k, (_, v) in values.items()}
    assert parse_manifest_xml(text).application.meta_data == expected
    assert read_manifest(build_apk(text)).application.meta_data == expected


def blank_pool_string(axml: bytes, text: str) -> bytes:
    """Empty the first pool string equal to ``text`` (UTF-16 pool), as obfuscators do."""
    data = bytearray(axml)
    count, _, _, strings_start = struct.unpack_from("<IIII", data, 16)
    for offset in struct.unpack_from(f"<{count}I", data, 36):
        at = 8 + strings_start + offset
        (length,) = struct.unpack_from("<H", data, at)
        if data[at + 2 : at + 2 + 2 * length].decode("utf-16-le") == text:
            struct.pack_into("<HH", data, at, 0, 0)
            return bytes(data)
    raise AssertionError(f"{text!r} is not in the pool")


@requires_pyaxmlparser
def test_attributes_with_blank_names_are_read_by_resource_id():
    axml = encode_axml(REALISTIC_MANIFEST)
    for name in ("foregroundServiceType", "exported", "authorities"):
        axml = blank_pool_string(axml, name)
    assert read_manifest(axml) == EXPECTED
