"""FusionMamba (Peng et al., IEEE TGRS 2024) registry entry; model in ``model``, scan in ``scan``,
official checkpoint converters in ``official``."""

from __future__ import annotations

from typing import Any

import torch.nn.functional as F

from methods.adapter import Published, TrainingRecipe, WeightFormat
from methods.fusionmamba.model import FusionMamba, FusionMambaConfig, scan_recurrence_macs
from methods.fusionmamba.official import config_from_official, from_official, to_official
from methods.registry import register

__all__ = ["FusionMamba", "FusionMambaConfig", "from_official", "scan_recurrence_macs", "to_official"]

def _official_build_args(state: Any) -> dict[str, Any]:
    config = config_from_official(state)
    return {"bands": config.pop("hsi_bands"), **config}


AUTHORS_WEIGHTS = WeightFormat(
    name="the authors' U2Net checkpoint",
    detect=lambda state: "upsample.upsamle.0.weight" in state,
    load=from_official,
    build_args=_official_build_args,
)

PAPER = ('S. Peng, X. Zhu, H. Deng, L.-J. Deng, Z. Lei, "FusionMamba: Efficient Remote Sensing '
         'Image Fusion with State Space Model", IEEE TGRS 2024')


@register(
    "fusionmamba", family="deep", domain="pm1", label="FusionMamba", paper=PAPER,
    recipe=TrainingRecipe(
        loss_fn=F.l1_loss, loss_name="l1", optimizer="adam", lr=5e-4, weight_decay=0.0,
        scheduler="step", step_size=200, gamma=0.5, epochs=500, batch_size=32, crop_size=64,
        flips=False, rot90=False, seed=1,
        source="PSRben/FusionMamba train.py (pansharpening: L1, Adam 5e-4, StepLR 200/0.5, "
               "500 epochs, batch 32, HR crops 64, seed 1); no augmentation there",
        budget_steps=2000),
    published=(
        Published(source="HSSDCT paper, Table 1", dataset="AVIRIS 172 bands, x4, 256x256 tiles",
                  params_m=21.68, flops_g=134.47, psnr=30.741, sam=1.978, msi_bands=4,
                  counter="ptflops module hooks (misses the Mamba matmuls and the scan)"),
        Published(source="CSAKD / S3RNet READMEs (same lab, same AVIRIS data)",
                  dataset="AVIRIS 172 bands, x4, 256x256 tiles", params_m=21.68, flops_g=134.47,
                  psnr=32.407, sam=1.540, msi_bands=6,
                  counter="ptflops module hooks (misses the Mamba matmuls and the scan)"),
    ),
    notes=(
        "Public U2Net(dim, pan_dim=msi_bands, ms_dim=bands) with dim = bands by default. "
        "Inputs in the authors' (x - 0.5) * 2 range; no clamp inside. Pure-PyTorch chunked "
        "selective scan (mamba_ssm kernels on CUDA when installed; HSFUSION_SCAN_BACKEND=torch "
        "turns them off). Runs at any H, W divisible by 4 without rebuilding. The published "
        "134.47 G is a ptflops-style count that misses the Mamba matmuls and the scan "
        "(docs/fusionmamba.md, 'Complexity')."
    ),
    weight_formats=(AUTHORS_WEIGHTS,),
)
def fusionmamba(bands: int, msi_bands: int, ratio: int = 4, dim: int | None = None,
                **cfg: object) -> FusionMamba:
    """The paper's AVIRIS build at (172, 4): FusionMamba(hsi_bands=172, msi_bands=4, dim=172)."""
    return FusionMamba(FusionMambaConfig(hsi_bands=bands, msi_bands=msi_bands, ratio=ratio,
                                         dim=dim, **cfg))
