"""Record the checkin tables the aggregate parser produces, and compare a later version's
output with them: the guard for rewrites of ``harness/batterystats/checkin*.py``.

Before changing the parser, record what the current code produces for every input of
:func:`corpus` (the real checkin captures, redacted and raw, their x10 versions, the
hand-written fixtures, and synthetic dumps of every checkin version with the awkward rows
devices print); after the change, compare::

    python -m bench.checkin_reference record /tmp/checkin-ref
    ... change the parser ...
    python -m bench.checkin_reference compare /tmp/checkin-ref

Every table of every input is compared exactly (columns, dtypes, values, category order), with
the dump-level attributes and warnings. The reference files are pickles of this machine's
pandas and stay out of the repository.
"""

from __future__ import annotations

import os
import pickle
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from bench.batterystats_parse import aggregate_text
from harness.batterystats import CHECKIN_TABLES, parse_checkin
from harness.batterystats.text import normalize
from tests.unit.batterystats.fixtures import CHECKIN_V12, CHECKIN_V20, CHECKIN_V36, bugreport

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def captures_dir() -> Path | None:
    env = os.environ.get("HARNESS_CAPTURES_DIR")
    for candidate in ([Path(env)] if env else []) + [PROJECT_ROOT.parent / "shared" / "captures"]:
        if (candidate / "batterystats_checkin").is_dir():
            return candidate
    return None


# -- synthetic dumps ------------------------------------------------------------------------------


def _nums(rng: random.Random, n: int, hi: int = 10_000_000) -> str:
    return ",".join(str(rng.randrange(hi)) for _ in range(n))


def synthetic_dump(n_uids: int, version: int | None, seed: int) -> str:
    """A checkin dump with every section this parser knows, and the awkward rows devices print:
    quoted names with commas and stray quotes, unquoted names with commas, -1 "not tracked"
    values, decimals and exponents, rows longer and shorter than their layout, empty rows,
    unknown sections, legacy categories, junk lines and non-ASCII names."""
    rng = random.Random(seed)
    out: list[str] = []
    add = out.append
    if version is not None:
        add(f"9,0,i,vers,{version},214,BUILD.{seed},BUILD.{seed + 1}")
    for u in range(n_uids):
        add(f"9,0,i,uid,{10_000 + u},com.example.app{u}")
        if u % 7 == 0:
            add(f"9,0,i,uid,{10_000 + u},com.example.shared{u}")
    for i in range(rng.randrange(3, 30)):
        add(
            f"9,0,i,dsd,{rng.randrange(100000)},{99 - i},"
            f"{rng.choice(['s-', 's+', 'sd', 'sds', '', '?'])},"
            f"{rng.choice(['p-', 'p+', ''])},{rng.choice(['i-', 'i+', ''])}"
        )
    for i in range(rng.randrange(0, 5)):
        add(f"9,0,i,csd,{rng.randrange(100000)},{50 + i},,{rng.choice(['p+', 'i-', 's+'])},")
    add(f"9,0,i,dtr,{rng.randrange(10**10)}")
    if seed % 2:
        add(f"9,0,i,ctr,{rng.randrange(10**10)}")
    add(f"9,0,l,bt,{_nums(rng, 5)},1732816430344,{_nums(rng, 2)},4500.5,{_nums(rng, 3)}")
    if seed % 3 == 0:
        add(f"9,0,l,bt,{_nums(rng, 8)}")  # printed twice: the first row counts
    add(f"9,0,l,gn,{_nums(rng, 10)}")
    add(f"9,0,l,gwfl,{_nums(rng, 5)}")
    add(f"9,0,l,m,{_nums(rng, 21)}")
    add(f"9,0,l,lv,{rng.randrange(100)},{rng.randrange(100)}")
    add(f"9,0,l,sst,{rng.randrange(10**6)}")
    add(f"9,0,l,wmct,{_nums(rng, 2)}")
    for key, n in (
        ("br", 5),
        ("sgt", 5),
        ("sgc", 5),
        ("wst", 8),
        ("wsc", 8),
        ("wsst", 13),
        ("wssc", 13),
        ("wsgt", 5),
        ("wsgc", 5),
        ("bst", 4),
        ("bsc", 4),
    ):
        if rng.random() < 0.9:
            add(f"9,0,l,{key},{_nums(rng, n + (1 if key == 'br' and seed % 4 == 0 else 0))}")
    n_dc = rng.choice([17, 21, 23])
    add(f"9,0,l,dct,{_nums(rng, n_dc)}")
    add(f"9,0,l,dcc,{_nums(rng, n_dc)}")
    add(f"9,0,l,dc,{_nums(rng, 4)},250.5,180.25,1,1.25E-4,30.0,-0.5")
    add(f"9,0,l,pws,4500,230.5,200,{rng.random() * 1000:.3f}")
    add(f"9,0,l,gcf,{','.join(str(300000 + 100000 * i) for i in range(8))}")
    add(f"9,0,l,gmcd,{_nums(rng, 3)},12.5,{_nums(rng, rng.randrange(0, 6))}")
    add(f"9,0,l,gwfcd,{_nums(rng, 4)},{_nums(rng, 1)}")
    add(f"9,0,l,gble,{_nums(rng, 3)}")
    for i in range(rng.randrange(5, 60)):
        name = rng.choice(
            [
                f'"qcom,smd-rpm:{i}:fc4cf000.qcom,spmi"',
                f'"PowerManagerService.WakeLocks{i}"',
                f'"ev"il"{i}"',
                f'"wlan_rx_wake_ü{i}"',
                f"unquoted_{i}",
            ]
        )
        add(
            f"9,0,l,kwl,{name},{rng.randrange(10**6)},{rng.randrange(100)},{rng.choice([-1, 5])},"
            f"{rng.choice([-1, 7])}"
        )
    for i in range(rng.randrange(1, 20)):
        add(f'9,0,l,wr,"Abort: pm suspend {i}, retry",{rng.randrange(10**5)},{rng.randrange(50)}')
    for i in range(rng.randrange(0, 6)):
        add(f'9,0,l,rpm,"state_{i}",{_nums(rng, 4)}')
    add("9,0,l,pwi,scrn,80.5,1,0,0")
    add("9,0,l,pwi,unacc,776")
    add("9,0,l,pwi,newkind,1.5,0,0,0")
    add("9,0,l,pwi,???,0.5,0,0,0")
    add("9,0,l,xyz,1,2,3")
    add('9,0,l,xyq,"quoted, first",2')
    add("9,0,c,bt,0,1,1,1,1,1,1,1,1")
    add("9,0,u,bt,0,1,1,1,1,1,1,1,1")
    add("Unknown package: com.nothing")
    add("9,x,l,bt")
    add("")
    add("   ")
    old = version is not None and version < 22
    for u in range(n_uids):
        uid = 10_000 + u if u % 5 else 1000 + u
        if u % 11 == 3:
            uid += 1_000_000  # a work profile
        pre = f"9,{uid},l"
        for w in range(rng.randrange(0, 6)):
            name = rng.choice([f"*alarm*{w}", f"*sync*/com.example/bob@example.com{w}", f"wl{w}"])
            if old:
                add(
                    f"{pre},wl,{name},0,f,0,-1,-1,{rng.randrange(10**5)},p,{rng.randrange(50)},0,"
                    f"{rng.randrange(100)},0,w,0,-1,-1"
                )
            else:
                add(
                    f"{pre},wl,{name},0,f,0,-1,-1,-1,{rng.randrange(10**5)},p,{rng.randrange(50)},0,"
                    f"{rng.randrange(100)},{rng.randrange(10**5)},{rng.randrange(100)},bp,3,0,20,"
                    f"{rng.randrange(1000)},0,w,0,-1,-1,-1"
                )
        if u % 13 == 0:
            add(f"{pre},wl,nomarkers,1,2,3")
        if rng.random() < 0.5:
            add(f"{pre},awl,{_nums(rng, 2)}")
        for j in range(rng.randrange(0, 4)):
            if old and j == 1:
                add(f"{pre},jb,com.example/.Job,With,Commas{j},{_nums(rng, 2)}")
            elif old:
                add(f"{pre},jb,com.example/.Job{j},{_nums(rng, 2)}")
            else:
                add(f'{pre},jb,"com.example/.Job{j}, odd",{_nums(rng, 2)},{rng.choice([-1, 40])},2')
            n_reasons = 5 if old else 12 + (seed % 3)
            add(f'{pre},jbc,"com.example/.Job{j}",{_nums(rng, n_reasons, 20)}')
        if rng.random() < 0.3:
            add(f"{pre},jbd,{_nums(rng, 8)}")
        for s in range(rng.randrange(0, 3)):
            add(
                f'{pre},sy,"com.example.provider/com.example/alice{s}@example.com",{_nums(rng, 2)},'
                f"{rng.choice([-1, 9])},{rng.choice([-1, 1])}"
            )
        add(f"{pre},cpu,{_nums(rng, 3)}" + (",99" if u % 9 == 0 else ""))
        for p in range(rng.randrange(0, 5)):
            if old and p == 2:
                add(f"{pre},pr,com.example:remote,a,b{p},{_nums(rng, 6)}")
            elif p == 3:
                add(f'{pre},pr,"com.example:ünï, {p}",{_nums(rng, 6)}')
            else:
                add(f"{pre},pr,com.example.app{u}:p{p},{_nums(rng, 6)}")
        if rng.random() < 0.6:
            add(
                f"{pre},nt,{_nums(rng, 8)},{rng.randrange(10**9)},{_nums(rng, rng.choice([5, 13]))}"
            )
        if rng.random() < 0.3:
            add(f"{pre},wfl,{_nums(rng, 10 if not old else 7)}")
        if rng.random() < 0.2:
            add(f"{pre},blem,{_nums(rng, 11)}")
        for sensor in range(rng.randrange(0, 3)):
            add(f"{pre},sr,{sensor},{_nums(rng, 5)}")
        for key in ("fla", "cam", "vid", "aud", "vib", "fg", "fgs", "wmc"):
            if rng.random() < 0.15:
                add(f"{pre},{key},{_nums(rng, 2)}")
        for key in ("mcd", "wfcd", "ble"):
            if rng.random() < 0.1:
                add(f"{pre},{key},{_nums(rng, 3)},1.5,{_nums(rng, rng.randrange(0, 5))}")
        n_alarms = rng.randrange(0, 3)
        for a in range(n_alarms):
            add(f"{pre},wua,*walarm*:com.example.TICK{a},{rng.randrange(30)}")
        if n_alarms and rng.random() < 0.7:
            add(f"{pre},apk,{rng.randrange(9)},com.example.app{u},com.example.Svc,{_nums(rng, 3)}")
        if rng.random() < 0.2:
            add(f"{pre},apk,0,com.example.app{u},com.example.Other,{_nums(rng, 3)}")
        add(f"{pre},st,{_nums(rng, 7 if not old else 6)}")
        if rng.random() < 0.3:
            add(f"{pre},ua,{_nums(rng, 7, 100)}")
        for state in rng.sample(["A", "T", "FS", "F", "B", "TS", "HW", "C", "Q"], 2):
            n = rng.choice([8, 3])
            add(f"{pre},ctf,{state},{n},{_nums(rng, n, 1000)},{_nums(rng, n, 100)}")
        add(f"9,{uid},l,pwi,uid,{rng.random() * 50:.2f},{rng.randrange(2)},1.5,3.75")
        if u % 17 == 5:
            add(f"{pre},cpu")  # a row that ends at its key
            add(f'{pre},jb,"unclosed,{_nums(rng, 2)}')
            add(f"{pre},cpu,123456789012345678901234,-5,.5")
            add(f"{pre},zzz,{_nums(rng, 4)}")
    return "\n".join(out) + "\n"


_SYNTHETIC = {
    **{f"synthetic-v{v}": (40, v, v or 1, {}) for v in (None, 12, 20, 21, 25, 29, 34, 35, 36)},
    "synthetic-v36-raw": (40, 36, 7, {"redact": False}),
    "synthetic-large": (3000, 36, 11, {}),
    "synthetic-large-v20": (1500, 20, 12, {}),
}


def with_history(text: str, seed: int, prefix: str = "9") -> str:
    """``text`` with history and string-pool lines put between its lines (they are not
    aggregate rows, and the rows' line numbers must still be the dump's)."""
    rng = random.Random(seed)
    out = []
    for line in text.split("\n"):
        if line.startswith("9,"):
            line = prefix + line[1:]
        out.append(line)
        if rng.random() < 0.2:
            out.append(f'{prefix},hsp,{rng.randrange(50)},10001,"tag,with,commas"')
            out.append(f"{prefix},h,{rng.randrange(1000)},+r,Bl=57,+Ejb={rng.randrange(50)}")
    return "\n".join(out)


def _fixtures() -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        "fixture-v36": (CHECKIN_V36, {}),
        "fixture-v36-raw": (CHECKIN_V36, {"redact": False}),
        "fixture-v20": (CHECKIN_V20, {}),
        "fixture-v12": (CHECKIN_V12, {}),
        "fixture-empty": (CHECKIN_V36.split("\n", 1)[0] + "\n9,0,l,bt,0,1,1,1,1,1,1,1\n", {}),
        "fixture-bugreport": (bugreport(), {}),
    }


def _capture_cases() -> Iterator[tuple[str, Path, int, dict[str, Any]]]:
    """(name, capture, scale, keyword arguments): each capture as it is, without redaction,
    and its aggregate x10 where it has one."""
    root = captures_dir()
    if root is None:
        return
    for path in sorted((root / "batterystats_checkin").iterdir()):
        yield f"capture-{path.stem}", path, 1, {}
        yield f"capture-{path.stem}-raw", path, 1, {"redact": False}
        if path.stat().st_size > 10_000:
            yield f"capture-{path.stem}-x10", path, 10, {}


# Pre-Lollipop dumps start their lines with 8 instead of 9.
_WITH_HISTORY = {"synthetic-with-history": (5, "9"), "synthetic-pre-lollipop": (6, "8")}


def case_names() -> list[str]:
    names = [*_fixtures(), *_SYNTHETIC, *_WITH_HISTORY]
    return names + [name for name, *_ in _capture_cases()]


def case(name: str) -> tuple[str | bytes, dict[str, Any]]:
    """The input and ``parse_checkin`` keyword arguments of one case."""
    fixtures = _fixtures()
    if name in fixtures:
        return fixtures[name]
    if name in _SYNTHETIC:
        n_uids, version, seed, kwargs = _SYNTHETIC[name]
        return synthetic_dump(n_uids, version, seed), kwargs
    if name in _WITH_HISTORY:
        seed, prefix = _WITH_HISTORY[name]
        return with_history(synthetic_dump(30, 36, seed), seed, prefix), {}
    for other, path, scale, kwargs in _capture_cases():
        if other == name:
            raw = path.read_bytes()
            return (raw if scale == 1 else aggregate_text(normalize(raw), scale)), kwargs
    raise KeyError(name)


def corpus() -> Iterator[tuple[str, str | bytes, dict[str, Any]]]:
    """(name, input, parse_checkin keyword arguments) of every input compared."""
    for name in case_names():
        yield (name, *case(name))


# -- what is compared ---------------------------------------------------------------------------


def snapshot(data: str | bytes, kwargs: dict[str, Any]) -> dict[str, Any]:
    stats = parse_checkin(data, history=False, **kwargs)
    before = {
        "version": stats.version,
        "parcel_version": stats.parcel_version,
        "start_platform": stats.start_platform,
        "end_platform": stats.end_platform,
        "sections": stats.sections,
        "unknown_sections": stats.unknown_sections,
        "redacted": stats.redacted,
        "warnings": list(stats.warnings),
    }
    tables = stats.tables()
    return {**before, "warnings_after_tables": list(stats.warnings), "tables": tables}


def record(directory: Path, names: list[str] | None = None) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in names or case_names():
        with open(directory / f"{name}.pickle", "wb") as fh:
            pickle.dump(snapshot(*case(name)), fh)
        print("recorded", name)


def differences(directory: Path, name: str) -> list[str]:
    """What differs between the recorded reference of ``name`` and the current output."""
    path = directory / f"{name}.pickle"
    if not path.exists():
        return [f"no reference recorded at {path}"]
    with open(path, "rb") as fh:
        want = pickle.load(fh)
    got = snapshot(*case(name))
    if not set(got["tables"]) == set(want["tables"]) == set(CHECKIN_TABLES):
        return [f"tables {sorted(got['tables'])} != {sorted(want['tables'])}"]
    found = []
    for table, expected in want["tables"].items():
        actual = got["tables"][table]
        try:
            pd.testing.assert_frame_equal(
                actual, expected, check_exact=True, check_categorical=True, obj=f"{name}:{table}"
            )
            for column in expected.columns:
                if isinstance(expected[column].dtype, pd.CategoricalDtype):
                    assert list(actual[column].cat.categories) == list(
                        expected[column].cat.categories
                    ), f"{table}.{column}: category order"
        except AssertionError as exc:
            found.append(str(exc).strip().splitlines()[0])
    found += [f"{key} differs" for key in want if key != "tables" and got[key] != want[key]]
    return found


def compare(directory: Path, names: list[str] | None = None) -> int:
    failed = 0
    for name in names or case_names():
        diffs = differences(directory, name)
        failed += bool(diffs)
        print(("FAIL " if diffs else "ok   ") + name)
        for line in diffs:
            print("     " + line)
    print(f"{failed} of {len(names or case_names())} inputs differ")
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("record", "compare"):
        print(__doc__)
        return 2
    directory, names = Path(argv[1]), argv[2:]
    if argv[0] == "record":
        record(directory, names)
        return 0
    return compare(directory, names)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
