"""Latency of one `shell true` round trip, four ways, on the same virtual device in one run.

    python bench/shell_latency.py [--iterations 300]

1. a minimal raw client (one socket, TCP_NODELAY, `host:tport:serial:S`, `shell,v2,raw:true`,
   read up to the exit packet): what the adb server itself allows;
2. harness `Device.shell("true")`;
3. adbutils `AdbDevice.shell("true")`;
4. `subprocess.run(["adb", "-s", serial, "shell", "true"])`.

Prints median and p95 per method and the ratios to the raw client. Goal: Device.shell within
1.5x of the raw client.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.adb_server import PrivateAdbServer, bundled_adb
from harness.device import Device
from harness.virtual.launcher import VirtualFarm


def raw_client(port: int, serial: str) -> Callable[[], None]:
    """The least a client can do: one socket, two requests, buffered reads to the exit packet."""

    def request(sock: socket.socket, text: str) -> None:
        data = text.encode()
        sock.sendall(b"%04x" % len(data) + data)

    def run() -> None:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            buf = bytearray()

            def take(n: int) -> bytes:
                while len(buf) < n:
                    chunk = sock.recv(65536)
                    if not chunk:
                        raise EOFError
                    buf.extend(chunk)
                out = bytes(buf[:n])
                del buf[:n]
                return out

            request(sock, f"host:tport:serial:{serial}")
            assert take(4) == b"OKAY"
            take(8)
            request(sock, "shell,v2,raw:true")
            assert take(4) == b"OKAY"
            sock.sendall(b"\x04\x00\x00\x00\x00")
            # Shell-protocol packets up to the exit packet (id 3), the last one sent.
            while True:
                header = take(5)
                take(int.from_bytes(header[1:], "little"))
                if header[0] == 3:
                    return
    return run


def measure_interleaved(fns: list[Callable[[], None]], iterations: int,
                        warmup: int = 10) -> list[list[float]]:
    """Run the methods round-robin so that warm-up and machine load hit all of them alike."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(iterations):
        for idx, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            samples[idx].append((time.perf_counter() - start) * 1000.0)
    return samples


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--cli-iterations", type=int, default=60)
    args = ap.parse_args()
    import adbutils

    with PrivateAdbServer() as server, VirtualFarm(1, server.address, boot_time_s=0.5) as farm:
        serial = farm.serials[0]
        device = Device(serial, server.address)
        adbutils_device = adbutils.AdbDevice(adbutils.AdbClient("127.0.0.1", server.port),
                                             serial=serial)
        env = dict(os.environ, HOME=str(server.home))
        adb = str(bundled_adb())

        def cli() -> None:
            subprocess.run([adb, "-P", str(server.port), "-s", serial, "shell", "true"],
                           check=True, env=env, capture_output=True)

        fast = [
            ("raw client (adb server floor)", raw_client(server.port, serial)),
            ("harness Device.shell", lambda: device.shell("true", check=True)),
            ("adbutils AdbDevice.shell", lambda: adbutils_device.shell("true")),
        ]
        fast_samples = measure_interleaved([fn for _, fn in fast], args.iterations)
        cli_samples = measure_interleaved([cli], args.cli_iterations, warmup=3)[0]
        results = [(name, samples) for (name, _), samples in zip(fast, fast_samples,
                                                                 strict=True)]
        results.append(("adb CLI subprocess", cli_samples))
    floor = statistics.median(results[0][1])
    print(f"{'method':<32} {'n':>4} {'median ms':>10} {'p95 ms':>8} {'x raw':>7}")
    for name, samples in results:
        med = statistics.median(samples)
        print(f"{name:<32} {len(samples):>4} {med:>10.2f} {p95(samples):>8.2f} "
              f"{med / floor:>7.2f}")
    device_ratio = statistics.median(results[1][1]) / floor
    verdict = "meets" if device_ratio <= 1.5 else "MISSES"
    shell_med = statistics.median(results[1][1])
    print(f"\nDevice.shell is {device_ratio:.2f}x the raw client: {verdict} the 1.5x goal; "
          f"{statistics.median(results[2][1]) / shell_med:.1f}x faster than adbutils, "
          f"{statistics.median(results[3][1]) / shell_med:.1f}x faster than the adb CLI.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
