"""Read an app's manifest, from an APK, from binary XML or from its source text.

:func:`read_manifest` takes what ``adb install`` would take (a whole APK) or a bare binary
``AndroidManifest.xml``, decodes it with pyaxmlparser and reads it into an :class:`AppManifest`;
:func:`parse_manifest_xml` reads the textual source. Both read values the way the device does:
``foregroundServiceType="dataSync|specialUse"`` in the source and the ``0x40000001`` a decoder
prints for the binary both give ``0x40000001``, and meta-data values are typed as aapt2 types
them (``"42"`` is an int, ``"true"`` a bool, ``"1.5"`` a float).

Component names are qualified as the package manager qualifies them: ``.Main`` and ``Main`` both
become ``<package>.Main``; a name with a dot inside is kept as written.

Errors carry the failure code ``pm install`` reports for the same input in ``ApkError.reason``.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.apk.axml import (
    ANDROID_NS,
    ATTRIBUTES,
    AXML_MAGIC,
    FOREGROUND_SERVICE_TYPES,
    AxmlError,
    XmlElement,
    attribute_value,
    flag_names,
    parse_xml,
    protection_level_names,
)
from harness.errors import HarnessError

MANIFEST_ENTRY = "AndroidManifest.xml"

NOT_APK = "INSTALL_PARSE_FAILED_NOT_APK"
MANIFEST_MALFORMED = "INSTALL_PARSE_FAILED_MANIFEST_MALFORMED"
BAD_PACKAGE_NAME = "INSTALL_PARSE_FAILED_BAD_PACKAGE_NAME"
# A zip without a (readable) AndroidManifest.xml. Kept apart from NOT_APK so that it can be told
# apart should a platform report it differently.
NO_MANIFEST = NOT_APK

ACTION_MAIN = "android.intent.action.MAIN"
CATEGORY_LAUNCHER = "android.intent.category.LAUNCHER"

MetaValue = bool | int | float | str


class ApkError(HarnessError):
    """An APK or manifest cannot be read; ``reason`` is what ``pm install`` would report."""

    def __init__(self, message: str, reason: str) -> None:
        self.message = message
        self.reason = reason
        super().__init__(f"{reason}: {message}")


@dataclass
class IntentFilter:
    actions: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    data_schemes: list[str] = field(default_factory=list)
    data_hosts: list[str] = field(default_factory=list)
    mime_types: list[str] = field(default_factory=list)
    priority: int = 0


@dataclass(kw_only=True)
class Component:
    name: str  # fully qualified
    exported: bool | None = None  # None when the manifest does not say
    enabled: bool = True
    permission: str | None = None
    process: str | None = None  # as written: ":sync", "com.other.shared" or None
    direct_boot_aware: bool = False
    intent_filters: list[IntentFilter] = field(default_factory=list)
    meta_data: dict[str, MetaValue] = field(default_factory=dict)

    def handles(self, action: str) -> bool:
        return any(action in f.actions for f in self.intent_filters)


@dataclass(kw_only=True)
class Activity(Component):
    launch_mode: int | None = None
    target_activity: str | None = None  # set for an <activity-alias>, qualified


@dataclass(kw_only=True)
class Service(Component):
    foreground_service_types: int = 0
    foreground_service_type_names: list[str] = field(default_factory=list)
    stop_with_task: bool = True
    isolated_process: bool = False


@dataclass(kw_only=True)
class Receiver(Component):
    pass


@dataclass(kw_only=True)
class Provider(Component):
    authorities: list[str] = field(default_factory=list)
    read_permission: str | None = None
    write_permission: str | None = None
    grant_uri_permissions: bool = False
    multiprocess: bool = False
    init_order: int = 0


@dataclass
class PermissionDecl:
    name: str
    protection_level: int = 0
    protection_level_names: list[str] = field(default_factory=lambda: ["normal"])
    group: str | None = None


@dataclass
class Application:
    name: str | None = None  # the Application subclass, qualified
    label: str | None = None
    icon: str | None = None
    theme: str | None = None
    process: str | None = None
    permission: str | None = None
    enabled: bool = True
    allow_backup: bool = True
    direct_boot_aware: bool = False
    meta_data: dict[str, MetaValue] = field(default_factory=dict)


@dataclass
class AppManifest:
    package: str
    version_code: int | None = None
    version_name: str | None = None
    min_sdk: int | str | None = None  # a codename ("VanillaIceCream") for preview builds
    target_sdk: int | str | None = None
    debuggable: bool = False
    test_only: bool = False
    has_code: bool = True
    uses_permissions: list[str] = field(default_factory=list)
    permissions: list[PermissionDecl] = field(default_factory=list)
    application: Application = field(default_factory=Application)
    activities: list[Activity] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    receivers: list[Receiver] = field(default_factory=list)
    providers: list[Provider] = field(default_factory=list)

    def components(self) -> list[Component]:
        return [*self.activities, *self.services, *self.receivers, *self.providers]

    def component(self, name: str) -> Component | None:
        """The component called ``name`` (qualified, or relative to the package as in XML)."""
        wanted = qualify(self.package, name)
        return next((c for c in self.components() if c.name == wanted), None)

    def launcher_activity(self) -> Activity | None:
        """The first enabled activity (or alias) filtering MAIN + LAUNCHER, as launchers do."""
        for activity in self.activities:
            if not activity.enabled:
                continue
            for intent_filter in activity.intent_filters:
                if (
                    ACTION_MAIN in intent_filter.actions
                    and CATEGORY_LAUNCHER in intent_filter.categories
                ):
                    return activity
        return None

    def receivers_for(self, action: str) -> list[Receiver]:
        """Manifest receivers with an intent filter for ``action``, highest priority first.

        Disabled ones are included: ``android:enabled`` is only the initial state, which apps
        change at run time (WorkManager enables its boot receiver when work is scheduled).
        """
        matching = [r for r in self.receivers if r.handles(action)]

        def priority(receiver: Receiver) -> int:
            return max(f.priority for f in receiver.intent_filters if action in f.actions)

        return sorted(matching, key=priority, reverse=True)

    def provider_for_authority(self, authority: str) -> Provider | None:
        return next((p for p in self.providers if authority in p.authorities), None)

    def effective_target_sdk(self) -> int:
        """targetSdkVersion as the platform takes it: minSdkVersion, then 1, when absent."""
        for value in (self.target_sdk, self.min_sdk):
            if isinstance(value, int):
                return value
            if isinstance(value, str):
                return 10_000  # a preview codename: Build.VERSION_CODES.CUR_DEVELOPMENT
        return 1

    def is_exported(self, component: Component) -> bool:
        """android:exported, or its default: true with intent filters (false for providers of
        apps targeting 17+, where the default flipped)."""
        if component.exported is not None:
            return component.exported
        if isinstance(component, Provider):
            return self.effective_target_sdk() < 17
        return bool(component.intent_filters)

    def process_name(self, component: Component | None = None) -> str:
        """The process a component (or the application) runs in; ``:x`` means ``<package>:x``."""
        process = (component.process if component else None) or self.application.process
        if not process:
            return self.package
        return self.package + process if process.startswith(":") else process

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# --- public entry points --------------------------------------------------------------------------


def read_manifest(apk_or_axml: bytes) -> AppManifest:
    """Read the manifest of an APK (zip) or of a bare binary AndroidManifest.xml."""
    data = bytes(apk_or_axml)
    if data.startswith(AXML_MAGIC):
        axml = data
    elif zipfile.is_zipfile(io.BytesIO(data)):
        axml = _manifest_entry(data)
    else:
        raise ApkError(f"neither a zip archive nor binary XML (starts with {data[:8]!r})", NOT_APK)
    return _from_element(_decode_axml(axml))


def parse_manifest_xml(text: str | bytes) -> AppManifest:
    """Read a textual AndroidManifest.xml."""
    try:
        root = parse_xml(text)
    except AxmlError as exc:
        raise ApkError(str(exc), MANIFEST_MALFORMED) from exc
    return _from_element(root)


# --- decoding -----------------------------------------------------------------------------------


def _manifest_entry(data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if len(names) != len(set(names)):
                # libziparchive refuses archives with duplicate entries.
                raise ApkError("the zip archive has duplicate entries", NOT_APK)
            if MANIFEST_ENTRY not in names:
                raise ApkError(f"the zip archive has no {MANIFEST_ENTRY}", NO_MANIFEST)
            return archive.read(MANIFEST_ENTRY)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise ApkError(f"unreadable zip archive: {exc}", NOT_APK) from exc
    except (zlib.error, RuntimeError) as exc:  # corrupt deflate data, encryption, unknown method
        raise ApkError(f"cannot read {MANIFEST_ENTRY}: {exc}", NO_MANIFEST) from exc


def _decode_axml(axml: bytes) -> XmlElement:
    try:
        from pyaxmlparser.axmlprinter import AXMLPrinter
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise HarnessError("reading binary manifests needs pyaxmlparser installed") from exc
    if not axml.startswith(AXML_MAGIC):
        raise ApkError(
            f"{MANIFEST_ENTRY} is not binary XML (starts with {axml[:8]!r})", NO_MANIFEST
        )
    try:
        printer = AXMLPrinter(axml)
        if not printer.is_valid() or printer.get_xml_obj() is None:
            raise ValueError("the decoder found no element")
        xml = printer.get_xml(pretty=False)
    except Exception as exc:  # the decoder raises whatever it trips on: assertions, struct, index
        raise ApkError(f"corrupt binary XML in {MANIFEST_ENTRY}: {exc}", NO_MANIFEST) from exc
    try:
        root = parse_xml(xml)
    except AxmlError as exc:
        raise ApkError(str(exc), MANIFEST_MALFORMED) from exc
    _restore_attribute_names(root)
    return root


# What the decoder prints for an attribute whose name string is blank (as some obfuscators leave
# it) and whose id its own, older, public.xml does not know. Android goes by the id alone.
_UNKNOWN_ATTRIBUTE = re.compile(r"UNKNOWN_SYSTEM_ATTRIBUTE_([0-9a-fA-F]{8})")
_NAMES_BY_ID = {spec.id: name for name, spec in ATTRIBUTES.items()}


def _restore_attribute_names(element: XmlElement) -> None:
    for attribute in element.attributes:
        match = _UNKNOWN_ATTRIBUTE.fullmatch(attribute.name)
        if match and (name := _NAMES_BY_ID.get(int(match.group(1), 16))):
            attribute.namespace, attribute.name = ANDROID_NS, name
    for child in element.children:
        _restore_attribute_names(child)


# --- building the model -------------------------------------------------------------------------

_PACKAGE_PART = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _validate_package(package: str | None) -> str:
    """The checks of the package manager's validateName(requireSeparator=true)."""
    if not package:
        raise ApkError("<manifest> does not specify package", BAD_PACKAGE_NAME)
    if package == "android":
        return package
    parts = package.split(".")
    if len(parts) < 2:
        raise ApkError(
            f"Invalid manifest package {package!r}: must have at least one '.' separator",
            BAD_PACKAGE_NAME,
        )
    for part in parts:
        if not _PACKAGE_PART.fullmatch(part):
            raise ApkError(
                f"Invalid manifest package {package!r}: bad part {part!r}", BAD_PACKAGE_NAME
            )
    return package


def qualify(package: str, name: str) -> str:
    """Qualify a class name as the package manager does (``.X`` and ``X`` -> ``package.X``)."""
    if name.startswith("."):
        return package + name
    if "." not in name:
        return f"{package}.{name}"
    return name


def _value(element: XmlElement, name: str) -> MetaValue | None:
    text = element.get(name)
    if text is None:
        return None
    try:
        return attribute_value(name, text)
    except AxmlError as exc:
        raise ApkError(
            f"<{element.name}> at line {element.line}: {exc}", MANIFEST_MALFORMED
        ) from exc


def _bool(element: XmlElement, name: str, default: bool) -> bool:
    value = _value(element, name)
    return value if isinstance(value, bool) else default


def _opt_bool(element: XmlElement, name: str) -> bool | None:
    value = _value(element, name)
    return value if isinstance(value, bool) else None


def _int(element: XmlElement, name: str) -> int | None:
    value = _value(element, name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(element: XmlElement, name: str) -> str | None:
    value = element.get(name)
    return value if value else None


def _sdk(element: XmlElement, name: str) -> int | str | None:
    value = _value(element, name)
    return value if isinstance(value, int | str) and not isinstance(value, bool) else None


def _children(element: XmlElement, *names: str) -> list[XmlElement]:
    return [c for c in element.children if not c.namespace and c.name in names]


def _meta_data(element: XmlElement) -> dict[str, MetaValue]:
    meta: dict[str, MetaValue] = {}
    for item in _children(element, "meta-data"):
        name = item.get("name")
        if not name:
            raise ApkError(
                f"<meta-data> at line {item.line} has no android:name", MANIFEST_MALFORMED
            )
        value = _value(item, "value")
        if value is None:
            value = item.get("resource")
        if value is None:
            raise ApkError(
                f"<meta-data android:name={name!r}> requires an android:value or android:resource",
                MANIFEST_MALFORMED,
            )
        meta[name] = value
    return meta


def _intent_filters(element: XmlElement) -> list[IntentFilter]:
    filters = []
    for item in _children(element, "intent-filter"):
        intent_filter = IntentFilter(priority=_int(item, "priority") or 0)
        for action in _children(item, "action"):
            if name := action.get("name"):
                intent_filter.actions.append(name)
        for category in _children(item, "category"):
            if name := category.get("name"):
                intent_filter.categories.append(name)
        for data in _children(item, "data"):
            for attr, target in (
                ("scheme", intent_filter.data_schemes),
                ("host", intent_filter.data_hosts),
                ("mimeType", intent_filter.mime_types),
            ):
                if (value := data.get(attr)) and value not in target:
                    target.append(value)
        filters.append(intent_filter)
    return filters


def _common(element: XmlElement, package: str) -> dict[str, Any]:
    name = element.get("name")
    if not name:
        raise ApkError(
            f"<{element.name}> at line {element.line} does not specify android:name",
            MANIFEST_MALFORMED,
        )
    return {
        "name": qualify(package, name),
        "exported": _opt_bool(element, "exported"),
        "enabled": _bool(element, "enabled", True),
        "permission": _str(element, "permission"),
        "process": _str(element, "process"),
        "direct_boot_aware": _bool(element, "directBootAware", False),
        "intent_filters": _intent_filters(element),
        "meta_data": _meta_data(element),
    }


def _activity(element: XmlElement, package: str) -> Activity:
    activity = Activity(**_common(element, package), launch_mode=_int(element, "launchMode"))
    if element.name == "activity-alias":
        target = element.get("targetActivity")
        if not target:
            raise ApkError(
                f"<activity-alias> {activity.name} does not specify android:targetActivity",
                MANIFEST_MALFORMED,
            )
        activity.target_activity = qualify(package, target)
    return activity


def _service(element: XmlElement, package: str) -> Service:
    types = _int(element, "foregroundServiceType") or 0
    return Service(
        **_common(element, package),
        foreground_service_types=types,
        foreground_service_type_names=flag_names(FOREGROUND_SERVICE_TYPES, types),
        stop_with_task=_bool(element, "stopWithTask", True),
        isolated_process=_bool(element, "isolatedProcess", False),
    )


def _provider(element: XmlElement, package: str) -> Provider:
    authorities = [a.strip() for a in (element.get("authorities") or "").split(";") if a.strip()]
    return Provider(
        **_common(element, package),
        authorities=authorities,
        read_permission=_str(element, "readPermission"),
        write_permission=_str(element, "writePermission"),
        grant_uri_permissions=_bool(element, "grantUriPermissions", False),
        multiprocess=_bool(element, "multiprocess", False),
        init_order=_int(element, "initOrder") or 0,
    )


def _permission(element: XmlElement) -> PermissionDecl:
    name = element.get("name")
    if not name:
        raise ApkError(
            f"<permission> at line {element.line} has no android:name", MANIFEST_MALFORMED
        )
    level = _int(element, "protectionLevel") or 0
    return PermissionDecl(
        name=name,
        protection_level=level,
        protection_level_names=protection_level_names(level),
        group=_str(element, "permissionGroup"),
    )


def _from_element(root: XmlElement) -> AppManifest:
    if root.namespace or root.name != "manifest":
        raise ApkError(f"No <manifest> tag (the root element is <{root.name}>)", MANIFEST_MALFORMED)
    package = _validate_package(root.get("package", namespace=""))
    manifest = AppManifest(
        package=package,
        version_code=_int(root, "versionCode"),
        version_name=_str(root, "versionName"),
    )
    for sdk in _children(root, "uses-sdk"):
        manifest.min_sdk = _sdk(sdk, "minSdkVersion") or manifest.min_sdk
        manifest.target_sdk = _sdk(sdk, "targetSdkVersion") or manifest.target_sdk
    for item in _children(
        root, "uses-permission", "uses-permission-sdk-23", "uses-permission-sdk-m"
    ):
        name = item.get("name")
        if name and name not in manifest.uses_permissions:
            manifest.uses_permissions.append(name)
    manifest.permissions = [_permission(p) for p in _children(root, "permission")]
    applications = _children(root, "application")
    if len(applications) > 1:
        raise ApkError("<manifest> has more than one <application>", MANIFEST_MALFORMED)
    if applications:
        _read_application(applications[0], manifest)
    return manifest


def _read_application(element: XmlElement, manifest: AppManifest) -> None:
    package = manifest.package
    name = element.get("name")
    manifest.debuggable = _bool(element, "debuggable", False)
    manifest.test_only = _bool(element, "testOnly", False)
    manifest.has_code = _bool(element, "hasCode", True)
    manifest.application = Application(
        name=qualify(package, name) if name else None,
        label=_str(element, "label"),
        icon=_str(element, "icon"),
        theme=_str(element, "theme"),
        process=_str(element, "process"),
        permission=_str(element, "permission"),
        enabled=_bool(element, "enabled", True),
        allow_backup=_bool(element, "allowBackup", True),
        direct_boot_aware=_bool(element, "directBootAware", False),
        meta_data=_meta_data(element),
    )
    for child in element.children:
        if child.namespace:
            continue
        if child.name in ("activity", "activity-alias"):
            manifest.activities.append(_activity(child, package))
        elif child.name == "service":
            manifest.services.append(_service(child, package))
        elif child.name == "receiver":
            manifest.receivers.append(Receiver(**_common(child, package)))
        elif child.name == "provider":
            manifest.providers.append(_provider(child, package))
