"""The screen model on its own: node layout, uiautomator XML, selectors, screens, pictures."""

from __future__ import annotations

import asyncio
import io
import json
import struct
from xml.etree import ElementTree

import pytest

from harness.virtual.ui import NotificationEntry, Rect, UiNode, register_notification_source
from harness.virtual.ui.hierarchy import XML_DECLARATION, hierarchy_xml
from harness.virtual.ui.keys import keycode_from_string
from harness.virtual.ui.node import ROW_HEIGHT, finalize, stack
from harness.virtual.ui.notifications import notification_entries
from harness.virtual.ui.render import encode_jpeg, encode_png, encode_raw, render_image
from harness.virtual.ui.screens import LauncherEntry, ScreenState, build_screen
from harness.virtual.ui.selector import describe, find_all, obj_info
from harness.virtual.uiautomator.http import read_request, response
from harness.virtual.uiautomator.rpc import RpcContext, dispatch, not_found

SCREEN = Rect(0, 0, 1080, 2400)
ATTRIBUTE_ORDER = [
    "index",
    "text",
    "resource-id",
    "class",
    "package",
    "content-desc",
    "checkable",
    "checked",
    "clickable",
    "enabled",
    "focusable",
    "focused",
    "scrollable",
    "long-clickable",
    "password",
    "selected",
    "visible-to-user",
    "bounds",
]


def tree() -> UiNode:
    """A small window: a list with two rows, one of them holding a button."""
    ok = UiNode(
        text="OK", resource_id="app:id/ok", class_name="android.widget.Button", clickable=True
    )
    rows = UiNode(
        resource_id="app:id/list",
        class_name="android.widget.ListView",
        scrollable=True,
        children=[
            UiNode(text="First row", class_name="android.widget.TextView"),
            UiNode(text="Second row", class_name="android.widget.TextView", children=[ok]),
        ],
    )
    root = UiNode(class_name="android.widget.FrameLayout", bounds=SCREEN, children=[rows])
    stack(root.children, SCREEN)
    finalize(root, "com.example.app", SCREEN)
    return root


def sel(**fields: object) -> dict[str, object]:
    """A selector dict exactly as uiautomator2 builds it."""
    from uiautomator2._selector import Selector

    return dict(Selector(**fields))


# ---------------------------------------------------------------------------------- layout
def test_unplaced_nodes_stack_as_rows_and_inherit_the_window_package():
    root = tree()
    listview = root.children[0]
    first, second = listview.children
    assert first.rect == Rect(0, 0, 1080, ROW_HEIGHT)
    # A node with children is as tall as its children.
    assert second.rect == Rect(0, ROW_HEIGHT, 1080, 2 * ROW_HEIGHT)
    assert listview.rect == Rect(0, 0, 1080, 2 * ROW_HEIGHT)
    assert {n.package for n in root.walk()} == {"com.example.app"}
    assert [n.index for n in listview.children] == [0, 1]
    assert second.children[0].parent is second


def test_nodes_off_screen_are_not_visible_and_bounds_are_clipped():
    far = UiNode(text="far", bounds=Rect(2000, 0, 2100, 100))
    half = UiNode(text="half", bounds=Rect(1000, 2300, 1200, 2500))
    root = UiNode(bounds=SCREEN, children=[far, half])
    finalize(root, "p", SCREEN)
    assert not far.visible
    assert half.visible and half.rect == Rect(1000, 2300, 1080, 2400)


# ---------------------------------------------------------------------------------- XML
def test_command_line_dump_is_one_line_with_the_attributes_in_order():
    xml = hierarchy_xml([tree()], rotation=1)
    assert xml.startswith(XML_DECLARATION + '<hierarchy rotation="1"><node index="0" text=""')
    assert "\n" not in xml
    doc = ElementTree.fromstring(xml.split("?>", 1)[1])
    node = doc[0]
    assert list(node.attrib) == ATTRIBUTE_ORDER
    ok = doc.find(".//node[@text='OK']")
    assert ok is not None
    assert ok.attrib["resource-id"] == "app:id/ok"
    assert ok.attrib["clickable"] == "true"
    assert ok.attrib["bounds"] == f"[0,{ROW_HEIGHT}][1080,{2 * ROW_HEIGHT}]"
    assert ok.attrib["package"] == "com.example.app"


def test_server_dump_is_indented_with_the_extra_attributes_and_depth_limit():
    xml = hierarchy_xml([tree()], pretty=True, extended=True, max_depth=1)
    assert xml.startswith(XML_DECLARATION + '\r\n<hierarchy rotation="0">\r\n  <node ')
    doc = ElementTree.fromstring(xml.split("?>", 1)[1])
    assert list(doc[0].attrib)[-4:] == ["editable", "drawing-order", "hint", "display-id"]
    # max_depth=1: the root and its children only
    assert len(list(doc.iter("node"))) == 2


def test_text_is_escaped_and_invisible_children_are_skipped():
    root = UiNode(
        bounds=SCREEN,
        children=[
            UiNode(text='a "quoted" <b> & c\x07', bounds=Rect(0, 0, 10, 10)),
            UiNode(text="gone", bounds=Rect(5000, 0, 5010, 10)),
        ],
    )
    finalize(root, "p", SCREEN)
    xml = hierarchy_xml([root])
    doc = ElementTree.fromstring(xml.split("?>", 1)[1])
    texts = [n.attrib["text"] for n in doc.iter("node")]
    assert texts == ["", 'a "quoted" <b> & c.']


def test_no_window_gives_the_empty_hierarchy_uiautomator2_retries_on():
    assert hierarchy_xml([]).endswith('<hierarchy rotation="0" />')


# ---------------------------------------------------------------------------------- selectors
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"text": "OK"}, ["OK"]),
        ({"textContains": "row"}, ["First row", "Second row"]),
        ({"textStartsWith": "Sec"}, ["Second row"]),
        ({"textMatches": "F.*w"}, ["First row"]),
        ({"textMatches": "row"}, []),  # Pattern.matches: the whole text
        ({"className": "android.widget.Button"}, ["OK"]),
        ({"classNameMatches": r".*\.TextView"}, ["First row", "Second row"]),
        ({"resourceId": "app:id/ok"}, ["OK"]),
        ({"resourceIdMatches": "app:id/.*", "clickable": True}, ["OK"]),
        ({"packageName": "com.example.app", "text": "OK"}, ["OK"]),
        ({"packageName": "other"}, []),
        ({"textContains": "row", "instance": 1}, ["Second row"]),
        ({"textContains": "row", "index": 0}, ["First row"]),
        ({"scrollable": True}, [""]),
    ],
)
def test_selector_fields_follow_the_mask(fields, expected):
    found = find_all([tree()], sel(**fields))
    assert [n.text for n in found] == expected


def test_values_without_their_mask_bit_are_ignored():
    selector = {"mask": 0x01, "text": "OK", "className": "does.not.Match"}
    assert [n.text for n in find_all([tree()], selector)] == ["OK"]


def test_child_and_sibling_selectors_narrow_the_match():
    from uiautomator2._selector import Selector

    child = dict(Selector(resourceId="app:id/list").child(text="OK"))
    assert [n.text for n in find_all([tree()], child)] == ["OK"]
    sibling = dict(Selector(text="First row").sibling(textContains="row"))
    assert [n.text for n in find_all([tree()], sibling)] == ["Second row"]


def test_obj_info_and_selector_description():
    ok = find_all([tree()], sel(text="OK"))[0]
    info = obj_info(ok)
    assert info["bounds"] == {"left": 0, "top": ROW_HEIGHT, "right": 1080, "bottom": 336}
    assert info["visibleBounds"] == info["bounds"]
    assert info["className"] == "android.widget.Button"
    assert info["resourceName"] == "app:id/ok"
    assert info["contentDescription"] is None
    assert info["clickable"] is True and info["childCount"] == 0
    assert describe(sel(text="OK", instance=2)) == "UiSelector[TEXT=OK, INSTANCE=2]"


# ---------------------------------------------------------------------------------- screens
def test_launcher_shows_one_clickable_icon_per_entry_sorted_by_label():
    clicked: list[str] = []
    state = ScreenState(
        launcher_entries=[
            LauncherEntry("com.b", "com.b.Main", "Zeta", on_click=lambda: clicked.append("b")),
            LauncherEntry("com.a", "com.a.Main", "Alpha", on_click=lambda: clicked.append("a")),
        ],
        top_activity="com.android.launcher3.uioverrides.QuickstepLauncher",
    )
    screen = build_screen(state)
    icons = find_all(screen.roots(), sel(resourceId="com.android.launcher3:id/icon"))
    assert [i.text for i in icons] == ["Alpha", "Zeta"]
    assert all(i.clickable and i.content_desc == i.text for i in icons)
    assert screen.focused.name.startswith("com.android.launcher3/")
    target = screen.clickable_at(*icons[1].rect.center)
    assert target is icons[1]
    target.on_click()
    assert clicked == ["b"]


def test_app_screen_holds_the_action_bar_and_the_models_nodes():
    nodes = [UiNode(text="Sync now", resource_id="com.ex:id/sync", clickable=True)]
    screen = build_screen(
        ScreenState(
            top_package="com.ex", top_activity="com.ex.Main", app_label="Example", app_nodes=nodes
        )
    )
    assert screen.focused.name == "com.ex/com.ex.Main"
    title = find_all(screen.roots(), sel(text="Example"))[0]
    assert title.parent.resource_id == "com.ex:id/action_bar"
    button = find_all(screen.roots(), sel(resourceId="com.ex:id/sync"))[0]
    assert button.package == "com.ex"
    assert button.parent.resource_id == "android:id/content"
    assert button.rect.top == title.parent.rect.bottom


def test_shade_lists_notifications_or_says_there_are_none():
    empty = build_screen(ScreenState(shade="notifications"))
    assert empty.focused.name == "NotificationShade"
    assert find_all(empty.roots(), sel(text="No notifications"))
    entry = NotificationEntry("com.ex", "Example", "Upload done", "3 files", ongoing=False)
    collapsed: list[bool] = []
    screen = build_screen(
        ScreenState(shade="notifications", notifications=[entry]),
        on_collapse=lambda: collapsed.append(True),
    )
    row = find_all(
        screen.roots(), sel(resourceId="com.android.systemui:id/expandableNotificationRow")
    )
    assert len(row) == 1
    texts = {n.resource_id: n.text for n in row[0].children}
    assert texts == {
        "android:id/app_name_text": "Example",
        "android:id/title": "Upload done",
        "android:id/text": "3 files",
    }
    screen.clickable_at(*row[0].rect.center).on_click()
    assert collapsed == [True]
    assert not find_all(screen.roots(), sel(text="No notifications"))


def test_keyguard_takes_focus_and_only_the_active_window_goes_to_the_command_line_dump():
    screen = build_screen(ScreenState(keyguard=True))
    assert screen.focused.kind == "notification_shade"
    assert find_all(screen.active_roots(), sel(text="Swipe up to open"))
    assert not find_all(screen.active_roots(), sel(resourceId="com.android.launcher3:id/launcher"))
    assert find_all(screen.roots(), sel(resourceId="com.android.launcher3:id/launcher"))


def test_navigation_buttons_press_their_keys():
    pressed: list[int] = []
    screen = build_screen(ScreenState(press_key=pressed.append))
    for desc in ("Back", "Home", "Overview"):
        button = find_all(screen.roots(), sel(description=desc))[0]
        screen.clickable_at(*button.rect.center).on_click()
    assert pressed == [4, 3, 187]


def test_rotated_screen_is_laid_out_landscape():
    screen = build_screen(ScreenState(width=2400, height=1080, rotation=1))
    assert hierarchy_xml(screen.roots()[:1], screen.rotation).count('rotation="1"') == 1
    nav = find_all(screen.roots(), sel(description="Home"))[0]
    assert nav.rect.bottom == 1080 and nav.rect.right <= 2400


# ---------------------------------------------------------------------------------- notifications
class _System:
    """Stands in for a SystemServer: sources are keyed by it."""


def test_notification_sources_register_per_system_and_ongoing_comes_first():
    system = _System()
    unregister = register_notification_source(
        system,  # type: ignore[arg-type]
        lambda: [
            ("com.a", "A", "plain", "", False),
            NotificationEntry("com.b", "B", "ongoing", ongoing=True),
        ],
    )

    def broken() -> list[NotificationEntry]:
        raise RuntimeError("boom")

    register_notification_source(system, broken)  # type: ignore[arg-type]
    titles = [e.title for e in notification_entries(system)]  # type: ignore[arg-type]
    assert titles == ["ongoing", "plain"]
    assert notification_entries(_System()) == []  # type: ignore[arg-type]
    unregister()
    assert notification_entries(system) == []  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------- pictures
def test_png_is_valid_and_shows_the_screen():
    from PIL import Image

    screen = build_screen(ScreenState(launcher_entries=[LauncherEntry("a", "a.M", "App")]))
    png = encode_png(screen)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.verify()
    image = Image.open(io.BytesIO(png))
    assert image.size == (1080, 2400)
    assert image.convert("RGB").getbbox() is not None  # not all black


def test_screen_off_is_black_and_other_encodings_decode():
    from PIL import Image

    off = build_screen(ScreenState(screen_on=False))
    assert render_image(off).getbbox() is None
    jpeg = encode_jpeg(build_screen(ScreenState()), quality=80, scale=0.5)
    assert Image.open(io.BytesIO(jpeg)).size == (540, 1200)
    raw = encode_raw(off, api_level=34)
    assert struct.unpack("<IIII", raw[:16])[:3] == (1080, 2400, 1)
    assert len(raw) == 16 + 1080 * 2400 * 4
    assert len(encode_raw(off, api_level=28)) == 12 + 1080 * 2400 * 4


def test_key_names_and_numbers():
    assert keycode_from_string("HOME") == 3
    assert keycode_from_string("KEYCODE_WAKEUP") == 224
    assert keycode_from_string("app_switch") == 187
    assert keycode_from_string("26") == 26
    assert keycode_from_string("NOT_A_KEY") == 0


# ---------------------------------------------------------------------------------- server
class _Stream:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def read(self) -> bytes:
        return self.chunks.pop(0) if self.chunks else b""


def test_http_request_split_across_writes_is_reassembled():
    body = b'{"jsonrpc": "2.0"}'
    raw = (
        b"POST /jsonrpc/0 HTTP/1.1\r\nHost: localhost:9008\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    stream = _Stream([raw[:10], raw[10:40], raw[40:]])
    request = asyncio.run(read_request(stream))  # type: ignore[arg-type]
    assert request is not None
    assert (request.method, request.path, request.body) == ("POST", "/jsonrpc/0", body)
    head = response(200, b"pong", "text/plain")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and head.endswith(b"\r\n\r\npong")


def _call(payload: bytes) -> dict[str, object]:
    ctx = RpcContext(device=None)  # type: ignore[arg-type]
    return json.loads(asyncio.run(dispatch(ctx, payload)))


def test_jsonrpc_results_and_errors():
    ok = _call(b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{}}')
    assert ok == {"jsonrpc": "2.0", "id": 1, "result": "pong"}
    assert _call(b"not json")["error"]["code"] == -32700  # type: ignore[index]
    missing = _call(b'{"jsonrpc":"2.0","id":1,"method":"noSuchMethod","params":[]}')
    assert missing["error"]["code"] == -32601  # type: ignore[index]
    bad = _call(b'{"jsonrpc":"2.0","id":1,"method":"pressKey","params":[1,2,3]}')
    assert bad["error"]["code"] == -32602  # type: ignore[index]


def test_object_not_found_error_is_what_uiautomator2_recognizes():
    error = not_found(sel(text="Nope"))
    assert error.code == -32002
    assert "uiautomator.UiObjectNotFoundException" in error.message
    assert "UiSelector[TEXT=Nope]" in error.message
