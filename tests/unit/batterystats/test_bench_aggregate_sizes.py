"""The benchmark's aggregates scaled to Battery Historian's input sizes: the size it aims at is
reached with the fewest copies, and the copies are new UIDs that parse like the original."""

from __future__ import annotations

from bench.batterystats_parse import aggregate_text, scaled_to
from harness.batterystats import parse_checkin
from tests.unit.batterystats.fixtures import CHECKIN_V36


def test_scaled_to_reaches_the_target_with_the_fewest_copies():
    base = len(aggregate_text(CHECKIN_V36).encode())
    for target in (base, base + 1, 5 * base, 20_000):
        text, copies = scaled_to(CHECKIN_V36, target)
        assert len(text.encode()) >= target
        assert copies == 1 or len(aggregate_text(CHECKIN_V36, copies - 1).encode()) < target


def test_copies_are_new_uids_with_the_same_rows():
    one = parse_checkin(aggregate_text(CHECKIN_V36), history=False)
    text, copies = scaled_to(CHECKIN_V36, 4 * len(aggregate_text(CHECKIN_V36).encode()))
    many = parse_checkin(text, history=False)
    assert copies >= 4
    jobs_one, jobs_many = one.jobs, many.jobs
    assert len(jobs_many) == copies * len(jobs_one)
    assert jobs_many["uid"].nunique() == copies * jobs_one["uid"].nunique()
    assert sorted(set(jobs_many["name"])) == sorted(set(jobs_one["name"]))
    assert not many.warnings or many.warnings == one.warnings

