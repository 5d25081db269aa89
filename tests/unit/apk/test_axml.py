"""Unit tests of the AXML encoder: chunk layout, typed values, ids, and decoding by pyaxmlparser."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.apk import axml
from harness.apk.axml import ANDROID_NS, ATTRIBUTES, TOOLS_NS, AxmlError, encode_axml
from tests.unit.apk import REALISTIC_MANIFEST, requires_pyaxmlparser

NS = f'xmlns:android="{ANDROID_NS}"'


def manifest(body: str = "", attrs: str = "") -> str:
    return f'<manifest {NS} package="com.example.t" {attrs}>{body}</manifest>'


def chunks(data: bytes, start: int = 8) -> list[tuple[int, int, int, int]]:
    """(type, header size, size, offset) of the chunks after the XML header."""
    found = []
    offset = start
    while offset < len(data):
        kind, header_size, size = struct.unpack_from("<HHI", data, offset)
        assert size >= header_size >= 8 and size % 4 == 0, (kind, header_size, size)
        found.append((kind, header_size, size, offset))
        offset += size
    assert offset == len(data)
    return found


def string_pool(data: bytes) -> tuple[int, list[str]]:
    """Flags and strings of the pool, decoded here rather than by the library under test."""
    _, header_size, size, count, styles, flags, strings_start, _ = struct.unpack_from(
        "<HHIIIIII", data, 8
    )
    assert (header_size, styles) == (28, 0)
    offsets = struct.unpack_from(f"<{count}I", data, 8 + header_size)
    base = 8 + strings_start
    strings = []
    for offset in offsets:
        at = base + offset
        if flags & axml.UTF8_FLAG:
            at += 2 if data[at] & 0x80 else 1  # UTF-16 length
            length = data[at]
            if length & 0x80:
                length = ((length & 0x7F) << 8) | data[at + 1]
                at += 1
            at += 1
            assert data[at + length] == 0
            strings.append(data[at : at + length].decode("utf-8"))
        else:
            (length,) = struct.unpack_from("<H", data, at)
            at += 2
            if length & 0x8000:
                (low,) = struct.unpack_from("<H", data, at)
                length = ((length & 0x7FFF) << 16) | low
                at += 2
            assert data[at + 2 * length : at + 2 * length + 2] == b"\0\0"
            strings.append(data[at : at + 2 * length].decode("utf-16-le"))
    assert 8 + size <= len(data)
    return flags, strings


def start_elements(data: bytes) -> list[tuple[str, list[dict[str, object]]]]:
    """Each START_ELEMENT as (tag, attributes with their raw fields)."""
    _, strings = string_pool(data)

    def string(index: int) -> str | None:
        return None if index == axml.NO_INDEX else strings[index]

    elements = []
    for kind, header_size, _, offset in chunks(data):
        if kind != axml.RES_XML_START_ELEMENT_TYPE:
            continue
        assert header_size == 16
        ns, name, attr_start, attr_size, count, *_ = struct.unpack_from(
            "<IIHHHHHH", data, offset + 16
        )
        assert (ns, attr_start, attr_size) == (axml.NO_INDEX, 20, 20)
        attrs = []
        for i in range(count):
            a_ns, a_name, raw, size, res0, kind_, value = struct.unpack_from(
                "<IIIHBBI", data, offset + 36 + 20 * i
            )
            assert (size, res0) == (8, 0)
            attrs.append(
                {
                    "ns": string(a_ns),
                    "name": strings[a_name],
                    "name_index": a_name,
                    "raw": string(raw),
                    "type": kind_,
                    "data": value,
                }
            )
        elements.append((strings[name], attrs))
    return elements


def attribute(data: bytes, tag: str, name: str) -> dict[str, object]:
    for element, attrs in start_elements(data):
        for attr in attrs:
            if element == tag and attr["name"] == name:
                return attr
    raise AssertionError(f"no {name} on <{tag}>")


# --- layout -------------------------------------------------------------------------------------


def test_header_pool_resource_map_and_nodes_are_laid_out_like_aapt2():
    data = encode_axml(REALISTIC_MANIFEST)
    kind, header_size, size = struct.unpack_from("<HHI", data)
    assert (kind, header_size, size) == (axml.RES_XML_TYPE, 8, len(data))
    kinds = [c[0] for c in chunks(data)]
    assert kinds[:2] == [axml.RES_STRING_POOL_TYPE, axml.RES_XML_RESOURCE_MAP_TYPE]
    assert kinds[2] == axml.RES_XML_START_NAMESPACE_TYPE
    assert kinds[-1] == axml.RES_XML_END_NAMESPACE_TYPE
    assert kinds.count(axml.RES_XML_START_ELEMENT_TYPE) == kinds.count(
        axml.RES_XML_END_ELEMENT_TYPE
    )

    flags, strings = string_pool(data)
    assert flags & axml.UTF8_FLAG == 0  # aapt2 writes manifests in UTF-16
    _, _, map_size, map_offset = chunks(data)[1]
    ids = list(struct.unpack_from(f"<{(map_size - 8) // 4}I", data, map_offset + 8))
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    by_id = {spec.id: name for name, spec in ATTRIBUTES.items()}
    # The resource map indexes the leading strings: each is the name of its attribute.
    assert strings[: len(ids)] == [by_id[i] for i in ids]
    assert {0x0101021B, 0x01010599, 0x01010010, 0x01010018} <= set(ids)
    assert TOOLS_NS not in strings and "ignore" not in strings


def test_utf8_pool_is_flagged_and_holds_the_same_strings():
    utf16 = encode_axml(REALISTIC_MANIFEST)
    utf8 = encode_axml(REALISTIC_MANIFEST, utf16=False)
    flags, strings = string_pool(utf8)
    assert flags & axml.UTF8_FLAG
    assert strings == string_pool(utf16)[1]
    assert start_elements(utf8) == start_elements(utf16)


def test_attributes_sorted_by_resource_id_then_unnamespaced_by_name():
    data = encode_axml(
        manifest(attrs='android:versionName="1" zeta="z" android:versionCode="3" alpha="a"')
    )
    (tag, attrs), *_ = start_elements(data)
    assert tag == "manifest"
    assert [a["name"] for a in attrs] == ["versionCode", "versionName", "alpha", "package", "zeta"]
    assert [a["ns"] for a in attrs] == [ANDROID_NS, ANDROID_NS, None, None, None]


def test_the_same_name_with_and_without_an_id_gets_two_strings():
    data = encode_axml(manifest('<application android:name=".A" name="plain"/>'))
    attrs = dict(start_elements(data))["application"]
    with_id, without_id = attrs
    assert with_id["name"] == without_id["name"] == "name"
    assert with_id["name_index"] != without_id["name_index"]


def test_encoding_is_deterministic():
    assert encode_axml(REALISTIC_MANIFEST) == encode_axml(REALISTIC_MANIFEST)


# --- typed values -------------------------------------------------------------------------------

BOOL_TRUE = 0xFFFFFFFF


@pytest.mark.parametrize(
    ("tag", "snippet", "name", "kind", "data"),
    [
        ("manifest", 'android:versionCode="1207"', "versionCode", axml.TYPE_INT_DEC, 1207),
        ("manifest", 'android:versionCode="0x10"', "versionCode", axml.TYPE_INT_HEX, 16),
        ("service", 'android:exported="true"', "exported", axml.TYPE_INT_BOOLEAN, BOOL_TRUE),
        ("service", 'android:exported="false"', "exported", axml.TYPE_INT_BOOLEAN, 0),
        (
            "service",
            'android:foregroundServiceType="dataSync|specialUse"',
            "foregroundServiceType",
            axml.TYPE_INT_HEX,
            0x40000001,
        ),
        (
            "service",
            'android:foregroundServiceType="camera | microphone|location"',
            "foregroundServiceType",
            axml.TYPE_INT_HEX,
            0xC8,
        ),
        (
            "permission",
            'android:protectionLevel="signature|privileged"',
            "protectionLevel",
            axml.TYPE_INT_HEX,
            0x12,
        ),
        ("activity", 'android:launchMode="singleTask"', "launchMode", axml.TYPE_INT_DEC, 2),
        (
            "activity",
            'android:screenOrientation="unspecified"',
            "screenOrientation",
            axml.TYPE_INT_DEC,
            0xFFFFFFFF,
        ),
        (
            "activity",
            'android:configChanges="orientation|screenSize|keyboardHidden"',
            "configChanges",
            axml.TYPE_INT_HEX,
            0x4A0,
        ),
        (
            "activity",
            'android:windowSoftInputMode="stateHidden|adjustResize"',
            "windowSoftInputMode",
            axml.TYPE_INT_HEX,
            0x12,
        ),
        ("meta-data", 'android:value="#ff0000"', "value", axml.TYPE_INT_COLOR_RGB8, 0xFFFF0000),
        ("meta-data", 'android:value="#8f00"', "value", axml.TYPE_INT_COLOR_ARGB4, 0x88FF0000),
        ("meta-data", 'android:value="-7"', "value", axml.TYPE_INT_DEC, 0xFFFFFFF9),
        ("meta-data", 'android:value="1.5"', "value", axml.TYPE_FLOAT, 0x3FC00000),
        ("meta-data", 'android:value="TRUE"', "value", axml.TYPE_INT_BOOLEAN, BOOL_TRUE),
        ("activity", 'android:maxAspectRatio="2.0"', "maxAspectRatio", axml.TYPE_FLOAT, 0x40000000),
    ],
)
def test_values_are_typed_from_the_attribute_format(tag, snippet, name, kind, data):
    encoded = encode_axml(manifest(f"<{tag} {snippet}/>"))
    attr = attribute(encoded, tag, name)
    assert (attr["type"], attr["data"]) == (kind, data)
    assert attr["raw"] is None  # aapt2 keeps no raw string for compiled values


@pytest.mark.parametrize(
    ("tag", "snippet", "name", "text"),
    [
        ("activity", 'android:name=".Main"', "name", ".Main"),
        ("uses-sdk", 'android:minSdkVersion="VanillaIceCream"', "minSdkVersion", "VanillaIceCream"),
        ("application", 'android:label="@string/app_name"', "label", "@string/app_name"),
        ("application", 'android:icon="@mipmap/ic_launcher"', "icon", "@mipmap/ic_launcher"),
        ("meta-data", 'android:value="1.2.3"', "value", "1.2.3"),
        ("meta-data", 'android:value="99999999999999999999x"', "value", "99999999999999999999x"),
        ("data", 'android:port="8080"', "port", "8080"),
    ],
)
def test_strings_and_unresolved_references_stay_strings(tag, snippet, name, text):
    attr = attribute(encode_axml(manifest(f"<{tag} {snippet}/>")), tag, name)
    assert attr["type"] == axml.TYPE_STRING
    assert attr["raw"] == text
    _, strings = string_pool(encode_axml(manifest(f"<{tag} {snippet}/>")))
    assert strings[attr["data"]] == text


def test_references_become_typed_when_resolvable():
    references = {"@string/app_name": 0x7F0F0001, "?attr/colorPrimary": 0x7F040001}
    text = manifest(
        '<application android:label="@string/app_name" android:theme="?attr/colorPrimary"/>'
    )
    data = encode_axml(text, references=references)
    label = attribute(data, "application", "label")
    theme = attribute(data, "application", "theme")
    assert (label["type"], label["data"]) == (axml.TYPE_REFERENCE, 0x7F0F0001)
    assert (theme["type"], theme["data"]) == (axml.TYPE_ATTRIBUTE, 0x7F040001)


def test_unnamespaced_attributes_are_plain_strings():
    attr = attribute(encode_axml(manifest()), "manifest", "package")
    assert (attr["ns"], attr["type"], attr["raw"]) == (None, axml.TYPE_STRING, "com.example.t")


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('<service android:exproted="true"/>', "unknown attribute android:exproted"),
        ('<service android:exported="yes"/>', "incompatible with attribute android:exported"),
        ('<service android:foregroundServiceType="dataSink"/>', "known names: dataSync"),
        ('<service android:foregroundServiceType="dataSync|"/>', "foregroundServiceType"),
        ('<uses-sdk android:maxSdkVersion="U"/>', "android:maxSdkVersion"),
        ('<application android:description="plain text"/>', "expects reference"),
    ],
)
def test_values_aapt2_would_refuse_are_refused(body, message):
    with pytest.raises(AxmlError, match=message):
        encode_axml(manifest(body))


def test_errors_say_where():
    with pytest.raises(AxmlError, match=r"<service> at line 3"):
        encode_axml(
            f'<manifest {NS} package="a.b">\n\n<service android:exported="maybe"/></manifest>'
        )


@pytest.mark.parametrize(
    "text",
    [
        "<manifest",
        "not xml at all",
        '<manifest package="a.b"><application android:name="x"/></manifest>',  # unbound prefix
        '<!DOCTYPE m [<!ENTITY e "boom">]><manifest package="a.b">&e;</manifest>',
    ],
)
def test_malformed_or_doctype_text_is_refused(text):
    with pytest.raises(AxmlError):
        encode_axml(text)


# --- tables -------------------------------------------------------------------------------------


def test_foreground_service_type_flags_match_attrs_manifest():
    assert axml.FOREGROUND_SERVICE_TYPES == {
        "camera": 0x40,
        "connectedDevice": 0x10,
        "dataSync": 0x1,
        "health": 0x100,
        "location": 0x8,
        "mediaPlayback": 0x2,
        "mediaProjection": 0x20,
        "microphone": 0x80,
        "phoneCall": 0x4,
        "remoteMessaging": 0x200,
        "shortService": 0x800,
        "specialUse": 0x40000000,
        "systemExempted": 0x400,
        "mediaProcessing": 0x2000,
    }


def test_attribute_ids_are_unique():
    ids = [spec.id for spec in ATTRIBUTES.values()]
    assert len(ids) == len(set(ids))
    assert all(0x01010000 <= i < 0x01020000 for i in ids)


# Attributes newer than the public.xml shipped by pyaxmlparser, as in AOSP public-final.xml.
NEWER_ATTRIBUTE_IDS = {
    "compileSdkVersion": 0x01010572,
    "appComponentFactory": 0x0101057A,
    "foregroundServiceType": 0x01010599,
    "requestLegacyExternalStorage": 0x01010603,
    "gwpAsanMode": 0x01010616,
    "memtagMode": 0x01010624,
    "dataExtractionRules": 0x0101063E,
    "usesPermissionFlags": 0x01010644,
    "localeConfig": 0x0101065B,
    "enableOnBackInvokedCallback": 0x0101066C,
    "allowUpdateOwnership": 0x01010680,
}


@requires_pyaxmlparser
def test_attribute_ids_match_the_framework_public_xml():
    import pyaxmlparser

    public = Path(pyaxmlparser.__file__).parent / "resources" / "public.xml"
    framework = {
        e.get("name"): int(e.get("id"), 16)
        for e in ET.parse(public).getroot().iter("public")
        if e.get("type") == "attr"
    }
    checked = {name: spec.id for name, spec in ATTRIBUTES.items() if name in framework}
    assert checked == {name: framework[name] for name in checked}
    assert len(checked) > 120
    for name, attr_id in NEWER_ATTRIBUTE_IDS.items():
        assert ATTRIBUTES[name].id == attr_id
    unchecked = set(ATTRIBUTES) - set(checked) - set(NEWER_ATTRIBUTE_IDS)
    assert all(ATTRIBUTES[name].id > 0x0101056D for name in unchecked)  # newer than O MR1


# --- strings ------------------------------------------------------------------------------------

LONG = "x" * 40_000  # beyond 0x7fff: a two-unit length prefix in UTF-16


@pytest.mark.parametrize("utf16", [True, False])
def test_non_ascii_strings_survive_both_pool_encodings(utf16):
    value = "café ☕ 😀 — Ünïcödé"
    data = encode_axml(
        manifest(f'<meta-data android:name="n" android:value="{value}"/>'), utf16=utf16
    )
    assert attribute(data, "meta-data", "value")["raw"] == value


def test_long_strings_fit_utf16_but_not_utf8():
    text = manifest(f'<meta-data android:name="n" android:value="{LONG}"/>')
    assert attribute(encode_axml(text), "meta-data", "value")["raw"] == LONG
    with pytest.raises(AxmlError, match="too long"):
        encode_axml(text, utf16=False)


# --- decoding by an independent decoder ---------------------------------------------------------


def _canonical(element: ET.Element) -> tuple:
    """Tag, attributes and children, ignoring order, whitespace text and the tools namespace."""
    attrs = tuple(sorted((k, v) for k, v in element.attrib.items() if TOOLS_NS not in k))
    text = (element.text or "").strip()
    return element.tag, attrs, text, tuple(_canonical(child) for child in element)


# How a decoder prints the typed values of REALISTIC_MANIFEST (written here, not computed).
PRINTED = {
    "dataSync|specialUse": "0x40000001",
    "dataSync": "0x00000001",
    "signature|privileged": "0x00000012",
    "singleTask": "2",
    "1.5": "1.500000",
    "#ff0000": "#FFFF0000",
}


@requires_pyaxmlparser
@pytest.mark.parametrize("utf16", [True, False])
def test_pyaxmlparser_decodes_the_input_back(utf16):
    from pyaxmlparser.axmlprinter import AXMLPrinter

    printer = AXMLPrinter(encode_axml(REALISTIC_MANIFEST, utf16=utf16))
    assert printer.is_valid() and not printer.is_packed()
    decoded = ET.fromstring(printer.get_xml())
    source = ET.fromstring(REALISTIC_MANIFEST.encode())
    for element in source.iter():
        for key, value in element.attrib.items():
            element.attrib[key] = PRINTED.get(value, value)
    assert _canonical(decoded) == _canonical(source)


@requires_pyaxmlparser
def test_text_content_is_written_as_cdata():
    from pyaxmlparser.axmlprinter import AXMLPrinter

    decoded = ET.fromstring(
        AXMLPrinter(encode_axml(manifest("<note>hello &amp; bye</note>"))).get_xml()
    )
    assert decoded.find("note").text == "hello & bye"
