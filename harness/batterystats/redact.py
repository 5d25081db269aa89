"""Redaction of personal data in batterystats names.

Sync names are ``<authority>/<account type>/<account name>`` and the account name is often an
e-mail address, a phone number or a person's name; the wakelock a sync holds is ``*sync*/`` plus
the same name, sync jobs carry it as their job name, and history tags repeat all of them.
Redaction keeps the authority and the account type (they say which app synced) and replaces the
account name; e-mail addresses are replaced wherever else they appear.

The e-mail pattern refuses matches glued to ``@`` or followed by ``/`` so that job namespaces such
as ``@androidx.work.systemjobscheduler@com.google.android.youtube/...`` are left alone.
"""

from __future__ import annotations

import re

ACCOUNT_PLACEHOLDER = "<account>"
EMAIL_PLACEHOLDER = "<email>"

_EMAIL = re.compile(
    r"(?<![\w.%+@-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w/.-])"
)
_SYNC_WAKELOCK = "*sync*/"
# "<authority>/<account type>/<account>", optionally behind a job namespace "@ns@".
_SYNC_SHAPED = re.compile(r"^(@[^@/]*@)?([A-Za-z][\w.-]*)/([A-Za-z][\w.-]*)/(.+)$")


def redact_email(text: str) -> str:
    """Replace e-mail addresses by ``<email>``."""
    if "@" not in text:
        return text
    return _EMAIL.sub(EMAIL_PLACEHOLDER, text)


def redact_sync_name(name: str) -> str:
    """``authority/type/account`` -> ``authority/type/<account>``; other names: e-mails only."""
    parts = name.split("/", 2)
    if len(parts) == 3 and parts[2]:
        return f"{parts[0]}/{parts[1]}/{ACCOUNT_PLACEHOLDER}"
    return redact_email(name)


def redact_name(name: str) -> str:
    """Redact any batterystats name (wakelock, job, alarm, tag).

    Sync wakelocks and sync-shaped names lose their account part; e-mail addresses anywhere
    else are replaced. Ordinary names (``pkg/.Service``, ``*walarm*:...``) are returned as is.
    """
    if name.startswith(_SYNC_WAKELOCK):
        return _SYNC_WAKELOCK + redact_sync_name(name[len(_SYNC_WAKELOCK) :])
    m = _SYNC_SHAPED.match(name)
    if m is not None:
        return f"{m.group(1) or ''}{m.group(2)}/{m.group(3)}/{ACCOUNT_PLACEHOLDER}"
    return redact_email(name)


# -- cheap pre-checks: redaction runs over every distinct name of a dump, and nearly all of them
# are ordinary names that these rule out without a regex.


def may_redact_name(name: str) -> bool:
    """Whether :func:`redact_name` can change ``name``: an e-mail address, a sync wakelock, or
    "<authority>/<account type>/<account>" (a letter first, two slashes). ``*job*/<package>/
    <service>`` names, the most common ones with slashes, are none of these."""
    if "/" not in name:  # most names: then only an e-mail address can be redacted
        return "@" in name
    return (
        "@" in name
        or name.startswith(_SYNC_WAKELOCK)
        or (name[:1].isascii() and name[:1].isalpha() and name.count("/") >= 2)
    )


def may_redact_sync_name(name: str) -> bool:
    """Whether :func:`redact_sync_name` can change ``name``: three parts or an e-mail."""
    return "@" in name or name.count("/") >= 2


# redaction function -> its pre-check (False: the function returns the name unchanged)
MAY_REDACT = {redact_name: may_redact_name, redact_sync_name: may_redact_sync_name}
