"""The uiautomator XML: ``uiautomator dump`` and the uiautomator2 server's dumpWindowHierarchy.

Both serialize AccessibilityNodeInfo trees with the same attributes in the same order
(``AccessibilityNodeInfoDumper.dumpNodeRec`` in frameworks/base cmds/uiautomator and in
androidx.test.uiautomator). The command-line dump writes one line with no indentation; the
uiautomator2 server's serializer indents and adds ``editable``, ``drawing-order``, ``hint`` and
``display-id``. Invisible children are skipped ("Skipping invisible child").
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.sax.saxutils import quoteattr

from harness.virtual.ui.node import UiNode

XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"

_INVALID_XML = {
    *range(0x00, 0x09),
    0x0B,
    0x0C,
    *range(0x0E, 0x20),
    *range(0x7F, 0x85),
    *range(0x86, 0xA0),
}


def _safe(text: str) -> str:
    """Replace characters XML cannot hold with '.', as stripInvalidXMLChars does."""
    if not any(ord(c) in _INVALID_XML or 0xD800 <= ord(c) <= 0xDFFF for c in text):
        return text
    return "".join(
        "." if (ord(c) in _INVALID_XML or 0xD800 <= ord(c) <= 0xDFFF) else c for c in text
    )


def _bool(value: bool) -> str:
    return "true" if value else "false"


def node_attributes(node: UiNode, extended: bool = False) -> list[tuple[str, str]]:
    attrs = [
        ("index", str(node.index)),
        ("text", _safe(node.text)),
        ("resource-id", node.resource_id),
        ("class", node.class_name),
        ("package", node.package),
        ("content-desc", _safe(node.content_desc)),
        ("checkable", _bool(node.checkable)),
        ("checked", _bool(node.checked)),
        ("clickable", _bool(node.clickable)),
        ("enabled", _bool(node.enabled)),
        ("focusable", _bool(node.focusable)),
        ("focused", _bool(node.focused)),
        ("scrollable", _bool(node.scrollable)),
        ("long-clickable", _bool(node.long_clickable)),
        ("password", _bool(node.password)),
        ("selected", _bool(node.selected)),
        ("visible-to-user", _bool(node.visible)),
        ("bounds", node.rect.short()),
    ]
    if extended:
        attrs += [
            ("editable", _bool(node.editable)),
            ("drawing-order", str(node.index + 1)),
            ("hint", ""),
            ("display-id", "0"),
        ]
    return attrs


def hierarchy_xml(
    roots: Iterable[UiNode],
    rotation: int = 0,
    *,
    pretty: bool = False,
    extended: bool = False,
    max_depth: int = 1000,
) -> str:
    """The XML document for window roots; ``pretty`` indents as the u2 server's serializer."""
    out: list[str] = []
    nl = "\r\n" if pretty else ""

    def emit(node: UiNode, depth: int, remaining: int) -> None:
        indent = "  " * depth if pretty else ""
        attrs = " ".join(f"{k}={quoteattr(v)}" for k, v in node_attributes(node, extended))
        children = [c for c in node.children if c.visible] if remaining > 0 else []
        if not children:
            out.append(f"{indent}<node {attrs} />{nl}")
            return
        out.append(f"{indent}<node {attrs}>{nl}")
        for child in children:
            emit(child, depth + 1, remaining - 1)
        out.append(f"{indent}</node>{nl}")

    out.append(XML_DECLARATION + nl)
    visible_roots = [r for r in roots if r.visible]
    if not visible_roots:
        out.append(f'<hierarchy rotation="{rotation}" />')
        return "".join(out)
    out.append(f'<hierarchy rotation="{rotation}">{nl}')
    for root in visible_roots:
        emit(root, 1, max_depth)
    out.append("</hierarchy>")
    return "".join(out)
