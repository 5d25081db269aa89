"""Unit tests of the manifest-only APK builder."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile

import pytest

from harness.apk import ApkBuildError, AxmlError, build_apk, encode_axml, parse_manifest_xml
from harness.apk.axml import ANDROID_NS
from tests.unit.apk import REALISTIC_MANIFEST, requires_pyaxmlparser

MINIMAL = (
    f'<manifest xmlns:android="{ANDROID_NS}" package="com.example.t"><application/></manifest>'
)


def entries(apk: bytes) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(io.BytesIO(apk)) as archive:
        assert archive.testzip() is None
        return {info.filename: info for info in archive.infolist()}


def read(apk: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(apk)) as archive:
        return archive.read(name)


def test_the_apk_holds_the_binary_manifest_and_nothing_else():
    apk = build_apk(MINIMAL)
    assert list(entries(apk)) == ["AndroidManifest.xml"]
    assert read(apk, "AndroidManifest.xml") == encode_axml(MINIMAL)
    assert entries(apk)["AndroidManifest.xml"].compress_type == zipfile.ZIP_DEFLATED


def test_extra_files_are_added_in_order_with_their_content():
    extra = {
        "assets/config.json": b'{"jobs": 3}',
        "res/raw/blob.bin": bytes(range(256)) * 4,
        "resources.arsc": b"\x02\x00\x0c\x00" + bytes(8),
    }
    apk = build_apk(MINIMAL, extra)
    found = entries(apk)
    assert list(found) == ["AndroidManifest.xml", *extra]
    for name, data in extra.items():
        assert read(apk, name) == data
    # Android 11+ refuses a compressed resources.arsc; everything else is deflated.
    assert found["resources.arsc"].compress_type == zipfile.ZIP_STORED
    assert found["assets/config.json"].compress_type == zipfile.ZIP_DEFLATED


def test_the_apk_is_unsigned_and_has_no_code():
    names = set(entries(build_apk(REALISTIC_MANIFEST, {"assets/a.txt": b"a"})))
    assert "classes.dex" not in names
    assert not any(name.startswith("META-INF/") for name in names)


def test_building_is_deterministic():
    extra = {"assets/a.txt": b"a"}
    assert build_apk(REALISTIC_MANIFEST, extra) == build_apk(REALISTIC_MANIFEST, extra)
    assert {i.date_time for i in entries(build_apk(MINIMAL, extra)).values()} == {
        (1980, 1, 1, 0, 0, 0)
    }


@pytest.mark.parametrize(
    "name",
    ["AndroidManifest.xml", "", "/etc/passwd", "../escape", "a/../../b", "a//b", "dir\\file", "a/"],
)
def test_bad_extra_entry_names_are_refused(name):
    with pytest.raises(ApkBuildError):
        build_apk(MINIMAL, {name: b"x"})


def test_a_manifest_aapt2_would_refuse_is_refused():
    bad = MINIMAL.replace("<application/>", '<application android:debuggable="sure"/>')
    with pytest.raises(AxmlError, match="debuggable"):
        build_apk(bad)


@requires_pyaxmlparser
def test_the_built_apk_reads_back_as_its_source():
    from harness.apk import read_manifest

    assert read_manifest(build_apk(REALISTIC_MANIFEST)) == parse_manifest_xml(REALISTIC_MANIFEST)


def _aapt2() -> str | None:
    return os.environ.get("AAPT2") or shutil.which("aapt2")


@pytest.mark.skipif(_aapt2() is None, reason="no aapt2 (set AAPT2 or put it on PATH)")
def test_real_aapt2_reads_the_apk(tmp_path):
    """The build tools' own reader agrees with the source: the strongest check of the layout."""
    source = parse_manifest_xml(REALISTIC_MANIFEST)
    for utf16 in (True, False):
        apk = tmp_path / f"app-{utf16}.apk"
        with zipfile.ZipFile(apk, "w") as archive:
            archive.writestr("AndroidManifest.xml", encode_axml(REALISTIC_MANIFEST, utf16=utf16))
        badging = subprocess.run(
            [_aapt2(), "dump", "badging", str(apk)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.splitlines()
        assert badging[0] == (
            f"package: name='{source.package}' versionCode='{source.version_code}' "
            f"versionName='{source.version_name}'"
        )
        assert f"sdkVersion:'{source.min_sdk}'" in badging
        assert f"targetSdkVersion:'{source.target_sdk}'" in badging
        permissions = [line for line in badging if line.startswith("uses-permission:")]
        assert permissions == [f"uses-permission: name='{p}'" for p in source.uses_permissions]
        assert "application-debuggable" in badging
        launcher = source.launcher_activity().name
        assert any(line.startswith(f"launchable-activity: name='{launcher}'") for line in badging)
