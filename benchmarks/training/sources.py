"""Command-line plumbing shared by ``benchmarks.train`` and ``benchmarks.evaluate``: where scenes
come from (the paper's layout under --root with list files, or a registered --dataset) and
``--model-cfg KEY=VALUE`` options."""

from __future__ import annotations

import argparse
import ast
import os
from collections.abc import Sequence
from typing import Any

import datasets
from benchmarks.cli import add_debug_arg
from datasets import Scene


def add_data_args(p: argparse.ArgumentParser) -> None:
    """--dataset / --root / --msi-bands / --misalignment (the lists are added by each CLI)."""
    p.add_argument("--root", help="directory of the paper's layout (with list files)")
    p.add_argument("--dataset", help="a registered dataset instead of --root (e.g. indian_pines; "
                   "python -m datasets list)")
    p.add_argument("--msi-bands", type=int, default=None,
                   help="HR-MSI bands (paper layout: 4 or 6, default 4; --dataset: its default)")
    p.add_argument("--misalignment", type=int, default=0,
                   help="LR-HSI misalignment in px (paper layout keys lrhsi, lrhsi1..3)")


def add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model-cfg", action="append", default=[], metavar="KEY=VALUE",
                   help="a build option of the method (repeatable), e.g. nf=64")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                   help="auto: CUDA when available, else CPU")
    add_debug_arg(p)


def parse_model_cfg(items: Sequence[str]) -> dict[str, Any]:
    """``["nf=64", "mode=fast"]`` -> ``{"nf": 64, "mode": "fast"}`` (Python literals, else text)."""
    cfg: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--model-cfg expects KEY=VALUE, got {item!r}")
        try:
            cfg[key.strip()] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            cfg[key.strip()] = text
    return cfg


def list_path(root: str, path: str) -> str:
    """A list file as given, or relative to ``root`` when it is not found as given."""
    if os.path.isfile(path) or os.path.isabs(path):
        return path
    return os.path.join(root, path)


def scenes_for(args: argparse.Namespace, split: str, list_file: str | None) -> Sequence[Scene]:
    """The scenes of one split: ``--dataset``'s split (read from the download at ``--root`` for
    a dataset with protocols, e.g. cave:x8-gauss), or ``list_file`` under ``--root``."""
    if args.dataset is None and args.root is None:
        raise ValueError("give either --dataset NAME or --root DIR with list files")
    options: dict[str, Any] = {}
    if args.msi_bands is not None:
        options["msi_bands"] = args.msi_bands
    if args.dataset is not None:
        if args.misalignment:
            options["misalign_px"] = args.misalignment
        if args.root is not None:
            options["root"] = args.root
        return datasets.get(args.dataset, split=split, **options)
    if list_file is None:
        raise ValueError(f"--root needs a list file for the {split} split")
    return datasets.get("paper", split=split, root=args.root,
                        list=list_path(args.root, list_file), misalignment=args.misalignment,
                        **options)


def held_out_split(dataset: str) -> str | None:
    """The split used for validation with --dataset: "val" if the dataset has one, else "test"."""
    splits = datasets.registry.splits_of(dataset)
    return "val" if "val" in splits else "test" if "test" in splits else None
