"""Named simulation protocols: every setting that turns a reference cube into fusion problems.

A ``Protocol`` fixes the split (scene lists, or crop windows of one cube that share no pixel), the
crop of each image, the ratio, the blur (kind, size, sigma, boundary, sampling phase), the spectral
response that makes the HR-MSI, the noise and the normalisation. ``Protocol.record()`` writes all
of it as plain JSON values into every Scene's ``meta.degradation`` (and so into ``run.json``).
A dataset registers its protocols by name; ``datasets.get("cave:x8-gauss", root=R)`` picks one.

Sampling phase: LR pixel i is the blurred image over the HR window whose first pixel is
r*i + ``Blur.start`` (``simulate.blur_decimate``); the window's centre is at HR coordinate
r*i + start + (k-1)/2 (``lr_centre_hr_px``), and the kernel's centre of mass at r*i +
``psf_centroid_hr_px`` (they differ for an off-centre kernel). Block-centred decimation puts the
centre at r*i + (r-1)/2, the grid bicubic upsampling (align_corners=False) assumes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from scipy.signal import convolve2d

from datasets.errors import DataError
from datasets.registry import SceneList, register_dataset
from datasets.scene import Scene, SceneMeta
from datasets.simulate import (
    BOUNDARIES,
    NOISE,
    box_psf,
    centred_start,
    degrade_spatial,
    degrade_spectral,
    derived_seed,
    gaussian_psf,
)
from datasets.srf import srf_matrix, srf_settings

NORMALISATIONS = {
    "as-read": "values as the reader returns them (integer data divided by its bit depth's maximum)",
    "image-max": "divided by the maximum of the whole image as read, before any crop (for a "
                 "single-cube dataset: of the whole cube)",
    "crop-minmax": "each scene (cropped image or window) min-max normalised to [0, 1] over all "
                   "its bands",
}


BLUR_KINDS = ("gaussian", "box", "gaussian-bilinear")


@dataclass(frozen=True)
class Blur:
    """The PSF and how it is sampled.

    kind: "gaussian" (``sigma`` in HR pixels, peak at tap ``centre`` of the PSF, default
        (size-1)/2; the PSF is convolved, so a code that correlates with weights peaking at tap
        c has centre size-1-c); "box"; or "gaussian-bilinear": a Gaussian followed by a bilinear
        resize by an even ratio (OpenCV
        ``GaussianBlur`` then ``resize(INTER_LINEAR)``), which averages the two blurred pixels
        around each block centre, so the kernel is the Gaussian convolved with [1/2, 1/2]
        (size + 1 taps).
    size: the Gaussian's or box's side (HR pixels). boundary: one of ``simulate.BOUNDARIES``.
    start: the first HR pixel of LR pixel i's window relative to r*i (None: block-centred).
    """

    kind: str
    size: int
    sigma: float | None = None
    boundary: str = "reflect"
    start: int | None = None
    centre: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in BLUR_KINDS:
            raise ValueError(f"blur kind must be one of {BLUR_KINDS}, got {self.kind!r}")
        if self.kind != "box" and not (self.sigma and self.sigma > 0):
            raise ValueError(f"a gaussian blur needs sigma > 0, got {self.sigma}")
        if self.boundary not in BOUNDARIES:
            raise ValueError(f"boundary must be one of {sorted(BOUNDARIES)}, got {self.boundary!r}")

    def kernel(self) -> np.ndarray:
        """(k, k) float64, summing to 1 (k = size, or size + 1 for "gaussian-bilinear")."""
        if self.kind == "box":
            return box_psf(self.size)
        kernel = gaussian_psf(self.size, self.sigma, self.centre)
        if self.kind == "gaussian-bilinear":
            kernel = convolve2d(kernel, np.full((2, 2), 0.25), mode="full")
        return kernel

    def window_start(self, ratio: int) -> int:
        k = self.size + (self.kind == "gaussian-bilinear")
        return centred_start(k, ratio) if self.start is None else self.start

    def record(self, ratio: int) -> dict[str, Any]:
        start = self.window_start(ratio)
        taps = self.size + (self.kind == "gaussian-bilinear")
        centre = (self.size - 1) / 2 if self.centre is None else self.centre
        weights = self.kernel().sum(axis=1)[::-1]  # window order: the PSF is convolved
        return {"kind": self.kind, "size": self.size, "taps": taps,
                "sigma_hr_px": None if self.sigma is None else float(self.sigma),
                "peak_tap": None if self.kind == "box" else centre,
                "boundary": self.boundary, "window_start_hr_px": start,
                "lr_centre_hr_px": start + (taps - 1) / 2,
                "psf_centroid_hr_px": start + float(np.arange(taps) @ weights),
                "block_centre_hr_px": (ratio - 1) / 2}


@dataclass(frozen=True)
class Response:
    """The HR-MSI's spectral response: ``sensor`` (a pyrsr sensor or a shipped table, see
    ``srf``), its ``bands``, and how a band's value is taken from each HSI band
    (``band_model``: "sampled" at the band centre, or "gaussian" overlap). ``sensor`` "band-mean"
    is no sensor: each MSI band is the mean of a range of HSI bands, ``bands`` = ("0-35", ...)
    (0-based, inclusive)."""

    sensor: str
    bands: tuple[str, ...]
    band_model: str = "sampled"


@dataclass(frozen=True)
class Window:
    """A crop in HR pixels: top-left (row, col) and size (height, width)."""

    row: int
    col: int
    height: int
    width: int

    def name(self) -> str:
        return f"r{self.row}_c{self.col}_{self.height}x{self.width}"

    def shrunk(self, factor: int) -> Window:
        return Window(self.row // factor, self.col // factor, self.height // factor,
                      self.width // factor)


def grid_windows(height: int, width: int, tile: int, exclude: tuple[Window, ...] = (),
                 row0: int = 0, col0: int = 0) -> tuple[Window, ...]:
    """``tile`` x ``tile`` windows on a grid from (row0, col0) inside a ``height`` x ``width``
    image, leaving out every window that shares a pixel with one of ``exclude``."""
    out = []
    for y in range(row0, height - tile + 1, tile):
        for x in range(col0, width - tile + 1, tile):
            if not any(y < e.row + e.height and e.row < y + tile and x < e.col + e.width
                       and e.col < x + tile for e in exclude):
                out.append(Window(y, x, tile, tile))
    return tuple(out)


@dataclass(frozen=True)
class Split:
    """Either ``scenes`` (split -> scene names, for datasets of many images, each cut to ``crop``
    when given) or ``windows`` (split -> crops of the one cube, pairwise disjoint)."""

    scenes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    windows: dict[str, tuple[Window, ...]] = field(default_factory=dict)
    crop: Window | None = None
    note: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.scenes or self.windows)

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"note": self.note}
        if self.scenes:
            out["scenes"] = {k: list(v) for k, v in self.scenes.items()}
        if self.windows:
            out["windows"] = {k: [w.__dict__ for w in v] for k, v in self.windows.items()}
        if self.crop is not None:
            out["crop"] = self.crop.__dict__
        return out


@dataclass(frozen=True)
class Protocol:
    """One named way to make fusion problems from a dataset (see module docstring).

    ``sources``: where each setting comes from (papers and toolboxes, with file names).
    ``shrink``: 1 for the published geometry; N divides every window and crop by N (for small
    samples of a download; recorded, and the name gets "/N")."""

    name: str
    ratio: int
    blur: Blur
    response: Response
    split: Split
    normalisation: str = "as-read"
    snr_db: float | None = None
    sources: tuple[str, ...] = ()
    description: str = ""
    shrink: int = 1

    def __post_init__(self) -> None:
        if self.normalisation not in NORMALISATIONS:
            raise ValueError(f"normalisation must be one of {sorted(NORMALISATIONS)}, got "
                             f"{self.normalisation!r}")
        for windows in self.split.windows.values():
            for w in windows:
                if w.height % self.ratio or w.width % self.ratio:
                    raise ValueError(f"protocol {self.name}: window {w} is not a multiple of the "
                                     f"ratio {self.ratio}")
        self._check_disjoint()
        seen: dict[str, str] = {}
        for split, scenes in self.split.scenes.items():
            for scene in scenes:
                if seen.setdefault(scene, split) != split:
                    raise ValueError(f"protocol {self.name}: scene {scene!r} is in both "
                                     f"{seen[scene]} and {split}")

    def _check_disjoint(self) -> None:
        """ValueError when a window of one split shares a pixel with a window of another."""
        items = [(k, w) for k, ws in self.split.windows.items() for w in ws]
        for i, (s, a) in enumerate(items):
            for t, b in items[i + 1:]:
                if s != t and (a.row < b.row + b.height and b.row < a.row + a.height
                               and a.col < b.col + b.width and b.col < a.col + a.width):
                    raise ValueError(f"protocol {self.name}: {s} window {a} overlaps {t} window {b}")

    @property
    def label(self) -> str:
        return self.name if self.shrink == 1 else f"{self.name}/{self.shrink}"

    def shrunk(self, factor: int) -> Protocol:
        """This protocol with every window and crop divided by ``factor``: positions rounded
        down (which keeps disjoint windows disjoint), sizes divided exactly (they must stay
        multiples of the ratio); blur, response and ratio unchanged."""
        if factor < 1:
            raise ValueError(f"shrink must be >= 1, got {factor}")
        if factor == 1:
            return self
        geometry = [w for ws in self.split.windows.values() for w in ws]
        geometry += [self.split.crop] if self.split.crop else []
        for w in geometry:
            if w.height % factor or w.width % factor or \
                    (w.height // factor) % self.ratio or (w.width // factor) % self.ratio:
                raise ValueError(f"protocol {self.name}: cannot shrink {w.height}x{w.width} "
                                 f"windows by {factor} (sizes must divide and stay multiples of "
                                 f"the ratio {self.ratio})")
        split = replace(self.split,
                        windows={k: tuple(w.shrunk(factor) for w in ws)
                                 for k, ws in self.split.windows.items()},
                        crop=self.split.crop.shrunk(factor) if self.split.crop else None)
        return replace(self, split=split, shrink=self.shrink * factor)

    def record(self) -> dict[str, Any]:
        """Every setting as plain JSON values (``Scene.meta.degradation``)."""
        return {
            "model": "protocol",
            "protocol": self.label,
            "ratio": self.ratio,
            "psf": self.blur.record(self.ratio),
            "decimation": "LR pixel i = blurred image over HR window starting at r*i + "
                          "window_start_hr_px",
            "lr_centre_hr_px": self.blur.record(self.ratio)["lr_centre_hr_px"],
            "srf": {"sensor": self.response.sensor, "bands": list(self.response.bands),
                    "band_model": self.response.band_model},
            "normalisation": {"name": self.normalisation,
                              "meaning": NORMALISATIONS[self.normalisation]},
            "snr_db": self.snr_db,
            "noise": NOISE if self.snr_db is not None else "none",
            "misalign_px": 0,
            "split_definition": self.split.record(),
            "shrink": self.shrink,
            "sources": list(self.sources),
        }


@dataclass
class Source:
    """What a dataset hands the protocol: raw images by name, and their bands and provenance.

    ``load(name)`` returns (C, H, W) float32 values (see ``units``); for a single-cube dataset the
    one name is ``"cube"``. ``wavelengths_nm``/``fwhm_nm``: (C,)."""

    dataset: str
    load: Callable[[str], np.ndarray]
    wavelengths_nm: np.ndarray
    fwhm_nm: np.ndarray
    units: str
    citation: str
    licence: str
    location: str
    labels: dict[str, str] = field(default_factory=dict)  # image name -> its name in scene names


def _normalise(image: np.ndarray, how: str, image_max: Callable[[], float]
               ) -> tuple[np.ndarray, float, float]:
    """(normalised image, scale, offset): original = value * scale + offset."""
    if how == "as-read":
        return image, 1.0, 0.0
    if how == "crop-minmax":
        lo, hi = float(image.min()), float(image.max())
        if not hi > lo:
            raise ValueError(f"image is constant ({lo}); min-max normalisation needs a range")
        return (image - lo) / np.float32(hi - lo), hi - lo, lo
    top = image_max()
    if not top > 0:
        raise ValueError(f"maximum {top} is not positive; max normalisation needs one")
    return image / np.float32(top), top, 0.0


def _crop(image: np.ndarray, w: Window, where: str) -> np.ndarray:
    _, H, W = image.shape
    if w.row + w.height > H or w.col + w.width > W:
        raise DataError(where, f"image is {H}x{W}, too small for the window {w}",
                        "the dataset at its published size (or a protocol shrunk to the sample)")
    return image[:, w.row:w.row + w.height, w.col:w.col + w.width]


def response_matrix(response: Response, source: Source) -> tuple[np.ndarray, dict[str, Any]]:
    """((c, C) SRF with rows summing to 1, how it was made) for ``source``'s bands."""
    if response.sensor != "band-mean":
        return (srf_matrix(source.wavelengths_nm, source.fwhm_nm, response.sensor,
                           response.bands, response.band_model),
                srf_settings(response.sensor, response.bands, response.band_model))
    C = len(source.wavelengths_nm)
    srf = np.zeros((len(response.bands), C))
    for row, spec in enumerate(response.bands):
        lo, _, hi = spec.partition("-")
        first, last = int(lo), int(hi or lo)
        if not 0 <= first <= last < C:
            raise ValueError(f"band-mean range {spec!r} is outside the {C} bands")
        srf[row, first:last + 1] = 1.0 / (last - first + 1)
    return srf, {"sensor": "band-mean", "bands": list(response.bands),
                 "band_model": "mean of HSI bands first..last (0-based), rows sum to 1",
                 "source": "defined by the protocol"}


def protocol_scenes(source: Source, protocol: Protocol, split: str, seed: int = 0) -> SceneList:
    """The Scenes of ``protocol``'s ``split`` made from ``source``: crop, normalise, blur and
    sample, project onto the response, add noise."""
    if split not in protocol.split.names:
        raise ValueError(f"{source.dataset}:{protocol.label} has splits "
                         f"{list(protocol.split.names)}, got {split!r}")
    prefix = f"{source.dataset}:{protocol.label}/{split}"
    if protocol.split.scenes:
        items = [(s, source.labels.get(s, s), protocol.split.crop)
                 for s in protocol.split.scenes[split]]
    else:
        items = [("cube", w.name(), w) for w in protocol.split.windows[split]]
    names = [f"{prefix}/{label}" for _, label, _ in items]
    record = protocol.record()
    srf, record["srf"] = response_matrix(protocol.response, source)
    psf = protocol.blur.kernel()
    start = protocol.blur.window_start(protocol.ratio)
    image_max: dict[str, float] = {}

    def load(i: int) -> Scene:
        image_name, label, window = items[i]
        raw = source.load(image_name)
        where = f"{source.location} ({image_name})"
        if protocol.normalisation == "image-max" and image_name not in image_max:
            image_max[image_name] = float(raw.max())
        image = raw if window is None else _crop(raw, window, where)
        try:
            unit, scale, offset = _normalise(np.asarray(image, dtype=np.float32),
                                             protocol.normalisation, lambda: image_max[image_name])
        except ValueError as err:
            raise DataError(where, f"{label}: {err}", "an image with a value range") from err
        gt = torch.from_numpy(np.ascontiguousarray(unit, dtype=np.float32))
        if gt.shape[-1] % protocol.ratio or gt.shape[-2] % protocol.ratio:
            raise DataError(where, f"{label} is {gt.shape[-2]}x{gt.shape[-1]}",
                            f"sides that are multiples of the ratio {protocol.ratio}")
        scene_seed = derived_seed(seed, names[i])
        lr = degrade_spatial(gt, psf, protocol.ratio, protocol.snr_db, 0, scene_seed, start,
                             protocol.blur.boundary)
        hr = degrade_spectral(gt, srf, protocol.snr_db, scene_seed)
        degradation = {**record, "seed": seed, "tile_seed": scene_seed,
                       "split": {"name": split, "image": image_name, "label": label,
                                 "window": None if window is None else window.__dict__}}
        meta = SceneMeta(
            ratio=protocol.ratio, wavelengths_nm=source.wavelengths_nm, fwhm_nm=source.fwhm_nm,
            srf=srf, psf=psf, scale=scale, offset=offset,
            units=f"{NORMALISATIONS[protocol.normalisation]} (original: {source.units})",
            source=f"{source.citation}; read from {source.location}", licence=source.licence,
            degradation=degradation)
        return Scene(name=names[i], lrhsi=lr, hrmsi=hr, gt=gt, meta=meta)

    return SceneList(names, load)


def pick(protocols: Sequence[Protocol], name: str | None, shrink: int = 1) -> Protocol:
    """The protocol called ``name`` (None: the first), shrunk by ``shrink``."""
    table = {p.name: p for p in protocols}
    chosen = protocols[0] if name is None else table.get(name)
    if chosen is None:
        raise ValueError(f"unknown protocol {name!r}; this dataset has {', '.join(table)}")
    return chosen.shrunk(shrink)


def register_protocol_dataset(name: str, *, description: str, source: str, licence: str,
                              protocols: Sequence[Protocol],
                              open_source: Callable[[str, Protocol, str], Source]) -> None:
    """Register ``name`` with its ``protocols``; ``open_source(root, protocol, split)`` reads the
    download (raising DataError naming what is missing) for the factory

        factory(split="test", root=None, protocol=None, shrink=1, seed=0) -> SceneList
    """
    splits = tuple(dict.fromkeys(s for p in protocols for s in p.split.names))

    def factory(split: str = "test", root: str | None = None, protocol: str | None = None,
                shrink: int = 1, seed: int = 0) -> SceneList:
        if root is None:
            raise ValueError(f"dataset {name!r} needs root=<the unpacked download> (--root)")
        chosen = pick(protocols, protocol, shrink)
        return protocol_scenes(open_source(root, chosen, split), chosen, split, seed)

    factory.__qualname__ = f"{name}_factory"
    factory.__doc__ = (f"{description}. Options: root (the download), protocol (one of "
                       f"{', '.join(p.name for p in protocols)}), shrink, seed.")
    register_dataset(name, description=description, splits=splits, source=source,
                     licence=licence, protocols=protocols)(factory)
