"""The node type of the screen model: one view as UiAutomator sees it.

A :class:`UiNode` carries exactly what ``AccessibilityNodeInfo`` exposes to UiAutomator (the
attributes of a ``uiautomator dump``), plus a few host-side extras that never reach the XML:
``on_click`` / ``on_set_text`` callbacks, so a model can react to input, and rendering hints
(``background``, ``text_color``, ``icon``) for screenshots.

Nodes without ``bounds`` are laid out by :func:`layout` as a vertical LinearLayout would:
each takes the parent's width and either one row (:data:`ROW_HEIGHT`) or, with children, the
sum of its children's heights.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

ROW_HEIGHT = 168  # 64 dp at 420 dpi: a two-line list item (Material list spec)


@dataclass(frozen=True)
class Rect:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def center(self) -> tuple[int, int]:
        return (self.left + self.right) // 2, (self.top + self.bottom) // 2

    def contains(self, x: float, y: float) -> bool:
        return self.left <= x < self.right and self.top <= y < self.bottom

    def intersect(self, other: Rect) -> Rect:
        left, top = max(self.left, other.left), max(self.top, other.top)
        right, bottom = min(self.right, other.right), min(self.bottom, other.bottom)
        if right <= left or bottom <= top:
            return Rect(0, 0, 0, 0)
        return Rect(left, top, right, bottom)

    @property
    def empty(self) -> bool:
        return self.width <= 0 or self.height <= 0

    def short(self) -> str:
        """``[l,t][r,b]`` as Rect.toShortString, the form of the ``bounds`` attribute."""
        return f"[{self.left},{self.top}][{self.right},{self.bottom}]"

    def as_dict(self) -> dict[str, int]:
        return {"left": self.left, "top": self.top, "right": self.right, "bottom": self.bottom}


@dataclass(eq=False)
class UiNode:
    """One view. App models build these in ``AppModel.ui_nodes(activity)``.

    ``package`` may be left empty (the owning window's package is filled in); ``bounds`` may be
    left ``None`` (see :func:`layout`). ``on_click`` runs when a tap lands on the node (the node
    must be ``clickable``); ``on_set_text`` receives text typed or set into it (EditText).
    """

    text: str = ""
    resource_id: str = ""
    class_name: str = "android.view.View"
    package: str = ""
    content_desc: str = ""
    bounds: Rect | None = None
    checkable: bool = False
    checked: bool = False
    clickable: bool = False
    enabled: bool = True
    focusable: bool = False
    focused: bool = False
    scrollable: bool = False
    long_clickable: bool = False
    password: bool = False
    selected: bool = False
    visible: bool = True
    children: list[UiNode] = field(default_factory=list)
    on_click: Callable[[], object] | None = field(default=None, repr=False)
    on_set_text: Callable[[str], object] | None = field(default=None, repr=False)
    # rendering hints (screenshots only): "#rrggbb" colors; ``icon`` draws a round app icon
    background: str | None = field(default=None, repr=False)
    text_color: str | None = field(default=None, repr=False)
    icon: str | None = field(default=None, repr=False)
    # set by finalize(): position in the tree
    index: int = field(default=0, repr=False)
    parent: UiNode | None = field(default=None, repr=False)
    path: str = field(default="0", repr=False)

    @property
    def editable(self) -> bool:
        return self.class_name.endswith("EditText")

    @property
    def rect(self) -> Rect:
        return self.bounds if self.bounds is not None else Rect(0, 0, 0, 0)

    @property
    def key(self) -> str:
        """An identity that survives rebuilding the same screen: tree path and resource id."""
        return f"{self.path}:{self.resource_id}"

    def walk(self) -> Iterator[UiNode]:
        """This node and its descendants in document (pre-)order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def descendants(self) -> Iterator[UiNode]:
        for child in self.children:
            yield from child.walk()

    def clone(self) -> UiNode:
        """A copy of the subtree (callbacks shared), so layout never mutates a model's nodes."""
        return replace(self, children=[c.clone() for c in self.children], parent=None)


def measure(node: UiNode) -> int:
    if node.bounds is not None:
        return node.bounds.height
    if node.children:
        return sum(measure(c) for c in node.children)
    return ROW_HEIGHT


def layout(node: UiNode, area: Rect) -> None:
    """Give ``node`` (if unplaced) ``area``'s width and its measured height, then its children."""
    if node.bounds is None:
        node.bounds = Rect(area.left, area.top, area.right, area.top + measure(node))
    top = node.bounds.top
    for child in node.children:
        if child.bounds is None:
            height = measure(child)
            layout(child, Rect(node.bounds.left, top, node.bounds.right, top + height))
            top += height
        else:
            layout(child, child.bounds)


def stack(nodes: list[UiNode], area: Rect) -> None:
    """Lay out top-level nodes one under the other inside ``area``."""
    top = area.top
    for node in nodes:
        if node.bounds is None:
            height = measure(node)
            layout(node, Rect(area.left, top, area.right, top + height))
            top += height
        else:
            layout(node, node.bounds)


def finalize(root: UiNode, package: str, screen: Rect) -> None:
    """Fill in indexes, parents, paths, missing packages, and visibility against the screen."""

    def visit(node: UiNode, parent: UiNode | None, index: int, path: str) -> None:
        node.parent = parent
        node.index = index
        node.path = path
        if not node.package:
            node.package = parent.package if parent is not None else package
        if node.bounds is None:
            node.bounds = parent.rect if parent is not None else screen
        # Android reports the visible part of the bounds and hides what is off screen
        # (AccessibilityNodeInfoHelper.getVisibleBoundsInScreen).
        visible = node.bounds.intersect(screen)
        if visible.empty:
            node.visible = False
        else:
            node.bounds = visible
        if parent is not None and not parent.visible:
            node.visible = False
        for i, child in enumerate(node.children):
            visit(child, node, i, f"{path}/{i}")

    visit(root, None, 0, "0")
