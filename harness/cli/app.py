"""``harness app``: build the sample app, install it on a device, check it statically."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.cli.common import adb_address, add_adb_server_option


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "app", help="build, install and check the sample app (sample_app/)",
        description="The sample app the device scenarios drive (see sample_app/CONTRACT.md).")
    app_sub = p.add_subparsers(dest="app_command", metavar="ACTION")
    app_sub.required = True

    b = app_sub.add_parser(
        "build", help="build the debug APK with Gradle (needs an Android SDK and a JDK 17+)",
        description="Runs ./gradlew assembleDebug in sample_app/ and prints the APK's path. "
                    "Without an Android SDK (ANDROID_HOME, ANDROID_SDK_ROOT or sdk.dir in "
                    "sample_app/local.properties) or java it says what is missing.")
    b.add_argument("--project", type=Path, default=None, metavar="DIR",
                   help="the Gradle project (default: this checkout's sample_app/)")
    b.add_argument("--task", default=None, metavar="TASK",
                   help="Gradle task (default: assembleDebug)")
    b.set_defaults(func=cmd_build)

    i = app_sub.add_parser(
        "install", help="install the APK on a device (pm install -r -g -t)",
        description="Installs the sample app on the device SERIAL; the APK defaults to the "
                    "debug APK `harness app build` writes.")
    i.add_argument("serial", metavar="SERIAL", help="the device's adb serial")
    i.add_argument("--apk", type=Path, default=None, metavar="PATH",
                   help="the APK (default: sample_app/app/build/outputs/apk/debug/app-debug.apk)")
    add_adb_server_option(i)
    i.set_defaults(func=cmd_install)

    c = app_sub.add_parser(
        "check", help="static checks: Kotlin syntax, manifest, contract names, workflows",
        description="Runs the static checks of harness.app.static_checks on this checkout.")
    c.add_argument("--json", action="store_true", help="print the findings as JSON")
    c.set_defaults(func=cmd_check)

    a = app_sub.add_parser("apk-path", help="print the built debug APK's path (exit 1 if none)")
    a.set_defaults(func=cmd_apk_path)


def cmd_build(args: argparse.Namespace) -> int:
    from harness.app.build import DEFAULT_TASK, SAMPLE_APP_DIR, build_apk

    project = args.project or SAMPLE_APP_DIR
    task = args.task or DEFAULT_TASK
    print(f"harness: building {project} ({task})", flush=True)
    apk = build_apk(project, task)
    if apk.is_file():
        print(apk)
    return 0


def cmd_install(args: argparse.Namespace) -> int:
    from harness.adb_server import ensure_server
    from harness.app.build import install_apk, resolve_apk

    apk = resolve_apk(args.apk)
    address = adb_address(args)
    ensure_server(address, start=not args.adb_server)
    install_apk(args.serial, apk, address)
    print(f"installed {apk} on {args.serial}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from harness.app.static_checks import run_all

    results = run_all()
    failed = sum(len(findings) for findings in results.values())
    if args.json:
        print(json.dumps({name: [str(f) for f in findings] for name, findings in results.items()},
                         indent=2))
    else:
        for name, findings in results.items():
            print(f"{'ok  ' if not findings else 'FAIL'} {name}")
            for finding in findings:
                print(f"     {finding}")
        print(f"{len(results) - sum(1 for f in results.values() if f)} of {len(results)} "
              f"checks passed")
    return 1 if failed else 0


def cmd_apk_path(args: argparse.Namespace) -> int:
    from harness.app.build import debug_apk_path, default_apk_path

    apk = default_apk_path()
    if apk is None:
        print(f"harness: no APK yet at {debug_apk_path()}; run `harness app build`")
        return 1
    print(apk)
    return 0
