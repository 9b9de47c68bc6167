"""FLOP counts are cached on disk under (method code, options, shape, counter, torch version)."""

from __future__ import annotations

import benchmarks.measure as measure
from benchmarks.cost import cache
from benchmarks.shapes import InputShape

SHAPE = InputShape(bands=6, msi_bands=4, lr=4)


def test_the_key_changes_with_every_part_it_depends_on():
    base = cache.count_key("bicubic", {}, SHAPE, "hooks")
    assert base == cache.count_key("bicubic", {}, SHAPE, "hooks")
    others = {cache.count_key("sfim", {}, SHAPE, "hooks"),
              cache.count_key("bicubic", {"x": 1}, SHAPE, "hooks"),
              cache.count_key("bicubic", {}, SHAPE.with_lr(8), "hooks"),
              cache.count_key("bicubic", {}, SHAPE, "fvcore")}
    assert base not in others and len(others) == 4


def test_a_second_count_is_read_from_the_cache(monkeypatch):
    first = measure.counts_in_child("psrt", {}, [SHAPE], ["hooks"])["hooks"]
    assert not isinstance(first, str)

    def no_counting(*args, **kwargs):
        raise AssertionError("counted again")

    monkeypatch.setattr(measure, "count_once", no_counting)
    assert measure.counts_in_child("psrt", {}, [SHAPE], ["hooks"])["hooks"] == first
    lines: list[str] = []
    found = measure.measure_counts("psrt", {}, SHAPE, ["hooks"], small_lrs=(2, 3), try_full=True,
                                   max_rss_gb=4, timeout_s=60, say=lines.append)
    assert found["hooks"]["macs"] == first[0]["macs"] and not found["hooks"]["extrapolated"]
    assert lines == ["cost: hooks at 1x6x4x4 from the count cache"]


def test_a_cache_that_cannot_be_written_is_ignored(monkeypatch, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("HSFUSION_CACHE", str(blocked))
    cache.store("bicubic", {}, SHAPE, "hooks", {"macs": 1})
    assert cache.load("bicubic", {}, SHAPE, "hooks") is None


def test_a_corrupt_entry_is_counted_again(monkeypatch, tmp_path):
    monkeypatch.setenv("HSFUSION_CACHE", str(tmp_path))
    path = cache.cache_dir() / f"{cache.count_key('bicubic', {}, SHAPE, 'hooks')}.json"
    path.parent.mkdir(parents=True)
    path.write_text("{half")
    assert cache.load("bicubic", {}, SHAPE, "hooks") is None


def test_values_json_cannot_hold_are_not_cached(monkeypatch, tmp_path):
    monkeypatch.setenv("HSFUSION_CACHE", str(tmp_path))
    cache.store("bicubic", {}, SHAPE, "hooks", {"macs": object()})
    assert cache.load("bicubic", {}, SHAPE, "hooks") is None
