"""Screenshots of the screen model: PNG (``screencap -p``), JPEG (uiautomator2) or raw RGBA.

The picture is schematic but faithful to the node tree: each window's backgrounds, every
node's text where the node is, app icons as colored discs, outlines around clickable nodes.
That is enough for a screenshot attached to a failed test to show what was on screen. A
screen that is off is black, as SurfaceFlinger composes nothing for a display in state OFF.

Pillow comes with uiautomator2; it is imported only when a picture is taken.
"""

from __future__ import annotations

import io
import struct
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from harness.virtual.ui.node import UiNode

if TYPE_CHECKING:
    from harness.virtual.ui.screens import Screen

# screencap.cpp: HAL_PIXEL_FORMAT_RGBA_8888 and the dataspace word (added in Android 10).
PIXEL_FORMAT_RGBA_8888 = 1
DATASPACE_SRGB = 0x8C20000


@lru_cache(maxsize=16)
def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def _rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def _luma(rgb: tuple[int, int, int]) -> float:
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]


def render_image(screen: Screen) -> Any:
    """A PIL RGB image of the screen at its logical size."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (max(1, screen.width), max(1, screen.height)), (0, 0, 0))
    if not screen.screen_on:
        return image
    draw = ImageDraw.Draw(image)
    density_scale = screen.width / 1080
    for window in screen.windows:
        _draw_node(draw, window.root, (255, 255, 255), density_scale, screen.width)
    return image


def _draw_node(
    draw: Any, node: UiNode, behind: tuple[int, int, int], scale: float, full_width: int
) -> None:
    if not node.visible:
        return
    r = node.rect
    box = (r.left, r.top, max(r.left, r.right - 1), max(r.top, r.bottom - 1))
    if node.background:
        behind = _rgb(node.background)
        if r.width >= full_width:  # bars and window backgrounds are square, cards round
            draw.rectangle(box, fill=behind)
        else:
            draw.rounded_rectangle(box, radius=int(16 * scale), fill=behind)
    elif node.clickable and not node.icon and r.width > 0 and r.height > 0:
        draw.rectangle(box, outline=(128, 128, 128), width=max(1, int(2 * scale)))
    text_top = r.top
    if node.icon:
        size = int(min(r.width, r.height) * 0.5)
        cx = (r.left + r.right) // 2
        top = r.top + max(0, (r.height - size) // 4)
        draw.ellipse((cx - size // 2, top, cx + size // 2, top + size), fill=_rgb(node.icon))
        initial = (node.text or node.content_desc or "?")[:1].upper()
        font = _font(max(8, size // 2))
        draw.text((cx, top + size // 2), initial, fill=(255, 255, 255), font=font, anchor="mm")
        text_top = top + size + int(8 * scale)
    # Text, else a leaf's description (image buttons, app icons) so every control is labelled.
    text = node.text or ("" if node.children else node.content_desc)
    if text and r.width > 0:
        color = (
            _rgb(node.text_color)
            if node.text_color
            else ((0, 0, 0) if _luma(behind) > 128 else (255, 255, 255))
        )
        font_size = max(10, min(int(40 * scale), max(10, (r.bottom - text_top) * 2 // 3)))
        font = _font(font_size)
        if node.icon:
            draw.text(
                ((r.left + r.right) // 2, text_top),
                _fit(draw, text, font, r.width),
                fill=color,
                font=font,
                anchor="ma",
            )
        else:
            y = text_top + max(0, (r.bottom - text_top - font_size) // 2)
            draw.text(
                (r.left + int(12 * scale), y),
                _fit(draw, text, font, r.width - int(24 * scale)),
                fill=color,
                font=font,
            )
    for child in node.children:
        _draw_node(draw, child, behind, scale, full_width)


def _fit(draw: Any, text: str, font: Any, width: int) -> str:
    """Ellipsize text that does not fit the node (TextView's ellipsize=end)."""
    if width <= 0 or draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def encode_png(screen: Screen) -> bytes:
    buf = io.BytesIO()
    # Flat colors compress well at the fastest level; real screencap uses libpng defaults.
    render_image(screen).save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def encode_jpeg(screen: Screen, quality: int = 80, scale: float = 1.0) -> bytes:
    image = render_image(screen)
    if 0 < scale < 1:
        image = image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=max(1, min(100, int(quality))))
    return buf.getvalue()


def encode_raw(screen: Screen, api_level: int) -> bytes:
    """``screencap`` without ``-p``: width, height, format[, dataspace] then RGBA pixels."""
    image = render_image(screen).convert("RGBA")
    header = struct.pack("<III", image.width, image.height, PIXEL_FORMAT_RGBA_8888)
    if api_level >= 29:
        header += struct.pack("<I", DATASPACE_SRGB)
    return header + image.tobytes()
