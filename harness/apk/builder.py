"""Build "manifest-only" APKs: a zip holding a binary AndroidManifest.xml and any extra files.

Such an APK is meant for models that read only the manifest (the virtual device's package
manager, manifest checks in tests). Real Android refuses it: it is unsigned, so ``pm install``
fails with ``INSTALL_PARSE_FAILED_NO_CERTIFICATES``, and with ``hasCode="true"`` (the default) and
no ``classes.dex`` the app could not start anyway. Use a real build for real devices.

Entries are deflated, as aapt2 writes the manifest, except ``resources.arsc`` which Android 11+
refuses compressed (``INSTALL_PARSE_FAILED_RESOURCES_ARSC_COMPRESSED``). Timestamps are fixed so
that the same input always gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

from harness.apk.axml import encode_axml
from harness.errors import HarnessError

MANIFEST_ENTRY = "AndroidManifest.xml"
_STORED = frozenset({"resources.arsc"})
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold


class ApkBuildError(HarnessError):
    """The requested APK cannot be built (bad entry name, second manifest)."""


def _check_entry_name(name: str) -> None:
    parts = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or "\0" in name
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise ApkBuildError(f"bad zip entry name {name!r}: use a relative path with '/' separators")
    if name == MANIFEST_ENTRY:
        raise ApkBuildError(
            f"{MANIFEST_ENTRY} comes from manifest_xml; do not pass it in extra_files"
        )


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_STORED if name in _STORED else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def build_apk(manifest_xml: str, extra_files: Mapping[str, bytes] | None = None) -> bytes:
    """Zip the binary form of ``manifest_xml`` with ``extra_files`` (entry name -> content).

    Raises :class:`harness.apk.axml.AxmlError` when the manifest cannot be encoded and
    :class:`ApkBuildError` for a bad entry name.
    """
    extra = dict(extra_files or {})
    for name in extra:
        _check_entry_name(name)
    manifest = encode_axml(manifest_xml)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _add(archive, MANIFEST_ENTRY, manifest)
        for name, data in extra.items():
            _add(archive, name, bytes(data))
    return buffer.getvalue()
