"""CNMF: coupled non-negative matrix factorization unmixing.

Paper: N. Yokoya, T. Yairi, A. Iwasaki, "Coupled nonnegative matrix factorization unmixing for
hyperspectral and multispectral data fusion", IEEE TGRS 50(2):528-537, 2012,
https://doi.org/10.1109/TGRS.2011.2161320. Endmembers initialised by VCA: J. M. P. Nascimento,
J. M. Bioucas-Dias, "Vertex component analysis: a fast algorithm to unmix hyperspectral data",
IEEE TGRS 43(4):898-910, 2005.

The LR-HSI Vh (C x n) and HR-MSI Vm (c x N) are unmixed alternately with Lee-Seung multiplicative
updates, coupled through the sensors: the MSI endmembers are W_m = SRF · W_h, and the HSI
abundances are the MSI ones degraded by the PSF, H_h = degrade(H_m). A row of delta's appended to
V and W softly enforces sum-to-one abundances. The fused image is W_h · H_m.

Schedule and settings follow the authors' released code (2015 MATLAB / 2016 Python):
1. W_h = the VCA pixels, H_h = 1/M; HS NMF: H_h-only updates, then W_h and H_h alternately;
2. W_m = SRF · W_h, H_m = H_h upsampled; MS NMF: H_m-only, then W_m (only if c > 3) and H_m;
3. each outer loop: H_h = degrade(H_m); HS NMF: W_h-only, then H_h (only if c > 3) and W_h; unless
   it is the last loop, MS NMF again from W_m = SRF · W_h. The outer loop stops early when either
   unmixing RMSE improves by less than ``outer_tol`` (relative).
Each inner loop runs up to ``inner_iters`` updates and stops when the cost falls by less than
``inner_tol`` (relative). Defaults: 30 endmembers (at most C and n; the code takes the larger of
30 and a virtual-dimensionality estimate, fixed here so runs are reproducible), 200 inner
iterations and 1 outer loop (2016 Python code; the MATLAB comments suggest 100-300 and 1-3),
tolerances 1e-8 and 1e-2, sum-to-one weight delta = 2 sqrt(mean(Vm) / 0.7455) / c^3. (The code's
75 inner iterations for a single-band pan are not reproduced: ``inner_iters`` applies to all c.)
The updates run in float32 (costs in float64) and W, H are floored at 1e-12.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from methods._classical import ClassicalFusion, Sensors, check_positive_ints
from methods.registry import register

PAPER = "Yokoya, Yairi, Iwasaki, IEEE TGRS 50(2):528-537, 2012 (CNMF); VCA init: Nascimento, " \
        "Bioucas-Dias, IEEE TGRS 43(4):898-910, 2005"
TINY = 1e-12  # floor of W and H: keeps denominators non-zero and values out of subnormal range
CHECK_EVERY = 10  # the stopping test runs every 10 updates (the authors' code: every update)


def vca(data: np.ndarray, p: int, rng: np.random.Generator) -> np.ndarray:
    """(p,) column indices of the purest pixels of ``data`` (L bands, N pixels), by VCA.

    The data are projected on p-1 principal directions plus a constant (low SNR) or, above the
    SNR threshold 15 + 10 log10(p) dB, projectively on p singular directions; then p times a random
    direction orthogonal to the endmembers found so far picks the pixel of largest |projection|.
    """
    n_bands, n_pix = data.shape
    if p == 1:
        return np.array([int(np.argmax(np.linalg.norm(data, axis=0)))])
    mean = data.mean(axis=1, keepdims=True)
    centred = data - mean
    u = np.linalg.svd(centred @ centred.T / n_pix)[0][:, :p]
    x_p = u.T @ centred
    power_y = float(np.sum(data**2)) / n_pix
    power_x = float(np.sum(x_p**2)) / n_pix + float(np.sum(mean**2))
    signal, noise = power_x - p / n_bands * power_y, power_y - power_x
    snr = 10 * np.log10(signal / noise) if signal > 0 and noise > 0 else np.inf
    if snr < 15 + 10 * np.log10(p):
        x = x_p[: p - 1]
        scale = np.max(np.linalg.norm(x, axis=0))
        proj = np.vstack([x, np.full((1, n_pix), scale)])
    else:
        u = np.linalg.svd(data @ data.T / n_pix)[0][:, :p]
        x = u.T @ data
        proj = x / (x.mean(axis=1) @ x)[None]
    basis = np.zeros((p, p))
    basis[-1, 0] = 1.0
    indices = np.zeros(p, dtype=int)
    for i in range(p):
        w = rng.standard_normal(p)
        f = w - basis @ (np.linalg.pinv(basis) @ w)
        f /= np.linalg.norm(f)
        indices[i] = int(np.argmax(np.abs(f @ proj)))
        basis[:, i] = proj[:, indices[i]]
    return indices


def squared_error(v64: np.ndarray, w: np.ndarray, h: np.ndarray) -> float:
    """||V - WH||_F^2 in float64 (the updates themselves run in float32)."""
    r = v64 - w.astype(np.float64) @ h.astype(np.float64)
    return float(np.sum(r * r))


def multiplicative_updates(v: np.ndarray, w: np.ndarray, h: np.ndarray, delta: float,
                           iters: int, tol: float, update_w: bool = True, update_h: bool = True,
                           w_first: bool = True) -> tuple[np.ndarray, np.ndarray, float]:
    """Lee-Seung updates of W and/or H for V ~ WH, with the sum-to-one row of weight delta.

    v (L, N), w (L, M), h (M, N), float32. The H update sees V and W augmented by a row of delta's
    (so W'V gains delta^2 and W'W gains delta^2 11'); the W update leaves that row alone. Stops
    after ``iters`` rounds or when the cost falls by less than ``tol`` (relative) between checks.
    Returns W, H and the RMSE of V - WH.
    """
    v64, d2 = v.astype(np.float64), np.float32(delta**2)
    fixed_w = None if update_w else (w.T @ v + d2, w.T @ w)
    fixed_h = None if update_h else (v @ h.T, h @ h.T)

    def step_w(w: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        vht, hht = fixed_h if fixed_h is not None else (v @ h.T, h @ h.T)
        return np.maximum(w * vht / (w @ hht), TINY), h

    def step_h(w: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        wtv, wtw = fixed_w if fixed_w is not None else (w.T @ v + d2, w.T @ w)
        return w, np.maximum(h * wtv / (wtw @ h + d2 * h.sum(axis=0, keepdims=True)), TINY)

    steps = [s for s, on in ((step_w, update_w), (step_h, update_h)) if on]
    if not w_first:
        steps.reverse()
    cost0 = squared_error(v64, w, h)
    for i in range(iters):
        for step in steps:
            w, h = step(w, h)
        if (i + 1) % CHECK_EVERY == 0:
            cost = squared_error(v64, w, h)
            if (cost0 - cost) / max(cost, TINY) < tol:
                break
            cost0 = cost
    return w, h, float(np.sqrt(squared_error(v64, w, h) / v.size))


class CNMFFusion(ClassicalFusion):
    """Coupled NMF (Yokoya 2012) on numpy, sample by sample."""

    def fuse_arrays(self, lrhsi: np.ndarray, hrmsi: np.ndarray, sensors: Sensors) -> np.ndarray:
        p = self.params
        bands, h, w = lrhsi.shape
        c, hr_h, hr_w = hrmsi.shape
        vh = np.maximum(lrhsi.reshape(bands, -1), 0.0).astype(np.float32)
        vm = np.maximum(hrmsi.reshape(c, -1), 0.0).astype(np.float32)
        m = min(p["endmembers"], bands, vh.shape[1])
        iters, tol = p["inner_iters"], p["inner_tol"]
        delta = 2.0 * np.sqrt(vm.mean() / 0.7455) / c**3
        srf = np.maximum(sensors.srf, 0.0).astype(np.float32)

        def unmix_hsi(w_h: np.ndarray, h_h: np.ndarray, first: bool):
            """Step 1 (first=True: H_h alone, then W_h and H_h) or step 3 (W_h alone, then both)."""
            if first:
                _, h_h, _ = multiplicative_updates(vh, w_h, h_h, delta, iters, tol, update_w=False)
                return multiplicative_updates(vh, w_h, h_h, delta, iters, tol)
            w_h, _, _ = multiplicative_updates(vh, w_h, h_h, delta, iters, tol, update_h=False)
            return multiplicative_updates(vh, w_h, h_h, delta, iters, tol, update_h=c > 3,
                                          w_first=False)

        def unmix_msi(w_h: np.ndarray, h_m: np.ndarray):
            """Step 2: W_m = SRF · W_h; H_m alone, then W_m (if c > 3) and H_m."""
            w_m = np.maximum(srf @ w_h, TINY)
            _, h_m, _ = multiplicative_updates(vm, w_m, h_m, delta, iters, tol, update_w=False)
            return multiplicative_updates(vm, w_m, h_m, delta, iters, tol, update_w=c > 3)

        w_h = np.maximum(vh[:, vca(vh.astype(np.float64), m, np.random.default_rng(p["seed"]))],
                         TINY)
        w_h, h_h, rmse_h = unmix_hsi(w_h, np.full((m, vh.shape[1]), 1.0 / m, np.float32), True)
        h_m = sensors.upsample(h_h.reshape(m, h, w).astype(np.float64)).reshape(m, -1)
        _, h_m, rmse_m = unmix_msi(w_h, np.maximum(h_m, TINY).astype(np.float32))
        for i in range(p["outer_iters"]):
            h_h = sensors.degrade(h_m.reshape(m, hr_h, hr_w).astype(np.float64)).reshape(m, -1)
            new_w_h, _, new_rmse_h = unmix_hsi(w_h, np.maximum(h_h, TINY).astype(np.float32), False)
            if i == p["outer_iters"] - 1:
                w_h = new_w_h
                break
            _, new_h_m, new_rmse_m = unmix_msi(new_w_h, h_m)
            if min((rmse_h - new_rmse_h) / max(rmse_h, TINY),
                   (rmse_m - new_rmse_m) / max(rmse_m, TINY)) <= p["outer_tol"]:
                break  # as the authors' code: keep the previous loop's W_h and H_m
            w_h, h_m, rmse_h, rmse_m = new_w_h, new_h_m, new_rmse_h, new_rmse_m
        return (w_h.astype(np.float64) @ h_m.astype(np.float64)).reshape(bands, hr_h, hr_w)


@dataclass(frozen=True)
class CNMFConfig:
    """endmembers (capped at the band and LR-pixel counts), iteration limits and tolerances, the
    VCA seed, and NNLS (True) or LS for a missing SRF."""

    endmembers: int = 30
    inner_iters: int = 200
    outer_iters: int = 1
    inner_tol: float = 1e-8
    outer_tol: float = 1e-2
    seed: int = 0
    srf_nonneg: bool = True

    def __post_init__(self) -> None:
        check_positive_ints(self, "endmembers", "inner_iters", "outer_iters")


@register("cnmf", family="classical", label="CNMF", paper=PAPER, needs=("srf", "psf"),
          notes="Authors' code schedule (2016 release): VCA init, 200 inner / 1 outer "
                "iterations; endmembers fixed at min(30, C) instead of max(30, VD).")
def cnmf(bands: int, msi_bands: int, ratio: int = 4, **cfg: Any) -> CNMFFusion:
    return CNMFFusion(bands, msi_bands, ratio, CNMFConfig(**cfg))
