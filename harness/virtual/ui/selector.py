"""UiSelector matching, as the uiautomator2 server builds it from the selector dict u2 sends.

A selector is ``{"mask": int, "childOrSibling": [...], "childOrSiblingSelector": [...], field:
value}``; only fields whose mask bit is set count (u2 ``_selector.Selector``, server
``Selector.toUiSelector``). ``*Matches`` fields are Java regexes matched against the whole
value (``Pattern.matches``). ``instance`` picks the n-th match in document order; ``child`` and
``sibling`` narrow to descendants of each match, or to the other descendants of its parent
(``UiSelector.childSelector`` / ``fromParent``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from harness.virtual.ui.node import UiNode

MASK_TEXT = 0x01
MASK_TEXTCONTAINS = 0x02
MASK_TEXTMATCHES = 0x04
MASK_TEXTSTARTSWITH = 0x08
MASK_CLASSNAME = 0x10
MASK_CLASSNAMEMATCHES = 0x20
MASK_DESCRIPTION = 0x40
MASK_DESCRIPTIONCONTAINS = 0x80
MASK_DESCRIPTIONMATCHES = 0x100
MASK_DESCRIPTIONSTARTSWITH = 0x200
MASK_CHECKABLE = 0x400
MASK_CHECKED = 0x800
MASK_CLICKABLE = 0x1000
MASK_LONGCLICKABLE = 0x2000
MASK_SCROLLABLE = 0x4000
MASK_ENABLED = 0x8000
MASK_FOCUSABLE = 0x10000
MASK_FOCUSED = 0x20000
MASK_SELECTED = 0x40000
MASK_PACKAGENAME = 0x80000
MASK_PACKAGENAMEMATCHES = 0x100000
MASK_RESOURCEID = 0x200000
MASK_RESOURCEIDMATCHES = 0x400000
MASK_INDEX = 0x800000
MASK_INSTANCE = 0x1000000


def _regex(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value, re.DOTALL) is not None
    except re.error:
        return False


# field name -> (mask bit, predicate(node, selector value))
_FIELDS: dict[str, tuple[int, Callable[[UiNode, Any], bool]]] = {
    "text": (MASK_TEXT, lambda n, v: n.text == v),
    "textContains": (MASK_TEXTCONTAINS, lambda n, v: str(v) in n.text),
    "textMatches": (MASK_TEXTMATCHES, lambda n, v: _regex(str(v), n.text)),
    "textStartsWith": (MASK_TEXTSTARTSWITH, lambda n, v: n.text.startswith(str(v))),
    "className": (MASK_CLASSNAME, lambda n, v: n.class_name == v),
    "classNameMatches": (MASK_CLASSNAMEMATCHES, lambda n, v: _regex(str(v), n.class_name)),
    "description": (MASK_DESCRIPTION, lambda n, v: n.content_desc == v),
    "descriptionContains": (MASK_DESCRIPTIONCONTAINS, lambda n, v: str(v) in n.content_desc),
    "descriptionMatches": (MASK_DESCRIPTIONMATCHES, lambda n, v: _regex(str(v), n.content_desc)),
    "descriptionStartsWith": (
        MASK_DESCRIPTIONSTARTSWITH,
        lambda n, v: n.content_desc.startswith(str(v)),
    ),
    "checkable": (MASK_CHECKABLE, lambda n, v: n.checkable == bool(v)),
    "checked": (MASK_CHECKED, lambda n, v: n.checked == bool(v)),
    "clickable": (MASK_CLICKABLE, lambda n, v: n.clickable == bool(v)),
    "longClickable": (MASK_LONGCLICKABLE, lambda n, v: n.long_clickable == bool(v)),
    "scrollable": (MASK_SCROLLABLE, lambda n, v: n.scrollable == bool(v)),
    "enabled": (MASK_ENABLED, lambda n, v: n.enabled == bool(v)),
    "focusable": (MASK_FOCUSABLE, lambda n, v: n.focusable == bool(v)),
    "focused": (MASK_FOCUSED, lambda n, v: n.focused == bool(v)),
    "selected": (MASK_SELECTED, lambda n, v: n.selected == bool(v)),
    "packageName": (MASK_PACKAGENAME, lambda n, v: n.package == v),
    "packageNameMatches": (MASK_PACKAGENAMEMATCHES, lambda n, v: _regex(str(v), n.package)),
    "resourceId": (MASK_RESOURCEID, lambda n, v: n.resource_id == v),
    "resourceIdMatches": (MASK_RESOURCEIDMATCHES, lambda n, v: _regex(str(v), n.resource_id)),
    "index": (MASK_INDEX, lambda n, v: n.index == int(v)),
}


def matches(node: UiNode, selector: dict[str, Any]) -> bool:
    """Whether ``node`` satisfies every masked field of ``selector`` (instance aside)."""
    if not node.visible:
        return False
    mask = int(selector.get("mask", 0))
    for name, (bit, predicate) in _FIELDS.items():
        if mask & bit and not predicate(node, selector.get(name)):
            return False
    return True


def _pick_instance(nodes: list[UiNode], selector: dict[str, Any]) -> list[UiNode]:
    if int(selector.get("mask", 0)) & MASK_INSTANCE:
        n = int(selector.get("instance", 0))
        return nodes[n : n + 1] if 0 <= n < len(nodes) else []
    return nodes


def _unique(nodes: Iterable[UiNode]) -> list[UiNode]:
    seen: set[int] = set()
    out = []
    for node in nodes:
        if id(node) not in seen:
            seen.add(id(node))
            out.append(node)
    return out


def find_all(roots: Iterable[UiNode], selector: dict[str, Any]) -> list[UiNode]:
    """Every node the selector designates, in document order."""
    roots = list(roots)
    found = [n for root in roots for n in root.walk() if matches(n, selector)]
    found = _pick_instance(found, selector)
    kinds = selector.get("childOrSibling") or []
    subs = selector.get("childOrSiblingSelector") or []
    for kind, sub in zip(kinds, subs, strict=False):
        narrowed: list[UiNode] = []
        for node in found:
            if kind == "sibling":
                pool = node.parent.descendants() if node.parent is not None else iter(())
                narrowed += [n for n in pool if n is not node and matches(n, sub)]
            else:
                narrowed += [n for n in node.descendants() if matches(n, sub)]
        found = _pick_instance(_unique(narrowed), sub)
    return found


def find_first(roots: Iterable[UiNode], selector: dict[str, Any]) -> UiNode | None:
    found = find_all(roots, selector)
    return found[0] if found else None


def describe(selector: dict[str, Any]) -> str:
    """``UiSelector[TEXT=Settings, CLASS=...]`` as UiSelector.toString prints it."""
    names = {
        "text": "TEXT",
        "textContains": "CONTAINS_TEXT",
        "textMatches": "MATCH_TEXT",
        "textStartsWith": "START_TEXT",
        "className": "CLASS",
        "classNameMatches": "CLASS_REGEX",
        "description": "DESCRIPTION",
        "descriptionContains": "CONTAINS_DESCRIPTION",
        "descriptionMatches": "MATCH_DESCRIPTION",
        "descriptionStartsWith": "START_DESCRIPTION",
        "checkable": "CHECKABLE",
        "checked": "CHECKED",
        "clickable": "CLICKABLE",
        "longClickable": "LONG_CLICKABLE",
        "scrollable": "SCROLLABLE",
        "enabled": "ENABLED",
        "focusable": "FOCUSABLE",
        "focused": "FOCUSED",
        "selected": "SELECTED",
        "packageName": "PACKAGE_NAME",
        "packageNameMatches": "PACKAGE_NAME_REGEX",
        "resourceId": "RESOURCE_ID",
        "resourceIdMatches": "RESOURCE_ID_REGEX",
        "index": "INDEX",
    }
    mask = int(selector.get("mask", 0))
    parts = [f"{label}={selector.get(f)}" for f, label in names.items() if mask & _FIELDS[f][0]]
    if mask & MASK_INSTANCE:
        parts.append(f"INSTANCE={selector.get('instance')}")
    kinds = selector.get("childOrSibling") or []
    subs = selector.get("childOrSiblingSelector") or []
    for kind, sub in zip(kinds, subs, strict=False):
        label = "CHILD" if kind == "child" else "PARENT"
        parts.append(f"{label}={describe(sub)}")
    return "UiSelector[" + ", ".join(parts) + "]"


def obj_info(node: UiNode) -> dict[str, Any]:
    """The ObjInfo JSON of the uiautomator2 server for one node."""
    bounds = node.rect.as_dict()
    return {
        "bounds": bounds,
        "checkable": node.checkable,
        "checked": node.checked,
        "childCount": len(node.children),
        "className": node.class_name,
        "clickable": node.clickable,
        "contentDescription": node.content_desc or None,
        "enabled": node.enabled,
        "focusable": node.focusable,
        "focused": node.focused,
        "longClickable": node.long_clickable,
        "packageName": node.package,
        "resourceName": node.resource_id or None,
        "scrollable": node.scrollable,
        "selected": node.selected,
        "text": node.text,
        "visibleBounds": dict(bounds),
    }
