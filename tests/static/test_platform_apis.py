"""The app uses the platform APIs and version rules the contract relies on."""

from __future__ import annotations

from pathlib import Path

from harness.app import static_checks as sc
from tests.static.conftest import SOURCE, messages


def test_the_platform_apis_are_used():
    assert sc.check_platform_apis(sc.SAMPLE_APP_DIR) == []


def test_a_removed_android15_timeout_is_reported(app_copy: Path, edit):
    edit(app_copy / SOURCE / "SampleForegroundService.kt",
         "    override fun onTimeout(startId: Int, fgsType: Int) {\n"
         "        onForegroundTimeout(startId, fgsType)\n    }\n", "")
    assert "no onTimeout(startId, fgsType)" in messages(sc.check_platform_apis(app_copy))


def test_a_missing_exact_alarm_check_is_reported(app_copy: Path, edit):
    alarms = app_copy / SOURCE / "AlarmControl.kt"
    edit(alarms, "            alarmManager.canScheduleExactAlarms()\n", "            true\n")
    edit(app_copy / SOURCE / "DeviceState.kt",
         "context.getSystemService(AlarmManager::class.java).canScheduleExactAlarms()", "true")
    assert "canScheduleExactAlarms is never used" in messages(sc.check_platform_apis(app_copy))


def test_an_ungated_api_is_reported(app_copy: Path, edit):
    edit(app_copy / SOURCE / "DeviceState.kt",
         "            val lightIdle = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {",
         "            val lightIdle = if (true) {")
    findings = messages(sc.check_platform_apis(app_copy))
    assert "isDeviceLightIdleMode is used without a Build.VERSION_CODES.TIRAMISU check" in findings


def test_the_workmanager_job_id_range_the_library_refuses_is_reported(app_copy: Path, edit):
    # Configuration.Builder.setJobSchedulerJobIdRange throws unless max - min >= 1000.
    edit(app_copy / SOURCE / "SampleApp.kt",
         "const val WORKMANAGER_JOB_ID_MIN = Contract.WORKMANAGER_JOB_ID_MAX - 1000",
         "const val WORKMANAGER_JOB_ID_MIN = 0")
    assert "spans 999 ids; WorkManager requires max - min >= 1000" in messages(
        sc.check_platform_apis(app_copy))


def test_a_job_id_range_overlapping_the_app_is_reported(app_copy: Path, edit):
    edit(app_copy / SOURCE / "SampleApp.kt",
         ".setJobSchedulerJobIdRange(WORKMANAGER_JOB_ID_MIN, Contract.WORKMANAGER_JOB_ID_MAX)",
         ".setJobSchedulerJobIdRange(0, 1000)")
    findings = messages(sc.check_platform_apis(app_copy))
    assert "overlap the app's 1000..1999" in findings
    assert "end at 1000, not at WORKMANAGER_JOB_ID_MAX=999" in findings


def test_a_todo_is_reported(app_copy: Path, edit):
    edit(app_copy / SOURCE / "InProcessWork.kt", "        return active.size",
         '        TODO("count")')
    assert "TODO() placeholder" in messages(sc.check_platform_apis(app_copy))


def test_comments_do_not_count_as_code(app_copy: Path, edit):
    worker = app_copy / SOURCE / "SampleWorker.kt"
    text = worker.read_text()
    worker.write_text(text.replace("setForeground(info)", "// setForeground(info)"))
    findings = messages(sc.check_platform_apis(app_copy))
    assert "setForeground is never used" in findings
