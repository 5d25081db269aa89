"""The uiautomator2 server's JSON-RPC methods (AutomatorService), driven by the screen model.

Parameters arrive as u2 sends them: a positional list, or ``{}`` for no arguments. Failures
are JSON-RPC error objects with jsonrpc4j's codes (``ERROR_CODE_BASE = -32000``;
UiObjectNotFoundException is ``ERROR_CODE_BASE - 2``) and the exception's class name in the
message, which is what uiautomator2 matches (``"uiautomator.UiObjectNotFoundException" in
message`` raises UiObjectNotFoundError).
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from harness.virtual.ui import keys
from harness.virtual.ui.hierarchy import hierarchy_xml
from harness.virtual.ui.node import UiNode
from harness.virtual.ui.screens import Screen
from harness.virtual.ui.selector import describe, find_all, obj_info

if TYPE_CHECKING:
    from harness.virtual.device import VirtualDevice
    from harness.virtual.system.window import WindowManagerService

log = logging.getLogger(__name__)

ERROR_CODE_BASE = -32000
UI_OBJECT_NOT_FOUND = "androidx.test.uiautomator.UiObjectNotFoundException"
ACTION_DOWN, ACTION_UP, ACTION_MOVE = 0, 1, 2
MAX_WAIT_MS = 120_000
POLL_S = 0.1

# u2 setOrientation names (AutomatorServiceImpl.setOrientation) -> Surface.ROTATION_*
ORIENTATIONS = {
    "n": 0,
    "natural": 0,
    "l": 1,
    "left": 1,
    "u": 2,
    "upsidedown": 2,
    "r": 3,
    "right": 3,
}


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def not_found(selector: Any) -> RpcError:
    text = describe(selector) if isinstance(selector, dict) else str(selector)
    message = f"{UI_OBJECT_NOT_FOUND}: {text}"
    return RpcError(
        ERROR_CODE_BASE - 2,
        message,
        {"exceptionTypeName": UI_OBJECT_NOT_FOUND, "message": text},
    )


class RpcContext:
    """What the methods act on: the window manager of the running boot."""

    def __init__(self, device: VirtualDevice) -> None:
        self.device = device

    @property
    def wm(self) -> WindowManagerService:
        from harness.virtual.system.window import WindowManagerService

        system = self.device.system
        if system is None or not self.device.system_ready:
            # What UiAutomation throws once its connection to the system is gone; u2
            # answers it by restarting the server.
            raise RpcError(
                ERROR_CODE_BASE, "java.lang.IllegalStateException: UiAutomation not connected!"
            )
        return system.service(WindowManagerService)

    def screen(self) -> Screen:
        return self.wm.screen()

    def find(self, selector: Any) -> list[UiNode]:
        if not isinstance(selector, dict):
            raise RpcError(-32602, f"Invalid params: selector {selector!r}")
        return find_all(self.screen().roots(), selector)

    def must_find(self, selector: Any) -> tuple[Screen, UiNode]:
        screen = self.screen()
        if not isinstance(selector, dict):
            raise not_found(selector)
        found = find_all(screen.roots(), selector)
        if not found:
            raise not_found(selector)
        return screen, found[0]


RpcFn = Callable[..., Any]
METHODS: dict[str, RpcFn] = {}


def rpc(*names: str) -> Callable[[RpcFn], RpcFn]:
    def register(fn: RpcFn) -> RpcFn:
        for name in names:
            METHODS[name] = fn
        return fn

    return register


def _window_of(screen: Screen, node: UiNode) -> str:
    for window in screen.windows:
        if any(n is node for n in window.root.walk()):
            return window.name
    return ""


# ------------------------------------------------------------------------------ device
@rpc("ping")
def ping(ctx: RpcContext) -> str:
    return "pong"


@rpc("deviceInfo")
def device_info(ctx: RpcContext) -> dict[str, Any]:
    wm = ctx.wm
    screen = wm.screen()
    w, h = wm.logical_size
    density = wm.density
    return {
        "currentPackageName": screen.focused.package,
        "displayHeight": h,
        "displayWidth": w,
        "displayRotation": wm.rotation,
        "displaySizeDpX": round(w * 160 / density),
        "displaySizeDpY": round(h * 160 / density),
        "naturalOrientation": wm.rotation % 2 == 0,
        "productName": ctx.device.props.get("ro.product.name", ""),
        "screenOn": wm.screen_on,
        "sdkInt": ctx.device.api_level,
    }


@rpc("dumpWindowHierarchy")
def dump_window_hierarchy(
    ctx: RpcContext, compressed: bool = False, depth: Any = 50, root_in_active: bool = False
) -> str:
    screen = ctx.screen()
    roots = screen.active_roots() if root_in_active else screen.roots()
    if isinstance(depth, str):  # the deprecated (compressed, filename) form writes a file
        xml = hierarchy_xml(roots, screen.rotation, pretty=True, extended=True)
        path = depth if depth.startswith("/") else f"/data/local/tmp/{depth}"
        ctx.device.fs.write_file(path, xml.encode())
        return path
    max_depth = int(depth) if depth is not None else 50
    return hierarchy_xml(roots, screen.rotation, pretty=True, extended=True, max_depth=max_depth)


@rpc("takeScreenshot")
def take_screenshot(ctx: RpcContext, *args: Any) -> str | None:
    from harness.virtual.ui.render import encode_jpeg, encode_png

    screen = ctx.screen()
    if args and isinstance(args[0], str):  # (filename, scale, quality): a PNG file
        path = args[0]
        ctx.device.fs.write_file(path, encode_png(screen))
        return path
    scale = float(args[0]) if args else 1.0
    quality = int(args[1]) if len(args) > 1 else 80
    return base64.b64encode(encode_jpeg(screen, quality, scale)).decode("ascii")


@rpc("wakeUp")
def wake_up(ctx: RpcContext) -> None:
    # UiDevice.wakeUp presses POWER only when the screen is off.
    wm = ctx.wm
    if not wm.screen_on:
        wm.inject_key(keys.KEYCODE_POWER)


@rpc("sleep")
def sleep(ctx: RpcContext) -> None:
    wm = ctx.wm
    if wm.screen_on:
        wm.inject_key(keys.KEYCODE_POWER)


@rpc("isScreenOn")
def is_screen_on(ctx: RpcContext) -> bool:
    return ctx.wm.screen_on


@rpc("setOrientation")
def set_orientation(ctx: RpcContext, direction: str) -> None:
    rotation = ORIENTATIONS.get(str(direction).lower())
    if rotation is None:
        raise RpcError(
            ERROR_CODE_BASE - 3,
            f"com.wetest.uia2.exceptions.NotImplementedException: Invalid rotation: {direction}",
        )
    ctx.wm.set_user_rotation(rotation, lock=True)


@rpc("freezeRotation")
def freeze_rotation(ctx: RpcContext, freeze: bool = True) -> None:
    ctx.wm.freeze_rotation(bool(freeze))


@rpc("waitForIdle")
def wait_for_idle(ctx: RpcContext, timeout: int = 0) -> None:
    return None


@rpc("waitForWindowUpdate")
def wait_for_window_update(ctx: RpcContext, package: str | None = None, timeout: int = 0) -> bool:
    return package is None or ctx.screen().focused.package == package


@rpc("getLastTraversedText")
def last_traversed_text(ctx: RpcContext) -> None:
    return None


@rpc("clearLastTraversedText")
def clear_traversed_text(ctx: RpcContext) -> None:
    return None


# ------------------------------------------------------------------------------ input
@rpc("click")
def click(ctx: RpcContext, *args: Any) -> bool:
    if args and isinstance(args[0], dict):  # click(selector[, corner])
        _screen, node = ctx.must_find(args[0])
        x, y = node.rect.center
        return ctx.wm.tap(x, y)
    if len(args) < 2:
        raise RpcError(-32602, "Invalid params")
    x, y = float(args[0]), float(args[1])
    if len(args) > 2 and int(args[2]) >= 500:
        return True  # a long press: nothing in the model reacts to it
    return ctx.wm.tap(x, y)


@rpc("longClick")
def long_click(ctx: RpcContext, selector: Any = None, *rest: Any) -> bool:
    ctx.must_find(selector)
    return True


@rpc("swipe")
def swipe(ctx: RpcContext, *args: Any) -> bool:
    if args and isinstance(args[0], dict):  # swipe(selector, direction[, percent], steps)
        _screen, node = ctx.must_find(args[0])
        r = node.rect
        cx, cy = r.center
        direction = str(args[1]) if len(args) > 1 else "up"
        end = {
            "up": (cx, r.top),
            "down": (cx, r.bottom - 1),
            "left": (r.left, cy),
            "right": (r.right - 1, cy),
        }.get(direction, (cx, cy))
        return ctx.wm.swipe(cx, cy, *end)
    fx, fy, tx, ty = (float(a) for a in args[:4])
    return ctx.wm.swipe(fx, fy, tx, ty)


@rpc("drag")
def drag(ctx: RpcContext, sx: float, sy: float, ex: float, ey: float, steps: int = 0) -> bool:
    return ctx.wm.swipe(float(sx), float(sy), float(ex), float(ey))


@rpc("swipePoints")
def swipe_points(ctx: RpcContext, points: list[float], steps: int = 0) -> bool:
    if len(points) < 4:
        return False
    return ctx.wm.swipe(points[0], points[1], points[-2], points[-1])


@rpc("dragTo")
def drag_to(ctx: RpcContext, selector: Any, *args: Any) -> bool:
    _screen, node = ctx.must_find(selector)
    cx, cy = node.rect.center
    if args and isinstance(args[0], dict):
        _s, target = ctx.must_find(args[0])
        tx, ty = target.rect.center
    elif len(args) >= 2:
        tx, ty = float(args[0]), float(args[1])
    else:
        return False
    return ctx.wm.swipe(cx, cy, tx, ty)


@rpc("injectInputEvent")
def inject_input_event(ctx: RpcContext, action: int, x: float, y: float, meta: int = 0) -> bool:
    """MotionEvents from u2's touch.down/move/up."""
    name = {ACTION_DOWN: "DOWN", ACTION_UP: "UP", ACTION_MOVE: "MOVE"}.get(int(action), "MOVE")
    return ctx.wm.motion(name, float(x), float(y))


@rpc("pressKey")
def press_key(ctx: RpcContext, key: str) -> bool:
    code = keys.U2_KEY_NAMES.get(str(key).lower())
    if code is None:
        return False
    return ctx.wm.inject_key(code)


@rpc("pressKeyCode")
def press_key_code(ctx: RpcContext, code: int, meta: int = 0) -> bool:
    return ctx.wm.inject_key(int(code))


@rpc("openNotification")
def open_notification(ctx: RpcContext) -> bool:
    return ctx.wm.open_shade("notifications")


@rpc("openQuickSettings")
def open_quick_settings(ctx: RpcContext) -> bool:
    return ctx.wm.open_shade("quick_settings")


# ------------------------------------------------------------------------------ clipboard, toast
@rpc("getClipboard")
def get_clipboard(ctx: RpcContext) -> str | None:
    clip = ctx.wm.clipboard
    return clip[1] if clip else None


@rpc("setClipboard")
def set_clipboard(ctx: RpcContext, label: str | None = None, text: str = "") -> None:
    ctx.wm.clipboard = (label, str(text))


@rpc("pasteClipboard")
def paste_clipboard(ctx: RpcContext) -> bool:
    clip = ctx.wm.clipboard
    return ctx.wm.type_text(clip[1]) if clip else False


@rpc("clearInputText")
def clear_input_text(ctx: RpcContext) -> bool:
    wm = ctx.wm
    return wm.edit_focused(lambda _text: "")


@rpc("getLastToast")
def get_last_toast(ctx: RpcContext, cache_duration: int | None = None) -> str | None:
    toast = ctx.wm.last_toast
    if toast is None:
        return None
    text, when = toast
    if cache_duration is not None and ctx.device.clock.elapsed_ms() - when > int(cache_duration):
        return None
    return text


@rpc("clearLastToast")
def clear_last_toast(ctx: RpcContext) -> bool:
    ctx.wm.last_toast = None
    return True


@rpc("makeToast")
def make_toast(ctx: RpcContext, text: str, duration: int = 1000) -> bool:
    ctx.wm.show_toast("com.wetest.uia2", str(text))
    return True


@rpc("setToastListener")
def set_toast_listener(ctx: RpcContext, enabled: bool = True) -> None:
    return None


# ------------------------------------------------------------------------------ selectors
@rpc("exist", "exists")
def exist(ctx: RpcContext, selector: Any) -> bool:
    return bool(ctx.find(selector))


@rpc("count")
def count(ctx: RpcContext, selector: Any) -> int:
    return len(ctx.find(selector))


@rpc("objInfo")
def obj_info_rpc(ctx: RpcContext, selector: Any) -> dict[str, Any]:
    _screen, node = ctx.must_find(selector)
    return obj_info(node)


@rpc("objInfoOfAllInstances")
def obj_info_all(ctx: RpcContext, selector: Any) -> list[dict[str, Any]]:
    return [obj_info(n) for n in ctx.find(selector)]


@rpc("getText")
def get_text(ctx: RpcContext, selector: Any) -> str:
    _screen, node = ctx.must_find(selector)
    return node.text


@rpc("setText")
def set_text(ctx: RpcContext, selector: Any, text: str | None = None) -> bool:
    screen, node = ctx.must_find(selector)
    if not node.editable:
        return False  # ACTION_SET_TEXT fails on views that do not take text
    ctx.wm.set_text(_window_of(screen, node), node, str(text or ""))
    return True


@rpc("clearTextField")
def clear_text_field(ctx: RpcContext, selector: Any) -> None:
    set_text(ctx, selector, "")


@rpc("waitForExists")
async def wait_for_exists(ctx: RpcContext, selector: Any, timeout: int = 0) -> bool:
    return await _wait(ctx, selector, int(timeout), present=True)


@rpc("waitUntilGone")
async def wait_until_gone(ctx: RpcContext, selector: Any, timeout: int = 0) -> bool:
    return await _wait(ctx, selector, int(timeout), present=False)


async def _wait(ctx: RpcContext, selector: Any, timeout_ms: int, present: bool) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(max(timeout_ms, 0), MAX_WAIT_MS) / 1000
    while True:
        if bool(ctx.find(selector)) == present:
            return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(POLL_S)


@rpc("scrollForward", "scrollBackward", "flingForward", "flingBackward")
def scroll_step(ctx: RpcContext, selector: Any, *args: Any) -> bool:
    return False  # nothing in the model scrolls: there is never more content


@rpc("scrollToBeginning", "scrollToEnd", "flingToBeginning", "flingToEnd")
def scroll_to_edge(ctx: RpcContext, selector: Any, *args: Any) -> bool:
    return True


@rpc("scrollTo")
def scroll_to(ctx: RpcContext, selector: Any, target: Any, *args: Any) -> bool:
    return bool(ctx.find(target))


# ------------------------------------------------------------------------------ dispatch
def _error(request_id: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


async def dispatch(ctx: RpcContext, body: bytes) -> bytes:
    """One JSON-RPC 2.0 request body in, the response body out (the HTTP status is 200)."""
    try:
        request = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _encode(_error(None, -32700, "JSON parse error"))
    if not isinstance(request, dict) or not isinstance(request.get("method"), str):
        return _encode(_error(None, -32600, "Invalid Request"))
    request_id = request.get("id")
    method = METHODS.get(request["method"])
    if method is None:
        return _encode(_error(request_id, -32601, "method not found"))
    params = request.get("params")
    args: list[Any] = list(params) if isinstance(params, list) else []
    kwargs: dict[str, Any] = {}
    if isinstance(params, dict) and params:
        kwargs = {k: v for k, v in params.items() if k != "http_timeout"}
    try:
        inspect.signature(method).bind(ctx, *args, **kwargs)
    except TypeError as exc:
        return _encode(_error(request_id, -32602, f"Invalid params: {exc}"))
    try:
        result = method(ctx, *args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
    except RpcError as exc:
        return _encode(_error(request_id, exc.code, exc.message, exc.data))
    except Exception as exc:  # a model bug becomes an error reply, as an uncaught exception would
        log.exception("jsonrpc %s failed", request["method"])
        return _encode(_error(request_id, ERROR_CODE_BASE, f"java.lang.RuntimeException: {exc}"))
    return _encode({"jsonrpc": "2.0", "id": request_id, "result": result})


def _encode(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")
