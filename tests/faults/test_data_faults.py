"""Broken data: every bad scene becomes that scene's error rows, every other scene and method is
still scored, and each command says what is wrong in one line, without a traceback."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from datasets.__main__ import main as check
from tests.faults.conftest import break_npy_header, entries_of

GOOD_METHODS = ("bicubic", "sfim")


def _drop_key(path: Path, key: str) -> None:
    with np.load(path) as z:
        kept = {k: z[k] for k in z.files if k != key}
    np.savez(path, **kept)


def _replace_key(path: Path, key: str, value: np.ndarray) -> None:
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays[key] = value
    np.savez(path, **arrays)


def _gt(entry: Path) -> np.ndarray:
    return np.load(entry / "GT.npz.npy")


# (case, how the third test entry is broken, what its error row must say)
SCENE_FAULTS = {
    "missing GT file": (lambda e: (e / "GT.npz.npy").unlink(), "GT.npz.npy"),
    "missing LR-HSI file": (lambda e: (e / "lrhsi.npz").unlink(), "lrhsi.npz"),
    "missing LR-HSI key": (lambda e: _drop_key(e / "lrhsi.npz", "lrhsi"), "missing key"),
    "missing HR-MSI key": (lambda e: _drop_key(e / "hrmsi.npz", "hrmsi4"), "missing key"),
    "random bytes as .npz": (lambda e: (e / "hrmsi.npz").write_bytes(np.random.bytes(300)),
                             "not an .npz (zip) file"),
    "damaged zip": (lambda e: (e / "lrhsi.npz").write_bytes(b"PK\x03\x04" + b"\0" * 40),
                    "damaged .npz"),
    "text file as .npy": (lambda e: (e / "GT.npz.npy").write_text("not an array"),
                          "not an .npy file"),
    "truncated .npy": (lambda e: (e / "GT.npz.npy").write_bytes(
        (e / "GT.npz.npy").read_bytes()[:400]), "follow it"),
    "header claiming 7 TiB": (lambda e: break_npy_header(e / "GT.npz.npy", (10**10, 200)),
                              "(7.28 TiB) but only 64 bytes follow it"),
    "NaN in the GT": (lambda e: np.save(e / "GT.npz.npy", np.where(
        np.arange(_gt(e).size).reshape(_gt(e).shape) == 5, np.nan, _gt(e)).astype(np.float32)),
        "NaN/Inf"),
    "2-D GT": (lambda e: np.save(e / "GT.npz.npy", _gt(e)[..., 0]), "a 3-D (H, W, C) array"),
    "integer GT": (lambda e: np.save(e / "GT.npz.npy", _gt(e).astype(np.int32)), "dtype int32"),
    "band-count mismatch": (lambda e: _replace_key(e / "lrhsi.npz", "lrhsi", np.zeros(
        (8, 8, 5), np.float32)), "5 bands but GT.npz.npy has 6"),
    "HR size mismatch": (lambda e: _replace_key(e / "hrmsi.npz", "hrmsi4", np.zeros(
        (16, 32, 4), np.float32)), "size 16x32"),
    "constant GT": (lambda e: np.save(e / "GT.npz.npy", np.ones_like(_gt(e))), "constant"),
    "entry directory gone": (lambda e: [p.unlink() for p in e.iterdir()], "GT.npz.npy"),
}


@pytest.mark.parametrize("case", SCENE_FAULTS)
def test_a_broken_scene_is_one_error_row_and_everything_else_is_scored(layout, run_bench, case):
    """The reproduction of defect 1 and its variants: the third test entry broken."""
    break_it, says = SCENE_FAULTS[case]
    entries = entries_of(layout)
    break_it(layout / entries[2])
    outcome = run_bench(layout)
    assert outcome.code == 1, outcome.err  # error rows: exit 1
    assert "Traceback" not in outcome.err
    for method in GOOD_METHODS:
        assert outcome.scored(method) == set(entries) - {entries[2]}
        bad = outcome.errors(method)
        assert set(bad.scene) == {entries[2]} and len(bad) == 2  # one row per convention
        assert bad.error.str.contains(says, regex=False).all(), bad.error.iloc[0]
    assert "error(s) in 2 method(s)" in outcome.err


def test_a_broken_first_scene_leaves_the_other_scenes_scored(layout, run_bench):
    entries = entries_of(layout)
    (layout / entries[0] / "GT.npz.npy").unlink()
    outcome = run_bench(layout)
    assert outcome.code == 1
    assert outcome.scored("bicubic") == set(entries[1:])
    assert set(outcome.errors("bicubic").scene) == {entries[0]}


def test_keep_going_turns_error_rows_into_exit_0(layout, run_bench):
    (layout / entries_of(layout)[1] / "GT.npz.npy").unlink()
    assert run_bench(layout).code == 1  # error rows: exit 1 by default, so CI sees them
    outcome = run_bench(layout, "--keep-going", "--resume")
    assert outcome.code == 0
    assert outcome.scored("sfim") and len(outcome.errors("sfim")) == 2


def test_evaluate_scores_every_good_scene_and_exits_1(layout, tmp_path, capsys):
    import torch

    from benchmarks.evaluate import main as evaluate
    from tests.toys import TOY, build_toy

    entries = entries_of(layout)
    (layout / entries[1] / "lrhsi.npz").write_bytes(b"junk")
    torch.save({"model": build_toy(6, 4, 4).state_dict()}, tmp_path / "w.pth")
    import methods
    from tests.toys import toy_options

    with methods.registered(TOY, build_toy, **toy_options()):
        code = evaluate(["--method", TOY, "--checkpoint", str(tmp_path / "w.pth"), "--root",
                         str(layout), "--list", "test.txt", "--out", str(tmp_path / "m.csv")])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    import pandas as pd

    rows = pd.read_csv(tmp_path / "m.csv")
    assert set(rows[rows.status == "ok"].scene) == set(entries) - {entries[1]}
    assert rows[rows.status == "error"].error.str.contains("not an .npz").all()


# ---- the list file -------------------------------------------------------------------------

LIST_FAULTS = {
    "alias of an entry": (lambda es: [es[0], "./" + es[0]], "lines 1 and 2 both name"),
    "double slash alias": (lambda es: [es[1], es[1].replace("/", "//")], "both name"),
    "parent directory": (lambda es: ["../outside"], "not a path inside the root"),
    "absolute path": (lambda es: ["/etc"], "absolute path"),
    "missing entry": (lambda es: [es[0], "test/nope"], "does not exist under"),
    "empty list": (lambda es: [], "has no entries"),
}


@pytest.mark.parametrize("case", LIST_FAULTS)
def test_a_bad_list_file_is_one_line_naming_it(layout, run_bench, case):
    make, says = LIST_FAULTS[case]
    lines = make(entries_of(layout))
    (layout / "bad.txt").write_text("".join(f"{line}\n" for line in lines))
    outcome = run_bench(layout, list_file=str(layout / "bad.txt"))
    assert outcome.code == 2
    line = outcome.one_line_error()
    assert "bad.txt" in line and says in line, line


def test_an_entry_linked_outside_the_root_is_refused(layout, run_bench, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (layout / "test" / "link").symlink_to(outside)
    (layout / "bad.txt").write_text("test/link\n")
    outcome = run_bench(layout, list_file=str(layout / "bad.txt"))
    assert outcome.code == 2 and "resolves outside" in outcome.one_line_error()


def test_a_missing_list_file_is_one_line(layout, run_bench):
    outcome = run_bench(layout, list_file=str(layout / "nope.txt"))
    assert outcome.code == 2 and "list file not found" in outcome.one_line_error()


# ---- datasets check ----------------------------------------------------------------------------

def test_check_reads_the_header_before_allocating(layout, capsys):
    entry = layout / entries_of(layout)[0]
    break_npy_header(entry / "GT.npz.npy", (10**10, 200))
    assert check(["check", "--root", str(layout), "--list", str(layout / "test.txt")]) == 1
    out = capsys.readouterr()
    assert "header declares a 10000000000x200 float32 array" in out.out
    assert "MemoryError" not in out.out + out.err and "Traceback" not in out.err


def test_check_names_a_random_npz_without_suggesting_pickles(layout, capsys):
    entry = layout / entries_of(layout)[0]
    (entry / "lrhsi.npz").write_bytes(np.random.default_rng(0).bytes(500))
    assert check(["check", "--root", str(layout), "--list", str(layout / "test.txt")]) == 1
    out = capsys.readouterr().out
    assert "not an .npz (zip) file" in out and "pickle" not in out


def test_check_reports_a_npz_member_whose_header_lies(layout, capsys):
    entry = layout / entries_of(layout)[0]
    with zipfile.ZipFile(entry / "hrmsi.npz", "w") as zf, zf.open("hrmsi4.npy", "w") as member:
        np.lib.format.write_array_header_1_0(
            member, {"descr": "<f4", "fortran_order": False, "shape": (32, 32, 10**9)})
    assert check(["check", "--root", str(layout), "--list", str(layout / "test.txt")]) == 1
    assert "header declares a 32x32x1000000000 float32 array" in capsys.readouterr().out
