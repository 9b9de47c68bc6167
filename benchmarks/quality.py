"""Fuse a Scene with a built method and score it under both metric conventions."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

import metrics
from datasets import Scene
from methods import MethodSpec


def side_inputs(spec: MethodSpec, scene: Scene, anchor: torch.Tensor | None = None) -> dict[str, Any]:
    """What the entry ``needs``, taken from the Scene (None when the Scene lacks it)."""
    side: dict[str, Any] = {}
    if "srf" in spec.needs:
        side["srf"] = scene.meta.srf
    if "psf" in spec.needs:
        side["psf"] = scene.meta.psf
    if "anchor" in spec.needs:
        if anchor is None:
            raise ValueError(f"method {spec.name!r} needs an anchor cube for scene {scene.name!r}")
        side["anchor"] = anchor
    return side


def to_domain(x: torch.Tensor, domain: str) -> torch.Tensor:
    return (x - 0.5) * 2 if domain == "pm1" else x


def from_domain(x: torch.Tensor, domain: str) -> torch.Tensor:
    return x / 2 + 0.5 if domain == "pm1" else x


def fuse(method: Any, spec: MethodSpec, scene: Scene, device: torch.device,
         anchor: torch.Tensor | None = None) -> torch.Tensor:
    """Fused cube (C, H, W) in the Scene's units (float32, on the CPU)."""
    lr = to_domain(scene.lrhsi[None].to(device), spec.domain)
    hr = to_domain(scene.hrmsi[None].to(device), spec.domain)
    side = side_inputs(spec, scene, anchor)
    if "anchor" in side:
        side["anchor"] = to_domain(side["anchor"][None].to(device), spec.domain)
    with torch.inference_mode():
        out = method(lr, hr, **side)
    out = from_domain(out, spec.domain)[0].float().cpu()
    if out.shape != scene.gt.shape:
        raise ValueError(f"{spec.name} returned {tuple(out.shape)} for scene {scene.name!r}; "
                         f"expected {tuple(scene.gt.shape)}")
    if not torch.isfinite(out).all():
        raise ValueError(f"{spec.name} returned non-finite values for scene {scene.name!r}")
    return out


def original_units(x: torch.Tensor, scene: Scene) -> torch.Tensor:
    """Map Scene units back to the data's original units (value * scale + offset)."""
    scale = torch.as_tensor(np.asarray(scene.meta.scale, dtype=np.float32))
    offset = torch.as_tensor(np.asarray(scene.meta.offset, dtype=np.float32))
    if scale.ndim == 1:
        scale, offset = scale[:, None, None], offset[:, None, None]
    return x * scale + offset


def score(fused: torch.Tensor, scene: Scene) -> dict[str, dict[str, float]]:
    """Metrics per convention: ``standard`` on [0, 1] units, ``paper`` on original units."""
    ratio = int(scene.meta.ratio)
    standard = metrics.compute_all(fused[None], scene.gt[None], convention="standard", ratio=ratio)[0]
    paper = metrics.compute_all(original_units(fused, scene)[None],
                                original_units(scene.gt, scene)[None],
                                convention="paper", ratio=ratio)[0]
    return {"standard": standard, "paper": paper}


def per_band_psnr(fused: torch.Tensor, scene: Scene) -> np.ndarray:
    return metrics.psnr_per_band(fused[None], scene.gt[None], convention="standard")[0].numpy()
