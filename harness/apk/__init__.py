"""A small APK toolkit: encode manifests to binary XML, build manifest-only APKs, read manifests.

- :mod:`harness.apk.axml`: textual AndroidManifest.xml -> binary XML, as aapt2 lays it out;
- :mod:`harness.apk.builder`: a zip with that manifest and extra files (unsigned, no code);
- :mod:`harness.apk.manifest`: an APK, binary XML or source text -> :class:`AppManifest`.
"""

from harness.apk.axml import ANDROID_NS, AxmlError, encode_axml
from harness.apk.builder import ApkBuildError, build_apk
from harness.apk.manifest import (
    Activity,
    ApkError,
    Application,
    AppManifest,
    Component,
    IntentFilter,
    PermissionDecl,
    Provider,
    Receiver,
    Service,
    parse_manifest_xml,
    read_manifest,
)

__all__ = [
    "ANDROID_NS",
    "Activity",
    "ApkBuildError",
    "ApkError",
    "AppManifest",
    "Application",
    "AxmlError",
    "Component",
    "IntentFilter",
    "PermissionDecl",
    "Provider",
    "Receiver",
    "Service",
    "build_apk",
    "encode_axml",
    "parse_manifest_xml",
    "read_manifest",
]
