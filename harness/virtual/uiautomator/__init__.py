"""The uiautomator2 server as seen over ``tcp:9008``: HTTP per stream, JSON-RPC over the UI model.

``app_process`` (``harness.virtual.shell.commands.ui``) runs :class:`UiAutomatorServer`; the
methods live in :mod:`harness.virtual.uiautomator.rpc`.
"""

from harness.virtual.uiautomator.server import DEFAULT_PORT, MAIN_CLASS, UiAutomatorServer

__all__ = ["DEFAULT_PORT", "MAIN_CLASS", "UiAutomatorServer"]
