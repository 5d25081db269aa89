"""The GitHub workflows pass actionlint and the workflow schema, and do what the README says."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.app import static_checks as sc
from tests.static.conftest import messages

needs_actionlint = pytest.mark.skipif(
    sc.actionlint_binary() is None,
    reason="actionlint is not installed (the dev extra ships it for Linux only)")


def test_both_workflows_exist():
    names = {p.name for p in sc.workflow_files()}
    assert {"ci.yml", "nightly-emulator.yml"} <= names


@needs_actionlint
def test_actionlint_passes():
    assert sc.check_actionlint() == []


@needs_actionlint
def test_actionlint_reports_a_broken_workflow(workflows_copy: Path, edit):
    edit(workflows_copy / "nightly-emulator.yml", "runs-on: ubuntu-latest", "runs-on: [")
    edit(workflows_copy / "ci.yml", "${{ matrix.python-version }}\n",
         "${{ matrix.python_version }}\n")
    findings = sc.check_actionlint(workflows_copy)
    where = messages(findings)
    assert "nightly-emulator.yml" in where and "ci.yml" in where
    assert any("python_version" in f.message for f in findings), where


def test_the_workflows_match_the_github_schema():
    assert sc.check_workflow_schema() == []


def test_the_schema_check_reports_an_invalid_workflow(workflows_copy: Path, edit):
    edit(workflows_copy / "ci.yml", "    timeout-minutes: 60\n", "    timeout-minutes: sixty\n")
    edit(workflows_copy / "nightly-emulator.yml", "jobs:\n", "jobz:\n")
    findings = messages(sc.check_workflow_schema(workflows_copy))
    assert "ci.yml" in findings and "nightly-emulator.yml" in findings


def test_the_workflows_do_what_the_readme_says():
    assert sc.check_workflow_contents() == []


def test_ci_must_run_the_ci_script(workflows_copy: Path, edit):
    edit(workflows_copy / "ci.yml", "run: bash .ci/run", "run: pytest")
    assert "no step runs .ci/run" in messages(sc.check_workflow_contents(workflows_copy))


def test_nightly_needs_its_api_levels_kvm_and_artifacts(workflows_copy: Path, edit):
    nightly = workflows_copy / "nightly-emulator.yml"
    edit(nightly, "api-level: [30, 34, 35]", "api-level: [30, 34]")
    edit(nightly, "      - name: Enable KVM\n", "      - name: Prepare\n")
    text = nightly.read_text()
    nightly.write_text(text.replace("kvm", "xyz").replace("KVM", "XYZ"))
    edit(nightly, "        if: always()\n", "")
    findings = messages(sc.check_workflow_contents(workflows_copy))
    assert "API levels are [30, 34], expected [30, 34, 35]" in findings
    assert "no step enables KVM" in findings
    assert "uploaded also when the tests fail" in findings


def test_nightly_must_run_the_device_suite_on_the_emulator(workflows_copy: Path, edit):
    edit(workflows_copy / "nightly-emulator.yml", "--serial emulator-5554 --app-apk",
         "--serial emulator-5556 --app-apk")
    assert "does not run `pytest tests/device --serial emulator-5554" in messages(
        sc.check_workflow_contents(workflows_copy))


def test_nightly_must_build_the_apk_first(workflows_copy: Path, edit):
    edit(workflows_copy / "nightly-emulator.yml", "run: .venv/bin/harness app build",
         "run: echo skipped")
    assert "the APK is not built before the tests" in messages(
        sc.check_workflow_contents(workflows_copy))
