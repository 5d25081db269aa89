"""AndroidManifest.xml is well-formed and declares what the contract needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.app import static_checks as sc
from tests.static.conftest import messages


def test_the_manifest_declares_the_contract():
    assert sc.check_manifest(sc.SAMPLE_APP_DIR) == []


@pytest.mark.parametrize("permission", [
    "android.permission.SCHEDULE_EXACT_ALARM",
    "android.permission.RECEIVE_BOOT_COMPLETED",
    "android.permission.POST_NOTIFICATIONS",
])
def test_a_removed_permission_is_reported(app_copy: Path, edit, permission: str):
    edit(app_copy / sc.MANIFEST, f'<uses-permission android:name="{permission}" />', "")
    findings = sc.check_manifest(app_copy)
    assert any(permission in f.message for f in findings), messages(findings)


def test_a_removed_type_permission_is_reported_for_both_services(app_copy: Path, edit):
    edit(app_copy / sc.MANIFEST,
         '<uses-permission android:name="android.permission.FOREGROUND_SERVICE_DATA_SYNC" />', "")
    text = messages(sc.check_manifest(app_copy))
    assert "FOREGROUND_SERVICE_DATA_SYNC> is missing" in text.replace('"', "")
    assert "the foreground service declares 'dataSync'" in text
    assert "SystemForegroundService declares 'dataSync'" in text


def test_a_removed_foreground_service_type_is_reported(app_copy: Path, edit):
    edit(app_copy / sc.MANIFEST,
         'android:name=".SampleForegroundService"\n            android:exported="false"\n'
         '            android:foregroundServiceType="dataSync|specialUse|shortService"',
         'android:name=".SampleForegroundService"\n            android:exported="false"\n'
         '            android:foregroundServiceType="dataSync|specialUse"')
    findings = sc.check_manifest(app_copy)
    assert any("'shortService'" in f.message for f in findings), messages(findings)


def test_an_unguarded_provider_is_reported(app_copy: Path, edit):
    manifest = app_copy / sc.MANIFEST
    edit(manifest, '            android:permission="android.permission.DUMP"\n', "")
    edit(manifest, 'android:writePermission="android.permission.DUMP"',
         'android:writePermission="android.permission.WAKE_LOCK"')
    findings = sc.check_manifest(app_copy)
    assert any("guarded by android.permission.DUMP" in f.message for f in findings), \
        messages(findings)


def test_a_wrong_authority_is_reported(app_copy: Path, edit):
    edit(app_copy / sc.MANIFEST, 'android:authorities="dev.harness.sample.control"',
         'android:authorities="dev.harness.sample.ctl"')
    assert "lack dev.harness.sample.control" in messages(sc.check_manifest(app_copy))


def test_a_missing_boot_completed_filter_is_reported(app_copy: Path, edit):
    edit(app_copy / sc.MANIFEST, "android.intent.action.BOOT_COMPLETED",
         "android.intent.action.LOCKED_BOOT_COMPLETED")
    text = messages(sc.check_manifest(app_copy))
    assert "does not receive android.intent.action.BOOT_COMPLETED" in text
    assert "must not handle LOCKED_BOOT_COMPLETED" in text


def test_a_missing_component_is_reported(app_copy: Path, edit):
    edit(app_copy / sc.MANIFEST, 'android:name=".AlarmReceiver"', 'android:name=".AlarmRcv"')
    text = messages(sc.check_manifest(app_copy))
    assert 'android:name="dev.harness.sample.AlarmReceiver"> is missing' in text
    assert "no Kotlin class AlarmRcv exists" in text


def test_use_exact_alarm_is_refused(app_copy: Path, edit):
    edit(app_copy / sc.MANIFEST,
         '<uses-permission android:name="android.permission.SCHEDULE_EXACT_ALARM" />',
         '<uses-permission android:name="android.permission.SCHEDULE_EXACT_ALARM" />\n'
         '    <uses-permission android:name="android.permission.USE_EXACT_ALARM" />')
    assert "USE_EXACT_ALARM is declared" in messages(sc.check_manifest(app_copy))


def test_the_default_workmanager_initializer_must_be_removed(app_copy: Path, edit):
    edit(app_copy / sc.MANIFEST,
         'android:value="androidx.startup"\n                tools:node="remove"',
         'android:value="androidx.startup"')
    assert "default initializer is not removed" in messages(sc.check_manifest(app_copy))


def test_special_use_needs_its_property(app_copy: Path, edit):
    edit(app_copy / sc.MANIFEST,
         '            <property\n'
         '                android:name="android.app.PROPERTY_SPECIAL_USE_FGS_SUBTYPE"\n'
         '                android:value="Test harness: runs on request to observe how the '
         'platform treats background work" />\n', "")
    assert "the foreground service declares specialUse without" in messages(
        sc.check_manifest(app_copy))


def test_malformed_xml_is_reported(app_copy: Path, edit):
    edit(app_copy / sc.MANIFEST, "</application>", "</aplication>")
    findings = sc.check_manifest(app_copy)
    assert len(findings) == 1 and "not well-formed" in findings[0].message


def test_the_resources_parse_and_every_string_reference_exists():
    assert sc.check_resources(sc.SAMPLE_APP_DIR) == []


def test_a_missing_string_is_reported(app_copy: Path, edit):
    edit(app_copy / "app/src/main/res/values/strings.xml",
         '    <string name="channel_name">Background work</string>\n', "")
    edit(app_copy / "app/src/main/res/values/strings.xml",
         '<string name="app_name">Harness Sample</string>', '<string name="app">Harness</string>')
    text = messages(sc.check_resources(app_copy))
    assert "R.string.channel_name is not defined" in text
    assert "@string/app_name is not defined" in text
