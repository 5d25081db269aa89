"""``cmd deviceidle`` and ``dumpsys deviceidle``: DeviceIdleController.onShellCommand and dump.

The shell half of :mod:`deviceidle` (it reads the controller's fields the way ``dump()`` does).
``dumpsys deviceidle ARGS`` hands the first non-dash argument and the rest to the shell command,
with errors on stdout and exit status 0 whatever the command returned; ``cmd deviceidle`` exits
with the command's result (-1 becomes 255) and prints exceptions on stderr
(BasicShellCommandHandler.exec).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.virtual.system.deviceidle_machine import (
    EVENT_LABELS,
    MIN_PRE_IDLE_FACTOR_CHANGE,
    SET_IDLE_FACTOR_RESULT_IGNORED,
    SET_IDLE_FACTOR_RESULT_NOT_SUPPORT,
    SET_IDLE_FACTOR_RESULT_OK,
    SET_IDLE_FACTOR_RESULT_UNINIT,
)
from harness.virtual.system.doze_constants import format_setting
from harness.virtual.system.javafmt import (
    JavaNumberFormatError,
    format_duration,
    format_time_relative,
    parse_java_int,
    parse_java_long,
)
from harness.virtual.system.packages import PackageManagerService

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation
    from harness.virtual.system.deviceidle import DeviceIdleController

# Callers holding android.permission.DUMP: root, system, shell.
_DUMP_UIDS = (0, 1000, 2000)

_HELP = """Device idle controller (deviceidle) commands:
  help
    Print this help text.
  step [light|deep]
    Immediately step to next state, without waiting for alarm.
  force-idle [light|deep]
    Force directly into idle mode, regardless of other device state.
  force-inactive
    Force to be inactive, ready to freely step idle states.
  unforce
    Resume normal functioning after force-idle or force-inactive.
  get [light|deep|force|screen|charging|network]
    Retrieve the current given state.
  disable [light|deep|all]
    Completely disable device idle mode.
  enable [light|deep|all]
    Re-enable device idle mode after it had previously been disabled.
  enabled [light|deep|all]
    Print 1 if device idle mode is currently enabled, else 0.
  whitelist
    Print currently whitelisted apps.
  whitelist [package ...]
    Add (prefix with +) or remove (prefix with -) packages.
  sys-whitelist [package ...|reset]
    Prefix the package with '-' to remove it from the system whitelist or '+' to put it back \
in the system whitelist.
    Note that only packages that were earlier removed from the system whitelist can be added \
back.
    reset will reset the whitelist to the original state
    Prints the system whitelist if no arguments are specified
  except-idle-whitelist [package ...|reset]
    Prefix the package with '+' to add it to whitelist or '=' to check if it is already \
whitelisted
    [reset] will reset the whitelist to it's original state
    Note that unlike <whitelist> cmd, changes made using this won't be persisted across boots
  tempwhitelist
    Print packages that are temporarily whitelisted.
  tempwhitelist [-u USER] [-d DURATION] [-r] [package]
    Temporarily place package in whitelist for DURATION milliseconds.
    If no DURATION is specified, 10 seconds is used
    If [-r] option is used, then the package is removed from temp whitelist and any [-d] is \
ignored
  motion
    Simulate a motion event to bring the device out of deep doze"""

_HELP_PRE_IDLE_FACTOR = """
  pre-idle-factor [0|1|2]
    Set a new factor to idle time before step to idle(inactive_to and idle_after_inactive_to)
  reset-pre-idle-factor
    Reset factor to idle time to default"""


def help_text(ctrl: DeviceIdleController) -> str:
    # dumpHelp: the pre-idle-factor commands exist from the Q/R-era source on.
    return _HELP + (_HELP_PRE_IDLE_FACTOR if ctrl.era.pre_idle_factor else "")


class _Args:
    """ShellCommand's argument cursor: getNextArg / getNextOption (``-d5000`` = ``-d 5000``)."""

    def __init__(self, args: list[str]) -> None:
        self._args = args
        self._pos = 0
        self._cur_data: str | None = None

    def next_arg(self) -> str | None:
        if self._cur_data is not None:
            arg, self._cur_data = self._cur_data, None
            return arg
        if self._pos < len(self._args):
            self._pos += 1
            return self._args[self._pos - 1]
        return None

    def next_option(self) -> str | None:
        if self._pos >= len(self._args):
            return None
        arg = self._args[self._pos]
        if not arg.startswith("-"):
            return None
        self._pos += 1
        if arg == "--":
            return None
        if len(arg) > 2 and arg[1] != "-":
            self._cur_data = arg[2:]
            return arg[:2]
        self._cur_data = None
        return arg


def shell_command(ctrl: DeviceIdleController, inv: Invocation, args: list[str]) -> int:
    return _exec(ctrl, inv, args, errors_to_stdout=False, user_id=0)


def dump(ctrl: DeviceIdleController, inv: Invocation, args: list[str]) -> int:
    """DeviceIdleController.dump: ``-h``, ``-a``, ``-u N``, else shell command or full dump."""
    if inv.uid not in _DUMP_UIDS:
        # DumpUtils.checkDumpPermission (the doubled "from" is in the source).
        inv.outln(
            "Permission Denial: can't dump DeviceIdleController from from pid="
            f"{inv.device.shell_pid()}, uid={inv.uid} due to missing android.permission.DUMP "
            "permission"
        )
        return 0
    user_id = 0
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-h":
            inv.outln(help_text(ctrl))
            return 0
        if arg == "-u":
            i += 1
            if i < len(args):
                try:
                    user_id = parse_java_int(args[i])
                except JavaNumberFormatError:
                    user_id = 0
        elif arg == "-a":
            pass  # "we always dump all"
        elif arg.startswith("-"):
            inv.outln(f"Unknown option: {arg}")
            return 0
        else:
            _exec(ctrl, inv, args[i:], errors_to_stdout=True, user_id=user_id)
            return 0
        i += 1
    _dump_state(ctrl, inv)
    return 0


def _exec(
    ctrl: DeviceIdleController,
    inv: Invocation,
    args: list[str],
    errors_to_stdout: bool,
    user_id: int,
) -> int:
    cursor = _Args(args)
    cmd = cursor.next_arg()
    try:
        return _on_command(ctrl, inv, cmd, cursor, user_id)
    except JavaNumberFormatError as exc:
        # BasicShellCommandHandler.exec prints the exception (stack frames not modelled).
        write = inv.outln if errors_to_stdout else inv.errln
        write("")
        write(f"Exception occurred while executing '{cmd}':")
        write(exc.java_message)
        return -1


def _states_line(ctrl: DeviceIdleController) -> str:
    return f"Light state: {ctrl.light_state}, deep state: {ctrl.deep_state}"


def _on_command(
    ctrl: DeviceIdleController,
    inv: Invocation,
    cmd: str | None,
    args: _Args,
    user_id: int,
) -> int:
    out = inv.outln
    era = ctrl.era
    if cmd == "step":
        mode = args.next_arg()
        if mode in (None, "deep"):
            out(f"Stepped to deep: {ctrl.shell_step(light=False)}")
        elif mode == "light":
            out(f"Stepped to light: {ctrl.shell_step(light=True)}")
        else:
            out(f"Unknown idle mode: {mode}")
        return 0
    if cmd == "force-active" and era.force_active:
        ctrl.shell_force_active()
        out(_states_line(ctrl))
        return 0
    if cmd == "force-idle":
        mode = args.next_arg()
        if mode in (None, "deep"):
            rc, message = ctrl.shell_force_idle_deep()
        elif mode == "light":
            rc, message = ctrl.shell_force_idle_light()
        else:
            rc, message = 0, f"Unknown idle mode: {mode}"
        out(message)
        return rc
    if cmd == "force-inactive":
        ctrl.shell_force_inactive()
        out(_states_line(ctrl))
        return 0
    if cmd == "unforce":
        ctrl.shell_unforce()
        out(_states_line(ctrl))
        return 0
    if cmd == "get":
        return _get(ctrl, inv, args.next_arg())
    if cmd == "disable":
        for line in ctrl.shell_disable(args.next_arg()):
            out(line)
        return 0
    if cmd == "enable":
        for line in ctrl.shell_enable(args.next_arg()):
            out(line)
        return 0
    if cmd == "enabled":
        mode = args.next_arg()
        if mode in (None, "all"):
            out("1" if ctrl.deep_enabled and ctrl.light_enabled else "0")
        elif mode == "deep":
            out("1" if ctrl.deep_enabled else "0")
        elif mode == "light":
            out("1" if ctrl.light_enabled else "0")
        else:
            out(f"Unknown idle mode: {mode}")
        return 0
    if cmd == "whitelist":
        return _whitelist(ctrl, inv, args)
    if cmd == "tempwhitelist":
        return _tempwhitelist(ctrl, inv, args, user_id)
    if cmd == "except-idle-whitelist":
        return _except_idle_whitelist(ctrl, inv, args)
    if cmd == "sys-whitelist":
        return _sys_whitelist(ctrl, inv, args)
    if cmd == "motion":
        ctrl.shell_motion()
        out(_states_line(ctrl))
        return 0
    if cmd == "pre-idle-factor" and era.pre_idle_factor:
        return _pre_idle_factor(ctrl, inv, args)
    if cmd == "reset-pre-idle-factor" and era.pre_idle_factor:
        ctrl.shell_reset_pre_idle_factor()
        return 0
    # ShellCommand.handleDefaultCommands: "dump" dumps; help and anything else return -1.
    if cmd == "dump":
        rest: list[str] = []
        while (arg := args.next_arg()) is not None:
            rest.append(arg)
        dump(ctrl, inv, rest)
        return 0
    if cmd is None or cmd in ("help", "-h"):
        out(help_text(ctrl))
    else:
        out(f"Unknown command: {cmd}")
    return -1


def _get(ctrl: DeviceIdleController, inv: Invocation, what: str | None) -> int:
    if what is None:
        inv.outln("Argument required")
        return 0
    values: dict[str, object] = {
        "light": ctrl.light_state,
        "deep": ctrl.deep_state,
        "force": ctrl.force_idle,
        "screen": ctrl.screen_on,
        "charging": ctrl.charging,
        "network": ctrl.network_connected,
    }
    if ctrl.era.quick_doze:
        values["quick"] = ctrl.quick_doze
    if what not in values:
        inv.outln(f"Unknown get option: {what}")
        return 0
    value = values[what]
    inv.outln(_java(value) if isinstance(value, bool) else str(value))
    return 0


def _whitelist(ctrl: DeviceIdleController, inv: Invocation, args: _Args) -> int:
    wl = ctrl.whitelist
    arg = args.next_arg()
    if arg is None:
        for name, aid in wl.ordered(wl.except_idle):
            inv.outln(f"system-excidle,{name},{aid}")
        for name, aid in wl.ordered(wl.system):
            inv.outln(f"system,{name},{aid}")
        for name, aid in wl.ordered(wl.user):
            inv.outln(f"user,{name},{aid}")
        return 0
    while arg is not None:
        if not arg or arg[0] not in "+-=":
            inv.outln(f"Package must be prefixed with +, -, or =: {arg}")
            return -1
        op, name = arg[0], arg[1:]
        if op == "+":
            if wl.add_user(name):
                ctrl.whitelist_changed(persist=True)
                inv.outln(f"Added: {name}")
            else:
                inv.outln(f"Unknown package: {name}")
        elif op == "-":
            if wl.remove_user(name):
                ctrl.whitelist_changed(persist=True)
                inv.outln(f"Removed: {name}")
        else:
            inv.outln(_java(name in wl.user))
        arg = args.next_arg()
    return 0


def _except_idle_whitelist(ctrl: DeviceIdleController, inv: Invocation, args: _Args) -> int:
    wl = ctrl.whitelist
    arg = args.next_arg()
    if arg is None:
        inv.outln("No arguments given")
        return -1
    if arg == "reset":
        if wl.reset_except_idle():
            ctrl.whitelist_changed(persist=False)
        return 0
    while arg is not None:
        if not arg or arg[0] not in "+-=":
            inv.outln(f"Package must be prefixed with +, -, or =: {arg}")
            return -1
        op, name = arg[0], arg[1:]
        if op == "+":
            known, added = wl.add_except_idle(name)
            if added:
                ctrl.whitelist_changed(persist=False)
            inv.outln(f"Added: {name}" if known else f"Unknown package: {name}")
        elif op == "=":
            inv.outln(_java(name in wl.except_idle))
        else:
            inv.outln(f"Unknown argument: {arg}")
            return -1
        arg = args.next_arg()
    return 0


def _sys_whitelist(ctrl: DeviceIdleController, inv: Invocation, args: _Args) -> int:
    wl = ctrl.whitelist
    arg = args.next_arg()
    if arg is None:
        for name, aid in wl.ordered(wl.system):
            inv.outln(f"{name},{aid}")
        return 0
    if arg == "reset":
        wl.reset_system()
        ctrl.whitelist_changed(persist=True)
        return 0
    while arg is not None:
        if not arg or arg[0] not in "+-":
            inv.outln(f"Package must be prefixed with + or - {arg}")
            return -1
        op, name = arg[0], arg[1:]
        if op == "+" and wl.restore_system(name):
            ctrl.whitelist_changed(persist=True)
            inv.outln(f"Restored {name}")
        elif op == "-" and wl.remove_system(name):
            ctrl.whitelist_changed(persist=True)
            inv.outln(f"Removed {name}")
        arg = args.next_arg()
    return 0


def _tempwhitelist(ctrl: DeviceIdleController, inv: Invocation, args: _Args, user_id: int) -> int:
    duration = 10_000  # "If no DURATION is specified, 10 seconds is used"
    remove = False
    while (opt := args.next_option()) is not None:
        if opt == "-u":
            value = args.next_arg()
            if value is None:
                inv.outln("-u requires a user number")
                return -1
            user_id = parse_java_int(value)
        elif opt == "-d":
            value = args.next_arg()
            if value is None:
                inv.outln("-d requires a duration")
                return -1
            duration = parse_java_long(value)
        elif opt == "-r":
            remove = True
    name = args.next_arg()
    if name is None:
        if remove:
            inv.outln("[-r] requires a package name")
            return -1
        _temp_schedule(ctrl, inv, title=False)
        return 0
    info = ctrl.system.service(PackageManagerService).get(name)
    # getPackageUidAsUser: an unknown package (or a user without it) is silently ignored.
    if info is None or user_id != 0:
        return 0
    if remove:
        ctrl.remove_temp_whitelist(name)
    else:
        ctrl.add_temp_whitelist_uid(info.uid, name, duration, "shell")
    return 0


def _pre_idle_factor(ctrl: DeviceIdleController, inv: Invocation, args: _Args) -> int:
    arg = args.next_arg()
    result = SET_IDLE_FACTOR_RESULT_UNINIT
    if arg is not None:
        try:
            mode = parse_java_int(arg)
        except JavaNumberFormatError:
            inv.outln(f"Unknown idle timeout factor,(error code: {result})")
            return 0
        result = ctrl.shell_pre_idle_factor(mode)
        if result == SET_IDLE_FACTOR_RESULT_OK:
            inv.outln(f"pre-idle-factor: {mode}")
            return 0
        if result == SET_IDLE_FACTOR_RESULT_NOT_SUPPORT:
            inv.outln("Deep idle not supported")
            return 0
        if result == SET_IDLE_FACTOR_RESULT_IGNORED:
            inv.outln("Idle timeout factor not changed")
            return 0
    inv.outln(f"Unknown idle timeout factor: {arg},(error code: {result})")
    return 0


def _temp_schedule(ctrl: DeviceIdleController, inv: Invocation, title: bool) -> None:
    # dumpTempWhitelistSchedule: keyed by app id, as SparseArray orders them.
    if not ctrl.temp_whitelist:
        return
    prefix = ""
    if title:
        inv.outln("  Temp whitelist schedule:")
        prefix = "    "
    now = ctrl.device.clock.elapsed_ms()
    for aid in sorted(ctrl.temp_whitelist):
        entry = ctrl.temp_whitelist[aid]
        when = format_time_relative(entry.end_elapsed_ms, now)
        inv.outln(f"{prefix}UID={aid}: {when} - {entry.reason}")


def _java(value: bool) -> str:
    return "true" if value else "false"


def _section(inv: Invocation, title: str, items: list[str] | list[int]) -> None:
    if items:
        inv.outln(f"  {title}:")
        for item in items:
            inv.outln(f"    {item}")


def _dump_state(ctrl: DeviceIdleController, inv: Invocation) -> None:
    era = ctrl.era
    c = ctrl  # the controller's fields, as dump() reads them
    now = ctrl.device.clock.elapsed_ms()
    out = inv.outln
    out("  Settings:")
    for key, value in era.settings:
        out(f"    {format_setting(key, value)}")
    if ctrl.events:
        out("  Idling history:")
        for event in reversed(ctrl.events):
            reason = f" ({event.reason})" if event.reason is not None else ""
            label = EVENT_LABELS.get(event.cmd, "         ??")
            out(f"    {label}: {format_time_relative(event.elapsed_ms, now)}{reason}")
    wl = ctrl.whitelist
    _section(inv, "Whitelist (except idle) system apps", [n for n, _ in wl.ordered(wl.except_idle)])
    _section(inv, "Whitelist system apps", [n for n, _ in wl.ordered(wl.system)])
    _section(
        inv, "Removed from whitelist system apps", [n for n, _ in wl.ordered(wl.removed_system)]
    )
    _section(inv, "Whitelist user apps", [n for n, _ in wl.ordered(wl.user)])
    _section(inv, "Whitelist (except idle) all app ids", wl.except_idle_app_ids())
    _section(inv, "Whitelist user app ids", wl.user_app_ids())
    _section(inv, "Whitelist all app ids", wl.all_app_ids())
    _temp_schedule(ctrl, inv, title=True)
    _section(inv, "Temp whitelist app ids", ctrl.temp_whitelist_app_ids())
    out(f"  mLightEnabled={_java(c.light_enabled)}  mDeepEnabled={_java(c.deep_enabled)}")
    out(f"  mForceIdle={_java(c.force_idle)}")
    sensor = c.motion_sensor or "null"
    if era.use_motion_sensor_line:
        out(f"  mUseMotionSensor={_java(c.use_motion_sensor)} mMotionSensor={sensor}")
    else:
        out(f"  mMotionSensor={sensor}")
    out(f"  mScreenOn={_java(c.screen_on)}")
    if era.keyguard:
        out(f"  mScreenLocked={_java(c.screen_locked)}")
    out(f"  mNetworkConnected={_java(c.network_connected)}")
    out(f"  mCharging={_java(c.charging)}")
    if era.emergency_line:
        out("  activeEmergencyCall=false")
    if c.use_motion_sensor:
        out(f"  mMotionActive={_java(c._motion_active)}")
        out(f"  mNotMoving={_java(c._not_moving)}")
        if era.motion_listener_lines:
            out(f"  mMotionListener.activatedTimeElapsed={c._motion_activated_elapsed}")
            out(f"  mLastMotionEventElapsed={c._last_motion_event_elapsed}")
            out("  0 stationary listeners registered")
    out(
        f"  mLocating={_java(c._locating)} mHasGps={_java(c._has_gps)} "
        f"mHasNetwork={_java(c._has_network_location)} mLocated={_java(c._located)}"
    )
    out(f"  mState={c.deep_state} mLightState={c.light_state}")
    out(f"  mInactiveTimeout={format_duration(c._inactive_timeout)}")
    if c._active_idle_op_count != 0:
        out(f"  mActiveIdleOpCount={c._active_idle_op_count}")
    if c._next_alarm_time != 0:
        out(f"  mNextAlarmTime={format_time_relative(c._next_alarm_time, now)}")
    if c._next_idle_pending_delay != 0:
        out(f"  mNextIdlePendingDelay={format_duration(c._next_idle_pending_delay)}")
    if c._next_idle_delay != 0:
        out(f"  mNextIdleDelay={format_duration(c._next_idle_delay)}")
    if c._next_light_idle_delay != 0:
        flex = (
            f" (flex={format_duration(c._next_light_idle_delay_flex)})"
            if era.use_window_alarms
            else ""
        )
        out(f"  {era.light_delay_label}={format_duration(c._next_light_idle_delay)}{flex}")
    if c._next_light_alarm_time != 0:
        out(f"  mNextLightAlarmTime={format_time_relative(c._next_light_alarm_time, now)}")
    if c._cur_light_idle_budget != 0:
        out(f"  {era.budget_label}={format_duration(c._cur_light_idle_budget)}")
    if c._maintenance_start_time != 0:
        out(f"  mMaintenanceStartTime={format_time_relative(c._maintenance_start_time, now)}")
    if c._jobs_active:
        out("  mJobsActive=true")
    if c._alarms_active:
        out("  mAlarmsActive=true")
    if era.pre_idle_factor and abs(c._pre_idle_factor - 1.0) > MIN_PRE_IDLE_FACTOR_CHANGE:
        out(f"  mPreIdleFactor={c._pre_idle_factor!r}")
