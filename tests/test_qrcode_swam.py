"""SWAM (the inferred shifted-window cross attention of docs/qrcode.md, section B.3) against its
own oracle (section C)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from methods.qrcode.swam import SWAM, relative_position_index, shift_mask

FIXTURES = Path(__file__).parent / "fixtures"


def oracle() -> tuple[SWAM, dict[str, torch.Tensor]]:
    """The oracle's SWAM(16, window 4, heads 2, 2 layers), loaded, and its arrays."""
    meta = json.loads((FIXTURES / "qrcode_teacher_small.json").read_text())["swam_oracle"]
    assert "window=4, heads=2, layers=2" in meta["call"]
    with np.load(FIXTURES / "qrcode_teacher_small.npz") as z:
        arrays = {
            k[len("swam_oracle/") :]: torch.from_numpy(z[k])
            for k in z.files
            if k.startswith("swam_oracle/")
        }
    state = {
        k[len("param/") :].replace(".rpb", ".relative_position_bias_table"): v
        for k, v in arrays.items()
        if k.startswith("param/")
    }
    model = SWAM(16, window=4, heads=2, layers=2)
    model.load_state_dict(state, strict=True)
    assert sum(p.numel() for p in model.parameters()) == meta["params"]
    return model, arrays


def test_swam_matches_spec_oracle_on_non_square_input():
    model, arrays = oracle()
    with torch.no_grad():
        out = model(arrays["input/f_hsi"], arrays["input/f_msi"])
    torch.testing.assert_close(out, arrays["output"], atol=1e-5, rtol=0)


def test_swam_queries_come_from_msi_features():
    model, arrays = oracle()
    f_hsi, f_msi = arrays["input/f_hsi"], arrays["input/f_msi"]
    with torch.no_grad():
        swapped = model(f_msi, f_hsi)
    assert (swapped - f_msi - (arrays["output"] - f_hsi)).abs().max() > 1e-3


def test_swam_second_layer_is_shifted_by_half_a_window():
    model = SWAM(16, window=8, heads=4, layers=2)
    assert [layer.shift for layer in model.layers] == [0, 4]


def test_swam_params_at_aviris_width():
    assert sum(p.numel() for p in SWAM(172, window=8, heads=4, layers=2).parameters()) == 241_224


def test_relative_position_index_puts_zero_offset_at_table_centre():
    index = relative_position_index(8)
    assert index.shape == (64, 64)
    assert torch.all(index.diagonal() == 7 * 15 + 7)
    assert index[0, 63] == 0 and index[63, 0] == 14 * 15 + 14  # query minus key coordinates


def test_shift_mask_separates_wrapped_regions_only():
    mask = shift_mask(8, 12, window=4, shift=2)
    assert mask.shape == (6, 16, 16)
    assert torch.all(mask[0] == 0)  # top-left window lies inside one region
    assert torch.all(mask[-1].unique() == torch.tensor([-100.0, 0.0]))
    assert mask[-1, 0, 15] == -100.0 and mask[-1, 0, 5] == 0.0


def test_swam_rejects_size_not_multiple_of_window():
    with pytest.raises(ValueError, match="multiple of the window"):
        SWAM(16, window=4, heads=2)(torch.zeros(1, 16, 8, 10), torch.zeros(1, 16, 8, 10))
