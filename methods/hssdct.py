"""HSSDCT, the reference entry: our implementation of the authors' released model (``hssdct/``)."""

from __future__ import annotations

from typing import Any

from hssdct import official
from hssdct.losses import hssdct_loss
from hssdct.model import HSSDCT, HSSDCTConfig
from methods.adapter import Published, TrainingRecipe, WeightFormat
from methods.registry import register

PAPER = ("C.-M. Lee, Y.-H. Ho, Y.-F. Lin, J.-W. Lee, L.-W. Kang, C.-C. Hsu, \"HSSDCT: Factorized "
         "Spatial-Spectral Correlation for Hyperspectral Image Fusion\", ICASSP 2026, "
         "arXiv:2602.00490")

# The released train.py defaults (docs/hssdct.md, "Training recipe"); the cosine schedule steps per
# epoch, StepLR(200) with torch's default gamma 0.1 is the released alternative.
RECIPE = TrainingRecipe(
    loss_fn=hssdct_loss, loss_name="smoothl1(beta=1) + 0.1*sam + 0.1*bandwise", lr=5.5e-5,
    scheduler="cosine", step_size=200, gamma=0.1, epochs=1000, batch_size=6, crop_size=128,
    train_snr_db=35.0, seed=1029,
    source="released train.py defaults (docs/hssdct.md, 'Training recipe')",
    budget_steps=8600)

AUTHORS_WEIGHTS = WeightFormat(
    name="the authors' HyDCFN checkpoint",
    detect=lambda state: any(k.startswith("decoder.") for k in state),
    load=official.from_official,
    build_args=official.infer_config,
)


PUBLISHED = Published(source="HSSDCT paper, Table 1",
                      dataset="AVIRIS 4-band, ratio 4, 256x256 tiles, 172 bands", params_m=6.78,
                      flops_g=283.84, psnr=37.212, sam=1.348, counter="unknown (paper's FLOPs)")


@register("hssdct", family="deep", domain="pm1", label="HSSDCT", paper=PAPER, recipe=RECIPE,
          published=(PUBLISHED,), weight_formats=(AUTHORS_WEIGHTS,), min_lr_side=9,
          notes="the paper's 6.78 M / 283.84 G pair is not the released configuration's "
                "(docs/hssdct.md, 'Size and cost')")
def hssdct(bands: int, msi_bands: int, ratio: int = 4, **cfg: Any) -> HSSDCT:
    """HSSDCT with the released defaults (nf 96, gc 32, windows 4/8/16/32); ``cfg`` overrides
    :class:`hssdct.model.HSSDCTConfig` fields."""
    return HSSDCT(HSSDCTConfig(bands=bands, msi_bands=msi_bands, ratio=ratio, **cfg))
