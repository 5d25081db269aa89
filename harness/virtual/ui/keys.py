"""Android key codes (android.view.KeyEvent) and the key names uiautomator2's pressKey knows."""

from __future__ import annotations

KEYCODE_UNKNOWN = 0
KEYCODE_HOME = 3
KEYCODE_BACK = 4
KEYCODE_DPAD_CENTER = 23
KEYCODE_POWER = 26
KEYCODE_ENTER = 66
KEYCODE_DEL = 67
KEYCODE_MENU = 82
KEYCODE_NOTIFICATION = 83
KEYCODE_FORWARD_DEL = 112
KEYCODE_APP_SWITCH = 187
KEYCODE_SLEEP = 223
KEYCODE_WAKEUP = 224

# KeyEvent.KEYCODE_* (names without the prefix), from frameworks/base/core/java/android/view/
# KeyEvent.java; the set covers what shell scripts and test tools send.
_NAMED = {
    "UNKNOWN": 0,
    "SOFT_LEFT": 1,
    "SOFT_RIGHT": 2,
    "HOME": 3,
    "BACK": 4,
    "CALL": 5,
    "ENDCALL": 6,
    "STAR": 17,
    "POUND": 18,
    "DPAD_UP": 19,
    "DPAD_DOWN": 20,
    "DPAD_LEFT": 21,
    "DPAD_RIGHT": 22,
    "DPAD_CENTER": 23,
    "VOLUME_UP": 24,
    "VOLUME_DOWN": 25,
    "POWER": 26,
    "CAMERA": 27,
    "CLEAR": 28,
    "COMMA": 55,
    "PERIOD": 56,
    "ALT_LEFT": 57,
    "ALT_RIGHT": 58,
    "SHIFT_LEFT": 59,
    "SHIFT_RIGHT": 60,
    "TAB": 61,
    "SPACE": 62,
    "SYM": 63,
    "EXPLORER": 64,
    "ENVELOPE": 65,
    "ENTER": 66,
    "DEL": 67,
    "GRAVE": 68,
    "MINUS": 69,
    "EQUALS": 70,
    "LEFT_BRACKET": 71,
    "RIGHT_BRACKET": 72,
    "BACKSLASH": 73,
    "SEMICOLON": 74,
    "APOSTROPHE": 75,
    "SLASH": 76,
    "AT": 77,
    "NUM": 78,
    "HEADSETHOOK": 79,
    "FOCUS": 80,
    "PLUS": 81,
    "MENU": 82,
    "NOTIFICATION": 83,
    "SEARCH": 84,
    "MEDIA_PLAY_PAUSE": 85,
    "MEDIA_STOP": 86,
    "MEDIA_NEXT": 87,
    "MEDIA_PREVIOUS": 88,
    "MEDIA_REWIND": 89,
    "MEDIA_FAST_FORWARD": 90,
    "MUTE": 91,
    "PAGE_UP": 92,
    "PAGE_DOWN": 93,
    "ESCAPE": 111,
    "FORWARD_DEL": 112,
    "CTRL_LEFT": 113,
    "CTRL_RIGHT": 114,
    "MOVE_HOME": 122,
    "MOVE_END": 123,
    "MEDIA_PLAY": 126,
    "MEDIA_PAUSE": 127,
    "VOLUME_MUTE": 164,
    "INFO": 165,
    "SETTINGS": 176,
    "APP_SWITCH": 187,
    "ASSIST": 219,
    "BRIGHTNESS_DOWN": 220,
    "BRIGHTNESS_UP": 221,
    "SLEEP": 223,
    "WAKEUP": 224,
    "VOICE_ASSIST": 231,
    "SOFT_SLEEP": 276,
    "SYSTEM_NAVIGATION_UP": 280,
    "SYSTEM_NAVIGATION_DOWN": 281,
    "ALL_APPS": 284,
}
_NAMED.update({str(d): 7 + d for d in range(10)})
_NAMED.update({chr(ord("A") + i): 29 + i for i in range(26)})

KEYCODES: dict[str, int] = {f"KEYCODE_{name}": code for name, code in _NAMED.items()}
_NAMES_BY_CODE = {code: name for name, code in KEYCODES.items()}


def keycode_from_string(text: str) -> int:
    """KeyEvent.keyCodeFromString: ``KEYCODE_HOME``, ``HOME`` (API 29+ drops the prefix) or a
    number; anything else is KEYCODE_UNKNOWN (0), which ``input keyevent`` injects silently."""
    text = text.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    upper = text.upper()
    if upper in KEYCODES:
        return KEYCODES[upper]
    return KEYCODES.get(f"KEYCODE_{upper}", KEYCODE_UNKNOWN)


def keycode_name(code: int) -> str:
    return _NAMES_BY_CODE.get(code, str(code))


def char_for_keycode(code: int) -> str | None:
    """The character a letter/digit/space key types (lower case, no meta state)."""
    if 29 <= code <= 54:
        return chr(ord("a") + code - 29)
    if 7 <= code <= 16:
        return str(code - 7)
    return {62: " ", 55: ",", 56: ".", 69: "-", 70: "=", 76: "/", 77: "@", 81: "+"}.get(code)


# AutomatorServiceImpl.pressKey: the names uiautomator2's d.press("...") accepts.
U2_KEY_NAMES = {
    "home": KEYCODE_HOME,
    "back": KEYCODE_BACK,
    "left": 21,
    "right": 22,
    "up": 19,
    "down": 20,
    "center": KEYCODE_DPAD_CENTER,
    "menu": KEYCODE_MENU,
    "search": 84,
    "enter": KEYCODE_ENTER,
    "delete": KEYCODE_DEL,
    "del": KEYCODE_DEL,
    "recent": KEYCODE_APP_SWITCH,
    "volume_up": 24,
    "volume_down": 25,
    "volume_mute": 164,
    "camera": 27,
    "power": KEYCODE_POWER,
}
