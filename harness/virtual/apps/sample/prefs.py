"""SharedPreferences of the app: ``shared_prefs/<name>.xml`` in its data directory.

The file is what SharedPreferencesImpl writes (XmlUtils.writeMapXml through FastXmlSerializer:
an XML declaration with ``standalone='yes'``, a ``<map>`` of ``<string name="...">`` entries,
``&``, ``<``, ``>`` and ``"`` escaped; an empty map is ``<map />``), with the MODE_PRIVATE
permissions ContextImpl gives it (``-rw-rw----``, owned by the app), so ``run-as <pkg> cat``
reads the same text as on a phone. It lives in the device's file system: it survives the
process and reboots, and goes with ``pm clear`` or an uninstall. Only string values are
modelled (the app stores nothing else).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from harness.virtual.fs import FsError

if TYPE_CHECKING:
    from harness.virtual.apps.sample.app import SampleAppModel

HEADER = "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n"
_ESCAPES = {'"': "&quot;"}


class SharedPreferences:
    """``context.getSharedPreferences(name, MODE_PRIVATE)``: getAll, getString and an editor
    whose ``apply()`` writes at once."""

    def __init__(self, app: SampleAppModel, name: str) -> None:
        self.app = app
        self.dir = f"{app.package.data_dir}/shared_prefs"
        self.path = f"{self.dir}/{name}.xml"

    def all(self) -> dict[str, str]:
        """getAll(): the stored strings, in file order (a missing or unreadable file is an
        empty map, as SharedPreferencesImpl.loadFromDisk treats it)."""
        fs = self.app.device.fs
        try:
            text = fs.read_file(self.path).decode()
            root = ET.fromstring(text)
        except (FsError, ET.ParseError, UnicodeDecodeError):
            return {}
        return {e.get("name", ""): e.text or "" for e in root.iter("string")}

    def get(self, key: str) -> str | None:
        return self.all().get(key)

    def put(self, key: str, value: str) -> None:
        """``edit().putString(key, value).apply()``."""
        values = self.all()
        values[key] = value
        self._write(values)

    def remove(self, key: str) -> None:
        """``edit().remove(key).apply()``."""
        values = self.all()
        if values.pop(key, None) is not None:
            self._write(values)

    def _write(self, values: dict[str, str]) -> None:
        fs = self.app.device.fs
        uid = self.app.package.uid
        if values:
            body = "<map>\n" + "".join(
                f"    <string name={quoteattr(k, _ESCAPES)}>{escape(v, _ESCAPES)}</string>\n"
                for k, v in values.items()
            ) + "</map>\n"
        else:
            body = "<map />\n"
        try:
            if not fs.exists(self.dir):
                # ContextImpl.getPreferencesDir: created on demand, rwxrwx--x.
                fs.mkdir(self.dir, uid=uid, mode=0o771)
            fs.write_file(self.path, (HEADER + body).encode(), uid=uid, mode=0o660)
        except FsError as exc:  # the data directory is gone (uninstalled while running)
            self.app.log("W", f"could not write {self.path}: {exc}")
