"""Fixtures shared by several test files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True, scope="session")
def private_count_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """FLOP counts cached in a directory of this test session only (children inherit it), so a
    test never reads a count that an earlier run of other code left in the user's cache."""
    saved = os.environ.get("HSFUSION_CACHE")
    os.environ["HSFUSION_CACHE"] = str(tmp_path_factory.mktemp("count-cache"))
    yield
    if saved is None:
        os.environ.pop("HSFUSION_CACHE", None)
    else:
        os.environ["HSFUSION_CACHE"] = saved


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Torch on one thread for the test, restored afterwards. Small forwards are thousands of tiny
    ops; on a shared box their OpenMP barriers wait on other processes, so fanning out costs more
    than it saves. Values do not depend on it. A whole file opts in with
    ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


@pytest.fixture(scope="session")
def fusionmamba_oracle() -> dict[str, torch.Tensor]:
    """tests/fixtures/fusionmamba_small.npz as tensors: the official U2Net's parameters
    (``param/<official key>``), inputs, outputs, intermediates and scan tensors (see the README
    there). Shared: tests must not modify the tensors."""
    with np.load(FIXTURES / "fusionmamba_small.npz") as data:
        return {k: torch.from_numpy(data[k]) for k in data.files}


# The toy deep method of the training, evaluation and CLI tests (tests/toys.py).
from tests.toys import toy  # noqa: E402, F401
