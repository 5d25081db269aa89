"""Shared samples of the APK toolkit tests."""

from __future__ import annotations

import importlib.util

import pytest

requires_pyaxmlparser = pytest.mark.skipif(
    importlib.util.find_spec("pyaxmlparser") is None,
    reason="pyaxmlparser is needed to decode binary XML",
)

# A background-work app as a test author would write it: FGS types, exact alarms, a boot
# receiver, a DUMP-protected provider, meta-data of every type, and the tools namespace.
REALISTIC_MANIFEST = """\
<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android"
    xmlns:tools="http://schemas.android.com/tools"
    package="com.example.bgwork"
    android:versionCode="1207"
    android:versionName="3.2.1-beta">

    <uses-sdk android:minSdkVersion="26" android:targetSdkVersion="34" />

    <uses-permission android:name="android.permission.FOREGROUND_SERVICE" />
    <uses-permission android:name="android.permission.FOREGROUND_SERVICE_DATA_SYNC" />
    <uses-permission android:name="android.permission.FOREGROUND_SERVICE_SPECIAL_USE" />
    <uses-permission android:name="android.permission.POST_NOTIFICATIONS" />
    <uses-permission android:name="android.permission.SCHEDULE_EXACT_ALARM" />
    <uses-permission android:name="android.permission.RECEIVE_BOOT_COMPLETED" />
    <uses-permission android:name="android.permission.WAKE_LOCK" tools:ignore="Unused" />

    <permission
        android:name="com.example.bgwork.permission.TRIGGER"
        android:protectionLevel="signature|privileged" />

    <application
        android:name=".BgApp"
        android:label="Background Work"
        android:icon="@mipmap/ic_launcher"
        android:allowBackup="false"
        android:debuggable="true"
        tools:targetApi="34">

        <meta-data android:name="com.example.bgwork.FLAVOR" android:value="canary" />
        <meta-data android:name="com.example.bgwork.MAX_JOBS" android:value="42" />
        <meta-data android:name="com.example.bgwork.VERBOSE" android:value="true" />
        <meta-data android:name="com.example.bgwork.BACKOFF" android:value="1.5" />
        <meta-data android:name="com.example.bgwork.ACCENT" android:value="#ff0000" />
        <meta-data android:name="com.example.bgwork.RULES" android:resource="@xml/rules" />

        <activity
            android:name=".MainActivity"
            android:exported="true"
            android:launchMode="singleTask">
            <intent-filter>
                <action android:name="android.intent.action.MAIN" />
                <category android:name="android.intent.category.LAUNCHER" />
            </intent-filter>
            <intent-filter>
                <action android:name="android.intent.action.VIEW" />
                <category android:name="android.intent.category.DEFAULT" />
                <category android:name="android.intent.category.BROWSABLE" />
                <data android:scheme="bgwork" android:host="open" />
            </intent-filter>
        </activity>

        <activity android:name="SettingsActivity" android:exported="false" />

        <service
            android:name=".sync.SyncService"
            android:exported="false"
            android:process=":sync"
            android:foregroundServiceType="dataSync|specialUse">
            <meta-data
                android:name="android.app.PROPERTY_SPECIAL_USE_FGS_SUBTYPE"
                android:value="harness self-test" />
        </service>

        <service
            android:name="androidx.work.impl.foreground.SystemForegroundService"
            android:foregroundServiceType="dataSync"
            android:stopWithTask="false" />

        <receiver
            android:name=".BootReceiver"
            android:directBootAware="true">
            <intent-filter android:priority="999">
                <action android:name="android.intent.action.BOOT_COMPLETED" />
                <action android:name="android.intent.action.LOCKED_BOOT_COMPLETED" />
            </intent-filter>
        </receiver>

        <receiver
            android:name="com.example.bgwork.alarm.AlarmReceiver"
            android:enabled="false"
            android:exported="false" />

        <provider
            android:name=".debug.DumpProvider"
            android:authorities="com.example.bgwork.dump;com.example.bgwork.dump.v2"
            android:exported="true"
            android:grantUriPermissions="true"
            android:permission="android.permission.DUMP">
            <meta-data android:name="com.example.bgwork.SCHEMA" android:value="3" />
        </provider>
    </application>
</manifest>
"""
