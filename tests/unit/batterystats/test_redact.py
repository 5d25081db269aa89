"""Redaction of accounts and e-mail addresses in batterystats names."""

from __future__ import annotations

import pytest

from harness.batterystats.redact import redact_email, redact_name, redact_sync_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "*sync*/com.google.android.gm.email/com.google/user@example.com",
            "*sync*/com.google.android.gm.email/com.google/<account>",
        ),
        (
            "*sync*/com.android.contacts/com.whatsapp/+4915112345678",
            "*sync*/com.android.contacts/com.whatsapp/<account>",
        ),
        # A sync that runs as a job carries the sync name as its job name.
        (
            "com.sina.weibo.sync.authority/com.sina.weibo.account/someone:android",
            "com.sina.weibo.sync.authority/com.sina.weibo.account/<account>",
        ),
        (
            "*alarm*:com.example.ACTION for bob@mail.example.org",
            "*alarm*:com.example.ACTION for <email>",
        ),
        # Left alone: ordinary wakelocks, jobs, alarms, and job namespaces with '@'.
        (
            "*job*/com.google.android.gms/.gcm.nts.TaskExecutionService",
            "*job*/com.google.android.gms/.gcm.nts.TaskExecutionService",
        ),
        ("com.example.app/.SyncJob", "com.example.app/.SyncJob"),
        ("*walarm*:DeviceIdleController.deep", "*walarm*:DeviceIdleController.deep"),
        (
            "@androidx.work.systemjobscheduler@com.google.android.youtube/androidx.work.impl"
            ".background.systemjob.SystemJobService",
            "@androidx.work.systemjobscheduler@com.google.android.youtube/androidx.work.impl"
            ".background.systemjob.SystemJobService",
        ),
    ],
)
def test_redact_name(name, expected):
    assert redact_name(name) == expected


def test_sync_names_lose_the_account_part_only():
    assert (
        redact_sync_name("gmail-ls/com.google/user15@example.com")
        == "gmail-ls/com.google/<account>"
    )
    assert redact_sync_name("subscribedfeeds") == "subscribedfeeds"


def test_email_pattern_needs_a_domain():
    assert redact_email("contact a@b.io now") == "contact <email> now"
    assert redact_email("no at sign") == "no at sign"
    assert redact_email("user@localhost") == "user@localhost"
