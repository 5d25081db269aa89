"""Farm scaling: the same subset of the device suite on 1, 2, 4 and 8 virtual devices.

    python bench/farm_scaling.py [--sizes 1,2,4,8] [--mode matrix|shard] [--repeat 1]
                                 [--suite tests/device] [-k EXPR]

The default subset is the basics and the power-state scenarios of ``tests/device``
(``-k "test_device_basics or test_power_states"``): shell, files, reboot, Doze, battery,
saver, standby buckets.

Each size is one ``pytest -n N --virtual N`` run in a subprocess (N xdist workers, N virtual
devices, each device its own process, behind one private adb server), one after the other in
this one invocation. For each size it prints:

- ``wall``: the whole pytest run, including the adb server (~3 s), booting the devices and
  starting the workers;
- ``tests``: the time devices were busy, from the first lease taken to the last given back
  (read from the run's lease log), i.e. the part that should parallelize;
- efficiency. In matrix mode (the default) every device runs the whole subset, so the work
  grows with N and the ideal time stays flat: efficiency = T(1) / T(N), and the throughput
  speedup is N * T(1) / T(N). In shard mode the same tests are spread over N devices:
  efficiency = T(1) / (N * T(N)).

Virtual devices are Python processes: past the machine's core count they compete for CPU with
each other, the workers and the adb server, and efficiency drops. The table says how many
cores there were.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.farm.leases import find_overlaps, read_log  # noqa: E402


@dataclass
class Sample:
    size: int
    wall_s: float
    tests_s: float
    passed: int
    failed: int
    rows: int


def run_once(size: int, args: argparse.Namespace, reports: Path) -> Sample:
    out_dir = reports / f"n{size}-{time.monotonic_ns()}"
    argv = [
        sys.executable, "-m", "pytest", str(args.suite), "-q", "-p", "no:cacheprovider",
        "-n", str(size), "--virtual", str(size), "--device-mode", args.mode,
        "--virtual-boot-time", str(args.boot_time), "--harness-reports", str(out_dir),
        "--lease-dir", str(reports / "leases"),
    ]
    if args.k:
        argv += ["-k", args.k]
    if args.profiles:
        argv += ["--virtual-profiles", args.profiles]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.pop("ANDROID_ADB_SERVER_PORT", None)
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=args.timeout)
    wall = time.monotonic() - start
    runs = [d for d in out_dir.iterdir() if d.is_dir()] if out_dir.exists() else []
    if len(runs) != 1:
        raise SystemExit(f"size {size}: no run folder\n{proc.stdout}\n{proc.stderr}")
    run_dir = runs[0]
    log = read_log(run_dir / "leases.jsonl")
    overlaps = find_overlaps(log)
    if overlaps:
        raise SystemExit(f"size {size}: devices shared: {overlaps}")
    monos = [float(e["mono"]) for e in log if e["event"] in ("acquire", "release")]
    summary = json.loads((run_dir / "run.json").read_text()).get("summary", {})
    passed = sum(int(v["passed"]) for v in summary.values())
    failed = sum(int(v["failed"]) + int(v["error"]) for v in summary.values())
    if proc.returncode not in (0, 1):
        raise SystemExit(f"size {size}: pytest exited {proc.returncode}\n{proc.stdout[-3000:]}")
    return Sample(size, wall, max(monos) - min(monos) if monos else 0.0, passed, failed,
                  passed + failed)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1,2,4,8")
    p.add_argument("--mode", choices=("matrix", "shard"), default="matrix")
    p.add_argument("--suite", type=Path, default=REPO / "tests/device")
    p.add_argument("-k", default="test_device_basics or test_power_states",
                   help="pytest -k expression choosing the subset ('' for all)")
    p.add_argument("--profiles", default="pixel-34,samsung-33,xiaomi-35,virtual-31",
                   help="virtual profiles cycled over the devices")
    p.add_argument("--boot-time", type=float, default=1.0)
    p.add_argument("--repeat", type=int, default=1, help="runs per size (median reported)")
    p.add_argument("--timeout", type=float, default=900)
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    samples: dict[int, list[Sample]] = {n: [] for n in sizes}
    with tempfile.TemporaryDirectory(prefix="harness-farm-bench-") as tmp:
        for _ in range(args.repeat):
            for n in sizes:
                s = run_once(n, args, Path(tmp))
                samples[n].append(s)
                print(f"  n={n}: wall {s.wall_s:.1f} s, tests {s.tests_s:.1f} s, "
                      f"{s.passed} passed, {s.failed} failed", file=sys.stderr, flush=True)

    def med(n: int, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in samples[n])

    base = sizes[0]
    print(f"\nfarm scaling, {args.mode} mode, suite {args.suite.name}"
          f"{' -k ' + repr(args.k) if args.k else ''}, {os.cpu_count()} CPU cores, "
          f"boot time {args.boot_time:g} s, median of {args.repeat}")
    print("| devices | test runs | wall | tests | efficiency (wall) | efficiency (tests) |")
    print("|---|---|---|---|---|---|")
    for n in sizes:
        ratio = n / base if args.mode == "shard" else 1.0
        eff_wall = med(base, "wall_s") / (med(n, "wall_s") * ratio)
        eff_tests = med(base, "tests_s") / (med(n, "tests_s") * ratio) if med(n, "tests_s") \
            else float("nan")
        rows = samples[n][0].rows
        print(f"| {n} | {rows} | {med(n, 'wall_s'):.1f} s | {med(n, 'tests_s'):.1f} s | "
              f"{eff_wall:.0%} | {eff_tests:.0%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
