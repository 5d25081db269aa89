"""Encode a textual AndroidManifest.xml into Android's binary XML (AXML), laid out as ``aapt2 link``
writes it.

Layout (little-endian; every chunk 4-byte aligned):

- ``RES_XML_TYPE`` header (0x0003) spanning the whole file;
- the string pool (0x0001), UTF-16 by default because aapt2 always writes the manifest in UTF-16
  (``utf16=False`` gives a UTF-8 pool). Attribute names that carry a framework resource id come
  first, in id order, followed by every other string in document order;
- the resource map (0x0180): the attribute id of each of those leading strings. Android finds
  ``android:`` attributes by this id, never by their name;
- ``START_NAMESPACE`` / ``START_ELEMENT`` / ``CDATA`` / ``END_ELEMENT`` / ``END_NAMESPACE`` chunks
  in document order. Attributes of an element are sorted by resource id (then by namespace and
  name for those without one), as aapt2 does and as the framework's attribute lookup expects.

Values of ``android:`` attributes are typed from the attribute's declared format, as aapt2 does:
booleans become ``TYPE_INT_BOOLEAN`` (0xffffffff for true), integers ``TYPE_INT_DEC`` (or
``TYPE_INT_HEX`` when written ``0x..``), enum names ``TYPE_INT_DEC``, flag names such as
``foregroundServiceType="dataSync|specialUse"`` ``TYPE_INT_HEX``, colours ``TYPE_INT_COLOR_*``,
floats ``TYPE_FLOAT`` and the rest ``TYPE_STRING``. A value that fits none of its attribute's
formats, or an ``android:`` attribute the table below does not know, is refused like aapt2 refuses
it, so a typo fails at build time instead of silently meaning nothing on the device.

Deliberate differences from aapt2, because there is no resource table here:

- ``@type/name`` and ``?attr`` references become ``TYPE_REFERENCE`` / ``TYPE_ATTRIBUTE`` only when
  ``references`` maps them to an id; otherwise they stay strings, whatever the attribute's format;
- attribute text is stored verbatim: aapt2 would also process backslash escapes and double quotes;
- nothing is injected (no ``compileSdkVersion``, no ``platformBuildVersion*``).

The attribute ids are the framework's public ones (``core/res/res/values/public*.xml``); enum and
flag values are those of ``core/res/res/values/attrs_manifest.xml`` (``windowSoftInputMode`` from
``attrs.xml``).
"""

from __future__ import annotations

import enum
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from xml.parsers import expat

from harness.errors import HarnessError

ANDROID_NS = "http://schemas.android.com/apk/res/android"
TOOLS_NS = "http://schemas.android.com/tools"

# Chunk types (frameworks/base/libs/androidfw/include/androidfw/ResourceTypes.h).
RES_STRING_POOL_TYPE = 0x0001
RES_XML_TYPE = 0x0003
RES_XML_START_NAMESPACE_TYPE = 0x0100
RES_XML_END_NAMESPACE_TYPE = 0x0101
RES_XML_START_ELEMENT_TYPE = 0x0102
RES_XML_END_ELEMENT_TYPE = 0x0103
RES_XML_CDATA_TYPE = 0x0104
RES_XML_RESOURCE_MAP_TYPE = 0x0180

UTF8_FLAG = 0x100

# Res_value data types.
TYPE_NULL = 0x00
TYPE_REFERENCE = 0x01
TYPE_ATTRIBUTE = 0x02
TYPE_STRING = 0x03
TYPE_FLOAT = 0x04
TYPE_INT_DEC = 0x10
TYPE_INT_HEX = 0x11
TYPE_INT_BOOLEAN = 0x12
TYPE_INT_COLOR_ARGB8 = 0x1C
TYPE_INT_COLOR_RGB8 = 0x1D
TYPE_INT_COLOR_ARGB4 = 0x1E
TYPE_INT_COLOR_RGB4 = 0x1F

NO_INDEX = 0xFFFFFFFF
# The first bytes of every AXML file: RES_XML_TYPE with an 8-byte header.
AXML_MAGIC = struct.pack("<HH", RES_XML_TYPE, 8)

_ELEMENT_EXT_SIZE = 20  # ResXMLTree_attrExt
_ATTRIBUTE_SIZE = 20  # ResXMLTree_attribute
_NODE_HEADER_SIZE = 16  # ResXMLTree_node
_UTF8_MAX_LENGTH = 0x7FFF  # two-byte length prefix, high bit reserved
_ID_ATTRIBUTE = 0x010100D0  # android:id, indexed by idIndex


class AxmlError(HarnessError):
    """The text cannot be encoded: not well-formed XML, or an attribute aapt2 would refuse."""


class Fmt(enum.Flag):
    """Formats an attribute accepts (the ``format=`` of its ``<attr>``)."""

    REFERENCE = enum.auto()
    STRING = enum.auto()
    INTEGER = enum.auto()
    BOOLEAN = enum.auto()
    COLOR = enum.auto()
    FLOAT = enum.auto()
    ENUM = enum.auto()
    FLAGS = enum.auto()


@dataclass(frozen=True)
class AttrSpec:
    name: str
    id: int
    formats: Fmt
    symbols: Mapping[str, int] = field(default_factory=dict, compare=False, hash=False)


# --- enum and flag values (attrs_manifest.xml) --------------------------------------------------

FOREGROUND_SERVICE_TYPES: dict[str, int] = {
    "dataSync": 0x01,
    "mediaPlayback": 0x02,
    "phoneCall": 0x04,
    "location": 0x08,
    "connectedDevice": 0x10,
    "mediaProjection": 0x20,
    "camera": 0x40,
    "microphone": 0x80,
    "health": 0x100,
    "remoteMessaging": 0x200,
    "systemExempted": 0x400,
    "shortService": 0x800,
    # 0x1000 is fileManagement, commented out of attrs_manifest.xml (hidden), so not accepted.
    "mediaProcessing": 0x2000,
    "specialUse": 0x40000000,
}

# Base types (low nibble) first, then flags; "system" is the deprecated synonym of "privileged".
PROTECTION_LEVELS: dict[str, int] = {
    "normal": 0x0,
    "dangerous": 0x1,
    "signature": 0x2,
    "signatureOrSystem": 0x3,
    "privileged": 0x10,
    "system": 0x10,
    "development": 0x20,
    "appop": 0x40,
    "pre23": 0x80,
    "installer": 0x100,
    "verifier": 0x200,
    "preinstalled": 0x400,
    "setup": 0x800,
    "instant": 0x1000,
    "runtime": 0x2000,
    "oem": 0x4000,
    "vendorPrivileged": 0x8000,
    "textClassifier": 0x10000,
    # wellbeing and documenter were removed from later platforms; older manifests still use them.
    "wellbeing": 0x20000,
    "documenter": 0x40000,
    "configurator": 0x80000,
    "incidentReportApprover": 0x100000,
    "appPredictor": 0x200000,
    "module": 0x400000,
    "companion": 0x800000,
    "retailDemo": 0x1000000,
    "recents": 0x2000000,
    "role": 0x4000000,
    "knownSigner": 0x8000000,
}
PROTECTION_MASK_BASE = 0xF

LAUNCH_MODES = {
    "standard": 0,
    "singleTop": 1,
    "singleTask": 2,
    "singleInstance": 3,
    "singleInstancePerTask": 4,
}
SCREEN_ORIENTATIONS = {
    "unspecified": -1,
    "landscape": 0,
    "portrait": 1,
    "user": 2,
    "behind": 3,
    "sensor": 4,
    "nosensor": 5,
    "sensorLandscape": 6,
    "sensorPortrait": 7,
    "reverseLandscape": 8,
    "reversePortrait": 9,
    "fullSensor": 10,
    "userLandscape": 11,
    "userPortrait": 12,
    "fullUser": 13,
    "locked": 14,
}
CONFIG_CHANGES = {
    "mcc": 0x1,
    "mnc": 0x2,
    "locale": 0x4,
    "touchscreen": 0x8,
    "keyboard": 0x10,
    "keyboardHidden": 0x20,
    "navigation": 0x40,
    "orientation": 0x80,
    "screenLayout": 0x100,
    "uiMode": 0x200,
    "screenSize": 0x400,
    "smallestScreenSize": 0x800,
    "density": 0x1000,
    "layoutDirection": 0x2000,
    "colorMode": 0x4000,
    "grammaticalGender": 0x8000,
    "resourcesUnused": 0x8000000,
    "fontWeightAdjustment": 0x10000000,
    "fontScale": 0x40000000,
    "assetsPaths": 0x80000000,
}
# WindowManager.LayoutParams.SOFT_INPUT_*: a state in the low nibble, an adjust mode above it.
SOFT_INPUT_MODES = {
    "stateUnspecified": 0x0,
    "stateUnchanged": 0x1,
    "stateHidden": 0x2,
    "stateAlwaysHidden": 0x3,
    "stateVisible": 0x4,
    "stateAlwaysVisible": 0x5,
    "adjustUnspecified": 0x0,
    "adjustResize": 0x10,
    "adjustPan": 0x20,
    "adjustNothing": 0x30,
}
INSTALL_LOCATIONS = {"auto": 0, "internalOnly": 1, "preferExternal": 2}
DOCUMENT_LAUNCH_MODES = {"none": 0, "intoExisting": 1, "always": 2, "never": 3}
PERSISTABLE_MODES = {"persistRootOnly": 0, "persistNever": 1, "persistAcrossReboots": 2}
LOCK_TASK_MODES = {"normal": 0, "never": 1, "always": 2, "if_whitelisted": 3}
UI_OPTIONS = {"none": 0, "splitActionBarWhenNarrow": 1}
APP_CATEGORIES = {
    "game": 0,
    "audio": 1,
    "video": 2,
    "image": 3,
    "social": 4,
    "news": 5,
    "maps": 6,
    "productivity": 7,
    "accessibility": 8,
}
GWP_ASAN_MODES = {"default": -1, "never": 0, "always": 1}
MEMTAG_MODES = {"default": -1, "off": 0, "async": 1, "sync": 2}
AUTO_REVOKE_PERMISSIONS = {"allowed": 0, "discouraged": 1, "disallowed": 2}
ROLLBACK_DATA_POLICIES = {"restore": 0, "wipe": 1, "retain": 2}
USES_PERMISSION_FLAGS = {"neverForLocation": 0x10000}
PERMISSION_FLAGS = {
    "costsMoney": 0x1,
    "removed": 0x2,
    "hardRestricted": 0x4,
    "softRestricted": 0x8,
    "immutablyRestricted": 0x10,
    "installerExemptIgnored": 0x20,
}
PERMISSION_GROUP_FLAGS = {"personalInfo": 0x1}

# --- attribute table --------------------------------------------------------------------------

_R, _S, _I, _B = Fmt.REFERENCE, Fmt.STRING, Fmt.INTEGER, Fmt.BOOLEAN
_C, _F, _E, _L = Fmt.COLOR, Fmt.FLOAT, Fmt.ENUM, Fmt.FLAGS

_ATTRIBUTE_ROWS: tuple[tuple[str, int, Fmt, Mapping[str, int] | None], ...] = (
    ("theme", 0x01010000, _R, None),
    ("label", 0x01010001, _R | _S, None),
    ("icon", 0x01010002, _R, None),
    ("name", 0x01010003, _S, None),
    ("manageSpaceActivity", 0x01010004, _S, None),
    ("allowClearUserData", 0x01010005, _B, None),
    ("permission", 0x01010006, _S, None),
    ("readPermission", 0x01010007, _S, None),
    ("writePermission", 0x01010008, _S, None),
    ("protectionLevel", 0x01010009, _L, PROTECTION_LEVELS),
    ("permissionGroup", 0x0101000A, _S, None),
    ("sharedUserId", 0x0101000B, _S, None),
    ("hasCode", 0x0101000C, _B, None),
    ("persistent", 0x0101000D, _B, None),
    ("enabled", 0x0101000E, _B, None),
    ("debuggable", 0x0101000F, _B, None),
    ("exported", 0x01010010, _B, None),
    ("process", 0x01010011, _S, None),
    ("taskAffinity", 0x01010012, _S, None),
    ("multiprocess", 0x01010013, _B, None),
    ("finishOnTaskLaunch", 0x01010014, _B, None),
    ("clearTaskOnLaunch", 0x01010015, _B, None),
    ("stateNotNeeded", 0x01010016, _B, None),
    ("excludeFromRecents", 0x01010017, _B, None),
    ("authorities", 0x01010018, _S, None),
    ("syncable", 0x01010019, _B, None),
    ("initOrder", 0x0101001A, _I, None),
    ("grantUriPermissions", 0x0101001B, _B, None),
    ("priority", 0x0101001C, _I, None),
    ("launchMode", 0x0101001D, _E, LAUNCH_MODES),
    ("screenOrientation", 0x0101001E, _E, SCREEN_ORIENTATIONS),
    ("configChanges", 0x0101001F, _L, CONFIG_CHANGES),
    ("description", 0x01010020, _R, None),
    ("targetPackage", 0x01010021, _S, None),
    ("handleProfiling", 0x01010022, _B, None),
    ("functionalTest", 0x01010023, _B, None),
    ("value", 0x01010024, _S | _I | _C | _F | _B, None),
    ("resource", 0x01010025, _R, None),
    ("mimeType", 0x01010026, _S, None),
    ("scheme", 0x01010027, _S, None),
    ("host", 0x01010028, _S, None),
    ("port", 0x01010029, _S, None),
    ("path", 0x0101002A, _S, None),
    ("pathPrefix", 0x0101002B, _S, None),
    ("pathPattern", 0x0101002C, _S, None),
    ("tag", 0x010100D1, _S, None),
    ("targetActivity", 0x01010202, _S, None),
    ("alwaysRetainTaskState", 0x01010203, _B, None),
    ("allowTaskReparenting", 0x01010204, _B, None),
    ("minSdkVersion", 0x0101020C, _I | _S, None),
    ("versionCode", 0x0101021B, _I, None),
    ("versionName", 0x0101021C, _S, None),
    ("windowSoftInputMode", 0x0101022B, _L, SOFT_INPUT_MODES),
    ("noHistory", 0x0101022D, _B, None),
    ("sharedUserLabel", 0x01010261, _R, None),
    ("anyDensity", 0x0101026C, _B, None),
    ("targetSdkVersion", 0x01010270, _I | _S, None),
    ("maxSdkVersion", 0x01010271, _I, None),
    ("testOnly", 0x01010272, _B, None),
    ("backupAgent", 0x0101027F, _S, None),
    ("allowBackup", 0x01010280, _B, None),
    ("glEsVersion", 0x01010281, _I, None),
    ("smallScreens", 0x01010284, _B, None),
    ("normalScreens", 0x01010285, _B, None),
    ("largeScreens", 0x01010286, _B, None),
    ("resizeable", 0x0101028D, _B, None),
    ("required", 0x0101028E, _B, None),
    ("killAfterRestore", 0x0101029C, _B, None),
    ("restoreNeedsApplication", 0x0101029D, _B, None),
    ("finishOnCloseSystemDialogs", 0x010102A7, _B, None),
    ("installLocation", 0x010102B7, _E, INSTALL_LOCATIONS),
    ("vmSafeMode", 0x010102B8, _B, None),
    ("restoreAnyVersion", 0x010102BA, _B, None),
    ("logo", 0x010102BE, _R, None),
    ("xlargeScreens", 0x010102BF, _B, None),
    ("immersive", 0x010102C0, _B, None),
    ("hardwareAccelerated", 0x010102D3, _B, None),
    ("largeHeap", 0x0101035A, _B, None),
    ("requiresSmallestWidthDp", 0x01010364, _I, None),
    ("stopWithTask", 0x0101036A, _B, None),
    ("uiOptions", 0x01010398, _L, UI_OPTIONS),
    ("parentActivityName", 0x010103A7, _S, None),
    ("isolatedProcess", 0x010103A9, _B, None),
    ("supportsRtl", 0x010103AF, _B, None),
    ("singleUser", 0x010103BF, _B, None),
    ("permissionGroupFlags", 0x010103C5, _L, PERMISSION_GROUP_FLAGS),
    ("permissionFlags", 0x010103C7, _L, PERMISSION_FLAGS),
    ("showOnLockScreen", 0x010103C9, _B, None),
    ("requiredForAllUsers", 0x010103D0, _B, None),
    ("ssp", 0x010103E3, _S, None),
    ("sspPrefix", 0x010103E4, _S, None),
    ("sspPattern", 0x010103E5, _S, None),
    ("banner", 0x010103F2, _R, None),
    ("isGame", 0x010103F4, _B, None),
    ("allowEmbedded", 0x010103F5, _B, None),
    ("persistableMode", 0x0101042D, _E, PERSISTABLE_MODES),
    ("documentLaunchMode", 0x01010445, _E, DOCUMENT_LAUNCH_MODES),
    ("maxRecents", 0x01010446, _I, None),
    ("autoRemoveFromRecents", 0x01010447, _B, None),
    ("fullBackupOnly", 0x01010473, _B, None),
    ("relinquishTaskIdentity", 0x01010476, _B, None),
    ("multiArch", 0x0101048E, _B, None),
    ("resumeWhilePausing", 0x010104B2, _B, None),
    ("revisionCode", 0x010104D5, _I, None),
    ("extractNativeLibs", 0x010104EA, _B, None),
    ("fullBackupContent", 0x010104EB, _R | _B, None),
    ("usesCleartextTraffic", 0x010104EC, _B, None),
    ("lockTaskMode", 0x010104ED, _E, LOCK_TASK_MODES),
    ("autoVerify", 0x010104EE, _B, None),
    ("showForAllUsers", 0x010104EF, _B, None),
    ("resizeableActivity", 0x010104F6, _B, None),
    ("supportsPictureInPicture", 0x010104F7, _B, None),
    ("defaultToDeviceProtectedStorage", 0x01010504, _B, None),
    ("directBootAware", 0x01010505, _B, None),
    ("externalService", 0x0101050E, _B, None),
    ("backupInForeground", 0x0101051A, _B, None),
    ("networkSecurityConfig", 0x01010527, _R, None),
    ("roundIcon", 0x0101052C, _R, None),
    ("visibleToInstantApps", 0x01010531, _B, None),
    ("targetProcesses", 0x01010541, _S, None),
    ("appCategory", 0x01010545, _E, APP_CATEGORIES),
    ("splitName", 0x01010549, _S, None),
    ("isolatedSplits", 0x0101054B, _B, None),
    ("targetSandboxVersion", 0x0101054C, _I, None),
    ("isFeatureSplit", 0x0101055B, _B, None),
    ("maxAspectRatio", 0x01010560, _F, None),
    ("showWhenLocked", 0x01010569, _B, None),
    ("turnScreenOn", 0x0101056A, _B, None),
    ("classLoader", 0x0101056B, _S, None),
    # Android 9 (P) and later.
    ("compileSdkVersion", 0x01010572, _I, None),
    ("compileSdkVersionCodename", 0x01010573, _S, None),
    ("versionCodeMajor", 0x01010576, _I, None),
    ("versionMajor", 0x01010577, _I, None),
    ("appComponentFactory", 0x0101057A, _S, None),
    ("usesNonSdkApi", 0x0101058E, _B, None),
    ("useAppZygote", 0x01010597, _B, None),
    ("foregroundServiceType", 0x01010599, _L, FOREGROUND_SERVICE_TYPES),
    ("hasFragileUserData", 0x0101059A, _B, None),
    ("minAspectRatio", 0x0101059B, _F, None),
    ("inheritShowWhenLocked", 0x0101059C, _B, None),
    ("zygotePreloadName", 0x0101059D, _S, None),
    ("useEmbeddedDex", 0x0101059E, _B, None),
    ("forceUriPermissions", 0x0101059F, _B, None),
    ("allowAudioPlaybackCapture", 0x01010601, _B, None),
    ("requestLegacyExternalStorage", 0x01010603, _B, None),
    ("forceQueryable", 0x01010608, _B, None),
    ("crossProfile", 0x0101060E, _B, None),
    ("sdkVersion", 0x01010610, _I, None),
    ("minExtensionVersion", 0x01010611, _I, None),
    ("allowNativeHeapPointerTagging", 0x01010612, _B, None),
    ("autoRevokePermissions", 0x01010613, _E, AUTO_REVOKE_PERMISSIONS),
    ("preserveLegacyExternalStorage", 0x01010614, _B, None),
    ("mimeGroup", 0x01010615, _S, None),
    ("gwpAsanMode", 0x01010616, _E, GWP_ASAN_MODES),
    ("rollbackDataPolicy", 0x01010617, _E, ROLLBACK_DATA_POLICIES),
    ("pathSuffix", 0x0101061E, _S, None),
    ("sspSuffix", 0x0101061F, _S, None),
    ("pathAdvancedPattern", 0x01010620, _S, None),
    ("sspAdvancedPattern", 0x01010621, _S, None),
    ("memtagMode", 0x01010624, _E, MEMTAG_MODES),
    ("nativeHeapZeroInitialized", 0x01010625, _B, None),
    ("knownCerts", 0x0101062A, _R | _S, None),
    ("dataExtractionRules", 0x0101063E, _R, None),
    ("attributionTags", 0x01010642, _S, None),
    ("usesPermissionFlags", 0x01010644, _L, USES_PERMISSION_FLAGS),
    ("requestRawExternalStorageAccess", 0x01010645, _B, None),
    ("attributionsAreUserVisible", 0x0101064B, _B, None),
    ("sharedUserMaxSdkVersion", 0x0101064D, _I, None),
    ("requiredSplitTypes", 0x0101064E, _S, None),
    ("splitTypes", 0x0101064F, _S, None),
    ("resetEnabledSettingsOnAppDataCleared", 0x01010652, _B, None),
    ("localeConfig", 0x0101065B, _R, None),
    ("allowUntrustedActivityEmbedding", 0x01010669, _B, None),
    ("knownActivityEmbeddingCerts", 0x0101066A, _R | _S, None),
    ("enableOnBackInvokedCallback", 0x0101066C, _B, None),
    ("allowSharedIsolatedProcess", 0x0101067D, _B, None),
    ("allowUpdateOwnership", 0x01010680, _B, None),
)

ATTRIBUTES: dict[str, AttrSpec] = {
    name: AttrSpec(name, attr_id, formats, dict(symbols or {}))
    for name, attr_id, formats, symbols in _ATTRIBUTE_ROWS
}


# --- a small XML tree ---------------------------------------------------------------------------


@dataclass
class XmlAttribute:
    namespace: str  # "" when the attribute has none
    name: str
    value: str


@dataclass
class XmlElement:
    namespace: str
    name: str
    attributes: list[XmlAttribute] = field(default_factory=list)
    # (prefix, uri) declared on this element, in document order; prefix "" is the default one.
    namespace_decls: list[tuple[str, str]] = field(default_factory=list)
    children: list[XmlElement] = field(default_factory=list)
    text: str = ""
    line: int = 0

    def get(self, name: str, namespace: str = ANDROID_NS) -> str | None:
        for attribute in self.attributes:
            if attribute.name == name and attribute.namespace == namespace:
                return attribute.value
        return None


def _split_name(qualified: str) -> tuple[str, str]:
    uri, sep, local = qualified.rpartition(" ")
    return (uri, local) if sep else ("", qualified)


def parse_xml(text: str | bytes) -> XmlElement:
    """Parse XML text into an :class:`XmlElement` tree, keeping namespace declarations and lines.

    A document type declaration is refused: manifests never carry one, and refusing it shuts out
    entity-expansion tricks.
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.ordered_attributes = True
    stack: list[XmlElement] = []
    pending_decls: list[tuple[str, str]] = []
    roots: list[XmlElement] = []

    def refuse_doctype(name: str, *_args: object) -> None:
        raise AxmlError(f"document type declarations are not allowed (<!DOCTYPE {name}>)")

    def start_namespace(prefix: str | None, uri: str) -> None:
        pending_decls.append((prefix or "", uri))

    def start_element(name: str, attrs: list[str]) -> None:
        namespace, local = _split_name(name)
        attributes = [
            XmlAttribute(*_split_name(attrs[i]), attrs[i + 1]) for i in range(0, len(attrs), 2)
        ]
        element = XmlElement(
            namespace, local, attributes, list(pending_decls), line=parser.CurrentLineNumber
        )
        pending_decls.clear()
        (stack[-1].children if stack else roots).append(element)
        stack.append(element)

    def end_element(_name: str) -> None:
        stack.pop()

    def character_data(data: str) -> None:
        if stack:
            stack[-1].text += data

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.StartNamespaceDeclHandler = start_namespace
    parser.StartElementHandler = start_element
    parser.EndElementHandler = end_element
    parser.CharacterDataHandler = character_data
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise AxmlError(f"not well-formed XML: {exc}") from exc
    return roots[0]


# --- typed values -------------------------------------------------------------------------------

_BOOLEANS = {
    "true": True,
    "TRUE": True,
    "True": True,
    "false": False,
    "FALSE": False,
    "False": False,
}
_DEC_RE = re.compile(r"[+-]?\d+")
_HEX_RE = re.compile(r"0[xX][0-9a-fA-F]+")
_FLOAT_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_COLOR_RE = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_COLOR_TYPES = {3: TYPE_INT_COLOR_RGB4, 4: TYPE_INT_COLOR_ARGB4, 6: TYPE_INT_COLOR_RGB8}


def _parse_int(text: str) -> tuple[int, int] | None:
    """Like ResTable::stringToInt: decimal within int32, or 0x hex within uint32."""
    if _HEX_RE.fullmatch(text):
        value = int(text, 16)
        return (TYPE_INT_HEX, value) if value <= 0xFFFFFFFF else None
    if _DEC_RE.fullmatch(text):
        value = int(text)
        return (TYPE_INT_DEC, value & 0xFFFFFFFF) if -(2**31) <= value < 2**31 else None
    return None


def _parse_color(text: str) -> tuple[int, int] | None:
    if not _COLOR_RE.fullmatch(text):
        return None
    digits = text[1:]
    if len(digits) in (3, 4):
        digits = "".join(c * 2 for c in digits)
    if len(digits) == 6:
        digits = "ff" + digits
    return _COLOR_TYPES.get(len(text) - 1, TYPE_INT_COLOR_ARGB8), int(digits, 16)


def _parse_float(text: str) -> tuple[int, int] | None:
    if not _FLOAT_RE.fullmatch(text):
        return None
    try:
        (bits,) = struct.unpack("<I", struct.pack("<f", float(text)))
    except OverflowError:
        return None
    return TYPE_FLOAT, bits


def _parse_symbols(spec: AttrSpec, text: str) -> tuple[int, int] | None:
    if Fmt.FLAGS in spec.formats:
        value = 0
        for part in text.split("|"):
            symbol = spec.symbols.get(part.strip())
            if symbol is None:
                return None
            value |= symbol
        return TYPE_INT_HEX, value & 0xFFFFFFFF
    symbol = spec.symbols.get(text)
    return None if symbol is None else (TYPE_INT_DEC, symbol & 0xFFFFFFFF)


def typed_value(
    spec: AttrSpec, text: str, references: Mapping[str, int] | None = None
) -> tuple[int, int] | None:
    """The ``(dataType, data)`` aapt2 would store for ``text``, or None to store it as a string.

    Raises :class:`AxmlError` when the text fits none of the attribute's formats.
    """
    stripped = text.strip()
    if stripped.startswith(("@", "?")):
        resolved = (references or {}).get(stripped)
        if resolved is not None:
            kind = TYPE_REFERENCE if stripped.startswith("@") else TYPE_ATTRIBUTE
            return kind, resolved & 0xFFFFFFFF
        return None  # unresolvable here: kept as a string (see the module docstring)
    formats = spec.formats
    if formats & (Fmt.ENUM | Fmt.FLAGS):
        symbolic = _parse_symbols(spec, stripped)
        if symbolic is not None:
            return symbolic
    if Fmt.BOOLEAN in formats and stripped in _BOOLEANS:
        return TYPE_INT_BOOLEAN, 0xFFFFFFFF if _BOOLEANS[stripped] else 0
    if Fmt.COLOR in formats and (color := _parse_color(stripped)) is not None:
        return color
    # Enum and flag attributes also take a plain number, as decoders print them.
    if formats & (Fmt.INTEGER | Fmt.ENUM | Fmt.FLAGS) and (number := _parse_int(stripped)):
        return number
    if Fmt.FLOAT in formats and (real := _parse_float(stripped)) is not None:
        return real
    if Fmt.STRING in formats:
        return None
    expected = [f.name.lower() for f in Fmt if f in formats and f.name]
    hint = f"; known names: {', '.join(spec.symbols)}" if spec.symbols else ""
    raise AxmlError(
        f"{text!r} is incompatible with attribute android:{spec.name} "
        f"(expects {' or '.join(expected)}){hint}"
    )


def _signed32(value: int) -> int:
    return value - 2**32 if value >= 2**31 else value


def value_to_python(spec: AttrSpec, kind: int, data: int) -> bool | int | float | str:
    """The Python value of a typed attribute value (strings are handled by the caller)."""
    if kind == TYPE_INT_BOOLEAN:
        return data != 0
    if kind == TYPE_FLOAT:
        # Rounded to the 6 decimals decoders print, so text and binary manifests read alike.
        return round(struct.unpack("<f", struct.pack("<I", data))[0], 6)
    if kind in (TYPE_REFERENCE, TYPE_ATTRIBUTE):
        return f"{'@' if kind == TYPE_REFERENCE else '?'}0x{data:08x}"
    if Fmt.FLAGS in spec.formats:
        return data  # a bit set: unsigned reads better than Java's sign
    return _signed32(data)  # ints and colours as a Java int


def attribute_value(name: str, text: str) -> bool | int | float | str:
    """Read ``android:name="text"`` as a Python value the way the device would see it.

    Accepts both the source spelling (``dataSync|specialUse``, ``singleTask``, ``true``) and the
    spelling binary-XML decoders print (``0x40000001``, ``2``, ``true``), so textual and binary
    manifests read the same.
    """
    spec = ATTRIBUTES.get(name)
    if spec is None:
        return text
    typed = typed_value(spec, text)
    return text if typed is None else value_to_python(spec, *typed)


def flag_names(symbols: Mapping[str, int], value: int) -> list[str]:
    """Names of the single-bit flags set in ``value`` (first synonym wins); leftover bits in hex."""
    names: list[str] = []
    covered = 0
    for name, bit in symbols.items():
        if bit and bit & (bit - 1) == 0 and value & bit and not covered & bit:
            names.append(name)
            covered |= bit
    if value & ~covered:
        names.append(f"0x{value & ~covered:x}")
    return names


def protection_level_names(level: int) -> list[str]:
    """``PermissionInfo`` style names: the base type, then each flag (``signature|privileged``)."""
    bases = {
        value: name for name, value in PROTECTION_LEVELS.items() if value <= PROTECTION_MASK_BASE
    }
    base = level & PROTECTION_MASK_BASE
    flags = {n: v for n, v in PROTECTION_LEVELS.items() if v > PROTECTION_MASK_BASE}
    names = [bases.get(base, f"0x{base:x}")]
    rest = level & ~PROTECTION_MASK_BASE
    return names + (flag_names(flags, rest) if rest else [])


# --- encoder ------------------------------------------------------------------------------------


class _StringPool:
    """Attribute names with ids first (in id order), then every other string once."""

    def __init__(self) -> None:
        self._attribute_names: dict[int, str] = {}
        self._strings: dict[str, None] = {}  # insertion-ordered set
        self._attr_index: dict[int, int] = {}
        self._index: dict[str, int] = {}

    def add_attribute_name(self, attr_id: int, name: str) -> None:
        self._attribute_names[attr_id] = name

    def add(self, text: str) -> None:
        self._strings.setdefault(text, None)

    def freeze(self) -> None:
        for position, attr_id in enumerate(sorted(self._attribute_names)):
            self._attr_index[attr_id] = position
        offset = len(self._attr_index)
        for position, text in enumerate(self._strings):
            self._index[text] = offset + position

    def attribute_index(self, attr_id: int) -> int:
        return self._attr_index[attr_id]

    def index(self, text: str) -> int:
        return self._index[text]

    @property
    def resource_ids(self) -> list[int]:
        return sorted(self._attribute_names)

    @property
    def strings(self) -> list[str]:
        return [self._attribute_names[i] for i in self.resource_ids] + list(self._strings)

    def encode(self, utf16: bool) -> bytes:
        strings = self.strings
        offsets: list[int] = []
        data = bytearray()
        for text in strings:
            offsets.append(len(data))
            data += _encode_utf16(text) if utf16 else _encode_utf8(text)
        data += b"\0" * (-len(data) % 4)
        header_size = 28
        strings_start = header_size + 4 * len(strings)
        size = strings_start + len(data)
        header = struct.pack(
            "<HHIIIIII",
            RES_STRING_POOL_TYPE,
            header_size,
            size,
            len(strings),
            0,  # no styles
            0 if utf16 else UTF8_FLAG,
            strings_start,
            0,
        )
        return header + struct.pack(f"<{len(offsets)}I", *offsets) + bytes(data)


def _encode_utf16(text: str) -> bytes:
    units = text.encode("utf-16-le")
    length = len(units) // 2
    if length > 0x7FFF:
        prefix = struct.pack("<HH", 0x8000 | (length >> 16), length & 0xFFFF)
    else:
        prefix = struct.pack("<H", length)
    return prefix + units + b"\0\0"


def _utf8_length(length: int, text: str) -> bytes:
    if length > _UTF8_MAX_LENGTH:
        raise AxmlError(f"string too long for a UTF-8 pool ({length} units): {text[:40]!r}...")
    if length > 0x7F:
        return bytes([0x80 | (length >> 8), length & 0xFF])
    return bytes([length])


def _encode_utf8(text: str) -> bytes:
    encoded = text.encode("utf-8")
    utf16_length = len(text.encode("utf-16-le")) // 2
    return _utf8_length(utf16_length, text) + _utf8_length(len(encoded), text) + encoded + b"\0"


@dataclass
class _Attr:
    namespace: str
    name: str
    value: str
    spec: AttrSpec | None
    typed: tuple[int, int] | None  # None: stored as TYPE_STRING

    def sort_key(self) -> tuple[int, int, str, str]:
        if self.spec is not None:
            return (0, self.spec.id, "", "")
        return (1, 0, self.namespace, self.name)


class _Encoder:
    def __init__(self, references: Mapping[str, int] | None) -> None:
        self.references = references
        self.pool = _StringPool()
        self.attributes: dict[int, list[_Attr]] = {}  # id(element) -> sorted attributes

    def collect(self, element: XmlElement) -> None:
        for prefix, uri in self._decls(element):
            self.pool.add(prefix)
            self.pool.add(uri)
        if element.namespace:
            self.pool.add(element.namespace)
        self.pool.add(element.name)
        attrs = [self._attribute(element, a) for a in element.attributes if a.namespace != TOOLS_NS]
        attrs.sort(key=_Attr.sort_key)
        self.attributes[id(element)] = attrs
        for attr in attrs:
            if attr.namespace:
                self.pool.add(attr.namespace)
            if attr.spec is not None:
                self.pool.add_attribute_name(attr.spec.id, attr.name)
            else:
                self.pool.add(attr.name)
            if attr.typed is None:
                self.pool.add(attr.value)
        if element.text.strip():
            self.pool.add(element.text)
        for child in element.children:
            self.collect(child)

    def _attribute(self, element: XmlElement, attribute: XmlAttribute) -> _Attr:
        if attribute.namespace != ANDROID_NS:
            return _Attr(attribute.namespace, attribute.name, attribute.value, None, None)
        spec = ATTRIBUTES.get(attribute.name)
        where = f"<{element.name}> at line {element.line}"
        if spec is None:
            raise AxmlError(f"unknown attribute android:{attribute.name} on {where}")
        try:
            typed = typed_value(spec, attribute.value, self.references)
        except AxmlError as exc:
            raise AxmlError(f"{exc} on {where}") from exc
        return _Attr(ANDROID_NS, attribute.name, attribute.value, spec, typed)

    @staticmethod
    def _decls(element: XmlElement) -> list[tuple[str, str]]:
        # aapt2 drops the tools namespace along with its attributes.
        return [(p, u) for p, u in element.namespace_decls if u != TOOLS_NS]

    def _ns_index(self, namespace: str) -> int:
        return self.pool.index(namespace) if namespace else NO_INDEX

    def write(self, element: XmlElement, out: bytearray) -> None:
        decls = self._decls(element)
        for prefix, uri in decls:
            out += self._namespace_chunk(RES_XML_START_NAMESPACE_TYPE, element.line, prefix, uri)
        attrs = self.attributes[id(element)]
        id_index = class_index = style_index = 0
        body = bytearray()
        for position, attr in enumerate(attrs, start=1):
            if attr.spec is not None and attr.spec.id == _ID_ATTRIBUTE:
                id_index = position
            elif not attr.namespace and attr.name == "class":
                class_index = position
            elif not attr.namespace and attr.name == "style":
                style_index = position
            if attr.spec is not None:
                name_index = self.pool.attribute_index(attr.spec.id)
            else:
                name_index = self.pool.index(attr.name)
            if attr.typed is None:
                raw = self.pool.index(attr.value)
                kind, data = TYPE_STRING, raw
            else:
                raw = NO_INDEX
                kind, data = attr.typed
            body += struct.pack(
                "<IIIHBBI", self._ns_index(attr.namespace), name_index, raw, 8, 0, kind, data
            )
        ext = struct.pack(
            "<IIHHHHHH",
            self._ns_index(element.namespace),
            self.pool.index(element.name),
            _ELEMENT_EXT_SIZE,
            _ATTRIBUTE_SIZE,
            len(attrs),
            id_index,
            class_index,
            style_index,
        )
        out += self._node(RES_XML_START_ELEMENT_TYPE, element.line, ext + body)
        if element.text.strip():
            cdata = struct.pack("<IHBBI", self.pool.index(element.text), 0, 0, TYPE_NULL, 0)
            out += self._node(RES_XML_CDATA_TYPE, element.line, cdata)
        for child in element.children:
            self.write(child, out)
        end = struct.pack("<II", self._ns_index(element.namespace), self.pool.index(element.name))
        out += self._node(RES_XML_END_ELEMENT_TYPE, element.line, end)
        for prefix, uri in reversed(decls):
            out += self._namespace_chunk(RES_XML_END_NAMESPACE_TYPE, element.line, prefix, uri)

    def _namespace_chunk(self, kind: int, line: int, prefix: str, uri: str) -> bytes:
        return self._node(
            kind, line, struct.pack("<II", self.pool.index(prefix), self.pool.index(uri))
        )

    @staticmethod
    def _node(kind: int, line: int, payload: bytes) -> bytes:
        size = _NODE_HEADER_SIZE + len(payload)
        return struct.pack("<HHIII", kind, _NODE_HEADER_SIZE, size, line, NO_INDEX) + payload


def encode_axml(
    text: str | bytes, *, utf16: bool = True, references: Mapping[str, int] | None = None
) -> bytes:
    """Encode a textual manifest (or any XML) into AXML.

    ``references`` maps reference text as written (``"@string/app_name"``,
    ``"@android:style/Theme.Material"``) to resource ids; other references stay strings.
    Raises :class:`AxmlError` on malformed XML, an unknown ``android:`` attribute or a value the
    attribute cannot hold.
    """
    root = parse_xml(text)
    encoder = _Encoder(references)
    encoder.collect(root)
    encoder.pool.freeze()
    pool = encoder.pool.encode(utf16)
    ids = encoder.pool.resource_ids
    resource_map = struct.pack(
        f"<HHI{len(ids)}I", RES_XML_RESOURCE_MAP_TYPE, 8, 8 + 4 * len(ids), *ids
    )
    nodes = bytearray()
    encoder.write(root, nodes)
    size = 8 + len(pool) + len(resource_map) + len(nodes)
    return struct.pack("<HHI", RES_XML_TYPE, 8, size) + pool + resource_map + bytes(nodes)
