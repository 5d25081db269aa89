"""The control provider dispatches every contract method to code that exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.app import contract
from harness.app import static_checks as sc
from tests.static.conftest import messages

PROVIDER = sc.PROVIDER_KT


def test_every_contract_method_is_dispatched():
    assert sc.check_provider_dispatch(sc.SAMPLE_APP_DIR) == []


@pytest.mark.parametrize("method", ["reset", "schedule_alarm", "start_foreground_service"])
def test_a_removed_branch_is_reported(app_copy: Path, edit, method: str):
    provider = app_copy / PROVIDER
    const = "METHOD_" + method.upper()
    line = next(ln for ln in provider.read_text().splitlines(keepends=True)
                if f"Contract.{const} ->" in ln)
    edit(provider, line, "")
    findings = sc.check_provider_dispatch(app_copy)
    assert any(f"contract method {method!r} is not dispatched" in f.message for f in findings), \
        messages(findings)


def test_a_placeholder_branch_is_reported(app_copy: Path, edit):
    edit(app_copy / PROVIDER, "Contract.METHOD_CANCEL_JOB -> JobControl(context).cancelJob(args)",
         'Contract.METHOD_CANCEL_JOB -> TODO("cancel_job")')
    findings = messages(sc.check_provider_dispatch(app_copy))
    assert "'cancel_job' is a placeholder" in findings


def test_a_branch_answering_unknown_method_is_reported(app_copy: Path, edit):
    edit(app_copy / PROVIDER, "Contract.METHOD_STATE -> Results.ok(",
         "Contract.METHOD_STATE -> unknownMethod(method) ?: Results.ok(")
    assert "'state' answers unknown_method" in messages(sc.check_provider_dispatch(app_copy))


def test_a_handler_that_no_longer_exists_is_reported(app_copy: Path, edit):
    edit(app_copy / sc.SOURCE_DIR / "AlarmControl.kt", "fun cancelAlarm(args: Args)",
         "fun cancelAlarms(args: Args)")
    findings = messages(sc.check_provider_dispatch(app_copy))
    assert "'cancel_alarm' calls cancelAlarm(), which no Kotlin file" in findings


def test_an_extra_method_is_reported(app_copy: Path, edit):
    edit(app_copy / PROVIDER, "                else -> unknownMethod(method)",
         '                "reboot" -> ping(context)\n                else -> unknownMethod(method)')
    assert "dispatches 'reboot', which is not a contract method" in messages(
        sc.check_provider_dispatch(app_copy))


def test_the_checker_follows_the_python_contract(app_copy: Path):
    class Extended:
        METHODS = (*contract.METHODS, "snapshot")

    findings = sc.check_provider_dispatch(app_copy, Extended)
    assert "contract method 'snapshot' is not dispatched" in messages(findings)
