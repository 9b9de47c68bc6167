"""Importable functions that tests run in child processes."""

import time

import numpy as np


def add(a: int, b: int) -> int:
    return a + b


def fail() -> None:
    raise RuntimeError("boom")


def hog(gb: float) -> int:
    block = np.ones(int(gb * 1024**3 / 8))
    time.sleep(5)
    return int(block[0])


def sleep(s: float) -> None:
    time.sleep(s)
