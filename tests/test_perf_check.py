"""make bench-check: base selection, the repeated-regression rule, and a whole gate on a toy repo.

The toy repository's guards sleep instead of computing, so their times do not depend on the load
of the machine running the tests.
"""

import subprocess

import pytest

from benchmarks.perf.check import Timings, main, regressed, resolve_base


def test_a_guard_regresses_only_when_every_pass_is_slower_than_every_base_pass():
    timings = Timings()
    timings.add({"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0}, {"a": 1.4, "b": 2.5, "c": 0.9, "d": 1.4})
    timings.add({"a": 1.1, "b": 1.0, "c": 1.0, "d": 2.0}, {"a": 1.3, "b": 1.1, "c": 1.0, "d": 1.5})
    assert regressed(timings, 0.25) == ["a"]  # b: one busy pass; d: the base's passes spread
    assert timings.round_ratios("b") == [2.5, 1.1]
    assert timings.change("a") == pytest.approx(0.3)


def test_timings_pair_base_and_work_and_list_new_and_gone_guards():
    timings = Timings()
    timings.add({"a": 2.0, "old": 1.0}, {"a": 3.0, "new": 1.0})
    assert timings.base == {"a": [2.0]} and timings.work == {"a": [3.0]}
    assert timings.new == {"new"} and timings.gone == {"old"}


GUARD = '''
import time
import mod

def test_reference_conv(benchmark):
    benchmark(time.sleep, 0.002)

def test_work(benchmark):
    benchmark(mod.work)
'''


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def commit(repo, seconds, message):
    (repo / "mod.py").write_text(f"import time\n\ndef work():\n    time.sleep({seconds})\n")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--allow-empty", "-qm", message)


@pytest.fixture()
def toy_repo(tmp_path, monkeypatch):
    repo = tmp_path / "toy"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / ".gitignore").write_text(".benchmarks/\n")
    (repo / "test_guard.py").write_text(GUARD)
    commit(repo, 0.002, "base")
    monkeypatch.chdir(repo)
    return repo


def rev(repo, name):
    return subprocess.run(["git", "-C", str(repo), "rev-parse", name], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_default_base_is_head_when_dirty_else_previous_commit_else_merge_base(toy_repo):
    commit(toy_repo, 0.003, "second")
    assert resolve_base(toy_repo)[0] == rev(toy_repo, "HEAD~1")
    (toy_repo / "mod.py").write_text("changed = True\n")
    assert resolve_base(toy_repo)[0] == rev(toy_repo, "HEAD")
    git(toy_repo, "checkout", "-q", "mod.py")
    git(toy_repo, "checkout", "-qb", "topic")
    commit(toy_repo, 0.004, "topic 1")
    commit(toy_repo, 0.005, "topic 2")
    sha, why = resolve_base(toy_repo)
    assert sha == rev(toy_repo, "main") and "merge base" in why
    assert resolve_base(toy_repo, "HEAD~1")[0] == rev(toy_repo, "HEAD~1")


def test_gate_passes_without_change_and_fails_on_a_2x_slowdown(toy_repo, capsys):
    commit(toy_repo, 0.002, "no change to the guarded function")
    assert main(["--guards", "test_guard.py", "--rounds", "2", "--confirm", "1"]) == 0
    assert "pass" in capsys.readouterr().out
    commit(toy_repo, 0.004, "deliberate 2x slowdown")
    assert main(["--guards", "test_guard.py", "--rounds", "2", "--confirm", "1"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "test_work" in out.split("FAIL:")[1]


def test_a_guard_that_breaks_in_the_working_tree_fails_the_gate(toy_repo, capsys):
    (toy_repo / "mod.py").write_text("def work():\n    raise RuntimeError('broken')\n")
    assert main(["--guards", "test_guard.py", "--rounds", "1", "--confirm", "0"]) == 1
    assert "guards failed in the working tree" in capsys.readouterr().out


def test_no_parent_commit_is_a_clear_error(toy_repo, capsys):
    assert main(["--guards", "test_guard.py"]) == 2
    assert "--base" in capsys.readouterr().err
