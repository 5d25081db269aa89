"""CONTRACT.md, Contract.kt and harness/app/contract.py name the same things.

The test reads all three: CONTRACT.md's headings and tables, Contract.kt through the Kotlin
grammar (constants and lists evaluated), and the Python module.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

from harness.app import contract
from harness.app import static_checks as sc
from tests.static.conftest import messages

MD = sc.SAMPLE_APP_DIR / sc.CONTRACT_MD
KT = sc.SAMPLE_APP_DIR / sc.CONTRACT_KT


def python_copy(**changes: object) -> SimpleNamespace:
    values = {k: getattr(contract, k) for k in dir(contract) if k.isupper()}
    values.update(changes)
    return SimpleNamespace(**values)


def test_the_three_copies_agree():
    assert sc.check_contract_names(MD, KT, contract) == []


def test_contract_md_is_read_completely():
    md = sc.read_contract_md(MD)
    assert md.identity["contract version"] == "1"
    assert md.identity["control authority"] == "dev.harness.sample.control"
    assert md.result_key == "result"
    assert md.methods[0] == "ping" and md.methods[-1] == "reset" and len(md.methods) == 13
    assert md.columns[0] == "seq" and md.columns[-1] == "detail" and len(md.columns) == 15
    assert len(md.events) == 16 and "timeout" in md.events
    assert md.sources == ["workmanager", "jobscheduler", "alarm", "service", "inprocess", "app"]
    assert md.foreground_service_types == ["dataSync", "specialUse", "shortService"]
    assert "android.permission.SCHEDULE_EXACT_ALARM" in md.permissions
    assert md.forbidden_permissions == ["android.permission.USE_EXACT_ALARM"]


def test_kotlin_constants_are_evaluated():
    kt = sc.read_kotlin_contract(KT)
    assert kt["CONTRACT_VERSION"] == contract.CONTRACT_VERSION
    assert kt["LOG_TAG"] == "HarnessSample"
    assert kt["METHODS"] == list(contract.METHODS)
    assert kt["EVENT_COLUMNS"] == list(contract.EVENT_COLUMNS)


def test_a_method_missing_from_the_kotlin_list_is_reported(app_copy: Path, edit):
    kt = app_copy / sc.CONTRACT_KT
    edit(kt, "        METHOD_RESET,\n    )", "    )")
    findings = sc.check_contract_names(app_copy / sc.CONTRACT_MD, kt, contract)
    assert any("METHODS" in f.message and "'reset'" in f.message for f in findings), \
        messages(findings)


def test_a_changed_kotlin_value_is_reported(app_copy: Path, edit):
    kt = app_copy / sc.CONTRACT_KT
    edit(kt, 'const val LOG_TAG = "HarnessSample"', 'const val LOG_TAG = "HarnessSampl"')
    edit(kt, "const val CONTRACT_VERSION = 1", "const val CONTRACT_VERSION = 2")
    edit(kt, 'const val COL_NETWORK = "network"', 'const val COL_NETWORK = "net"')
    findings = messages(sc.check_contract_names(app_copy / sc.CONTRACT_MD, kt, contract))
    assert "LOG_TAG" in findings and "'HarnessSampl'" in findings
    assert "CONTRACT_VERSION" in findings
    assert "EVENT_COLUMNS" in findings and "'net'" in findings


def test_a_method_missing_from_contract_md_is_reported(app_copy: Path, edit):
    md = app_copy / sc.CONTRACT_MD
    edit(md, "#### `cancel_alarm`", "#### cancel the alarm")
    findings = sc.check_contract_names(md, app_copy / sc.CONTRACT_KT, contract)
    # The Kotlin and Python lists now name a method CONTRACT.md does not document.
    text = messages(findings)
    assert "METHODS: only in Contract.kt: ['cancel_alarm']" in text
    assert "METHODS: only in contract.py: ['cancel_alarm']" in text


def test_an_event_row_missing_from_contract_md_is_reported(app_copy: Path, edit):
    md = app_copy / sc.CONTRACT_MD
    edit(md, "| `timeout` | `service` |", "| `time_out` | `service` |")
    findings = messages(sc.check_contract_names(md, app_copy / sc.CONTRACT_KT, contract))
    assert "EVENTS" in findings and "time_out" in findings


def test_a_python_difference_is_reported():
    py = python_copy(AUTHORITY="dev.harness.other", METHODS=contract.METHODS[:-1],
                     PERMISSIONS=contract.PERMISSIONS[1:])
    findings = messages(sc.check_contract_names(MD, KT, py))
    assert "AUTHORITY" in findings and "dev.harness.other" in findings
    assert "METHODS" in findings and "'reset'" in findings
    assert "PERMISSIONS" in findings and "RECEIVE_BOOT_COMPLETED" in findings


def test_an_unreadable_contract_md_layout_is_reported(tmp_path: Path):
    md = tmp_path / "CONTRACT.md"
    shutil.copy(MD, md)
    md.write_text(md.read_text().replace("### Methods", "### Calls"))
    findings = messages(sc.check_contract_names(md, KT, contract))
    assert "METHODS: nothing found in CONTRACT.md" in findings
