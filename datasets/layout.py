"""The HSSDCT/QRCODE on-disk layout: reading, validating and writing one entry (HWC on disk).

    <root>/<entry>/GT.npz.npy   (H, W, C) float32, raw units
    <root>/<entry>/hrmsi.npz    hrmsi4 (H, W, 4), hrmsi6 (H, W, 6)
    <root>/<entry>/lrhsi.npz    lrhsi (h, w, C) aligned; lrhsi1..lrhsi3 misaligned by 1..3 px
    <list>.txt                  one entry per line, relative to root, with or without a trailing '/'

Files written by ``datasets.prepare`` also carry ``<root>/degradation.json`` (how LR/HR were made)
and ``<root>/split.json`` (how the split was made). Every reading error is a ``DataError`` that
names the file (and key) and says what was expected.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

import numpy as np

from datasets.errors import DataError
from fileio import write_atomic, write_text

GT_FILE = "GT.npz.npy"
HRMSI_FILE = "hrmsi.npz"
LRHSI_FILE = "lrhsi.npz"
HRMSI_KEYS = ("hrmsi4", "hrmsi6")
LRHSI_KEYS = ("lrhsi", "lrhsi1", "lrhsi2", "lrhsi3")
DEGRADATION_FILE = "degradation.json"
SPLIT_FILE = "split.json"
ENTRY_FILES = f"a directory holding {GT_FILE}, {HRMSI_FILE} and {LRHSI_FILE}"
NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK"  # a zip archive (PK\x03\x04), or an empty one (PK\x05\x06)
MAX_ARRAY_BYTES = 16 * 2**30  # larger arrays are refused from the header, before allocation


def hrmsi_key(msi_bands: int) -> str:
    """The HR-MSI key for ``msi_bands`` bands: hrmsi4 and hrmsi6 in the authors' layout, hrmsiN
    in one written from a protocol whose response has N bands."""
    if not isinstance(msi_bands, int) or msi_bands < 1:
        raise ValueError(f"msi_bands must be a positive band count (keys hrmsi4/hrmsi6, or "
                         f"hrmsiN for a protocol's layout), got {msi_bands!r}")
    return f"hrmsi{msi_bands}"


def lrhsi_key(misalignment: int) -> str:
    if misalignment not in (0, 1, 2, 3):
        raise ValueError(f"misalignment must be 0..3 (keys lrhsi, lrhsi1..3), got {misalignment}")
    return "lrhsi" if misalignment == 0 else f"lrhsi{misalignment}"


def entry_dir(root: str, entry: str) -> str:
    return os.path.join(root, entry.strip().rstrip("/"))


def normalise_entry(entry: str) -> str:
    """An entry as one canonical relative path: ``./x``, ``test//x`` and ``x/`` are ``x`` and
    ``test/x``; ValueError for an absolute path or one that leaves the root (``..``)."""
    text = entry.strip()
    if os.path.isabs(text):
        raise ValueError(f"entry {text!r} is an absolute path; entries are relative to the root")
    norm = os.path.normpath(text)
    if norm == "." or norm == ".." or norm.startswith(".." + os.sep):
        raise ValueError(f"entry {text!r} is not a path inside the root")
    return norm.replace(os.sep, "/")


def parse_list(list_file: str) -> tuple[list[tuple[int, str]], list[DataError]]:
    """(line number, normalised entry) for each usable line of a list file, and a DataError for
    each line that is not: an entry outside the root, or the same entry again (naming both
    lines). A missing or empty list file is one problem."""
    if not os.path.isfile(list_file):
        return [], [DataError(list_file, "list file not found", "a text file with one entry per line")]
    with open(list_file) as f:
        raw = [(n, line) for n, line in enumerate(f, 1) if line.strip()]
    if not raw:
        return [], [DataError(list_file, "list file has no entries", "one entry per line")]
    entries, problems, first_line = [], [], {}
    for n, line in raw:
        try:
            entry = normalise_entry(line)
        except ValueError as err:
            problems.append(DataError(list_file, f"line {n}: {err}", "a path relative to the root"))
            continue
        if entry in first_line:
            problems.append(DataError(list_file, f"lines {first_line[entry]} and {n} both name "
                                      f"{entry!r}", "each entry once"))
            continue
        first_line[entry] = n
        entries.append((n, entry))
    return entries, problems


def list_lines(list_file: str) -> list[tuple[int, str]]:
    """``parse_list``'s entries; its first problem, if any, raised."""
    entries, problems = parse_list(list_file)
    if problems:
        raise problems[0]
    return entries


def read_list(list_file: str, root: str | None = None) -> list[str]:
    """Entries of a list file. With ``root``, each must be a directory that resolves inside it
    (symbolic links included), else DataError."""
    entries = list_lines(list_file)
    if root is not None:
        for n, entry in entries:
            problem = entry_problem(root, list_file, n, entry)
            if problem is not None:
                raise problem
    return [e for _, e in entries]


def entry_problem(root: str, list_file: str, n: int, entry: str) -> DataError | None:
    """Why line ``n``'s ``entry`` is not a directory inside ``root`` (symbolic links resolved),
    or None when it is."""
    d = entry_dir(root, entry)
    if not os.path.isdir(d):
        return DataError(list_file, f"line {n}: entry {entry!r} does not exist under {root}",
                         ENTRY_FILES)
    real_root = os.path.realpath(root)
    if os.path.commonpath([real_root, os.path.realpath(d)]) != real_root:
        return DataError(list_file, f"line {n}: entry {entry!r} resolves outside {root}",
                         "an entry inside the root")
    return None


def _check_array(arr: np.ndarray, path: str, key: str | None, what: str) -> np.ndarray:
    if arr.ndim != 3:
        raise DataError(path, f"{what} has shape {arr.shape}", "a 3-D (H, W, C) array", key)
    if not np.issubdtype(arr.dtype, np.floating):
        raise DataError(path, f"{what} has dtype {arr.dtype}", "a float array", key)
    if not np.isfinite(arr).all():
        bad = int(arr.size - np.isfinite(arr).sum())
        raise DataError(path, f"{what} holds {bad} NaN/Inf values", "finite values", key)
    return arr


def _size(n: int) -> str:
    """Bytes as text: TiB, GiB or bytes."""
    if n >= 2**40:
        return f"{n / 2**40:.2f} TiB"
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n:,} bytes"


def _check_npy_header(f: IO[bytes], available: int, path: str, key: str | None) -> None:
    """Read an .npy header from ``f``; DataError unless the array it declares fits in the
    ``available`` bytes of the file and under ``MAX_ARRAY_BYTES`` (checked before any allocation)."""
    start = f.tell()
    try:
        version = np.lib.format.read_magic(f)
        read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                else np.lib.format.read_array_header_2_0)
        shape, _, dtype = read(f)
    except (ValueError, OSError, EOFError) as err:
        raise DataError(path, f"the .npy header cannot be read ({err})", "a valid .npy header",
                        key) from err
    declared = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    present = available - (f.tell() - start)
    if declared > present:
        raise DataError(path, f"the header declares a {'x'.join(map(str, shape))} {dtype} array "
                        f"({_size(declared)}) but only {_size(present)} follow it",
                        "a complete .npy array", key)
    if declared > MAX_ARRAY_BYTES:
        raise DataError(path, f"the array is {_size(declared)}",
                        f"at most {_size(MAX_ARRAY_BYTES)} (datasets.layout.MAX_ARRAY_BYTES)", key)


def check_header(path: str, key: str | None = None) -> None:
    """Check an .npy file (``key`` None) or one member of an .npz before reading it: the format
    by its magic bytes, and the declared array size against the bytes present and the limit."""
    with open(path, "rb") as f:
        magic = f.read(6)
        if key is None:
            if magic != NPY_MAGIC:
                found = "an .npz (zip) file" if magic.startswith(ZIP_MAGIC) else "not an .npy file"
                raise DataError(path, f"{found} (starts with {magic!r})", "an .npy file")
            f.seek(0)
            _check_npy_header(f, os.fstat(f.fileno()).st_size, path, None)
            return
    if not magic.startswith(ZIP_MAGIC):
        raise DataError(path, f"not an .npz (zip) file (starts with {magic!r})", "an .npz file", key)
    try:
        with zipfile.ZipFile(path) as zf:
            names = {n.removesuffix(".npy"): n for n in zf.namelist()}
            if key not in names:
                raise DataError(path, f"missing key (has {sorted(names)})", f"key {key!r}", key)
            info = zf.getinfo(names[key])
            with zf.open(info) as member:
                _check_npy_header(member, info.file_size, path, key)
    except zipfile.BadZipFile as err:
        raise DataError(path, f"a damaged .npz ({err})", "a valid .npz file", key) from err


def load_array(path: str, key: str | None = None) -> np.ndarray:
    """One (H, W, C) float array from a .npy (``key`` None) or one key of a .npz, validated; the
    header is checked (``check_header``) before the array is allocated."""
    if not os.path.isfile(path):
        expected = "a .npy file" if key is None else f"a .npz with key {key!r}"
        raise DataError(path, "file not found", expected, key)
    check_header(path, key)
    try:
        if key is None:
            return _check_array(np.load(path, allow_pickle=False), path, None, "array")
        with np.load(path, allow_pickle=False) as npz:
            if key not in npz.files:
                raise DataError(path, f"missing key (has {sorted(npz.files)})", f"key {key!r}", key)
            arr = npz[key]
    except DataError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as err:
        kind = "npy" if key is None else "npz"
        raise DataError(path, f"cannot be read ({type(err).__name__}: {err})",
                        f"a valid .{kind} file", key) from err
    return _check_array(arr, path, key, "array")


def check_shapes(gt: np.ndarray, lr: np.ndarray, hr: np.ndarray, d: str,
                 lr_key: str, hr_key: str) -> None:
    """GT (H, W, C), LR (h, w, C), HR (H, W, c): same C, same H x W, H/h = W/w an integer >= 1."""
    lr_path, hr_path = os.path.join(d, LRHSI_FILE), os.path.join(d, HRMSI_FILE)
    H, W, C = gt.shape
    if lr.shape[2] != C:
        raise DataError(lr_path, f"{lr.shape[2]} bands but {GT_FILE} has {C}",
                        f"{C} bands, as in {GT_FILE}", lr_key)
    expected_c = int(hr_key.removeprefix("hrmsi"))
    if hr.shape[2] != expected_c:
        raise DataError(hr_path, f"{hr.shape[2]} bands", f"{expected_c} bands for {hr_key}", hr_key)
    if hr.shape[:2] != (H, W):
        raise DataError(hr_path, f"size {hr.shape[0]}x{hr.shape[1]}",
                        f"{H}x{W}, the size of {GT_FILE}", hr_key)
    h, w = lr.shape[:2]
    if H % h or W % w or H // h != W // w:
        raise DataError(lr_path, f"size {h}x{w} is not GT's {H}x{W} divided by one integer ratio",
                        "H/h = W/w, an integer", lr_key)


def read_entry(root: str, entry: str, msi_bands: int = 4, misalignment: int = 0
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(GT (H, W, C), LR-HSI (h, w, C), HR-MSI (H, W, c)) as stored, validated."""
    d = entry_dir(root, entry)
    if not os.path.isdir(d):
        raise DataError(d, "entry directory not found", ENTRY_FILES)
    lr_key, hr_key = lrhsi_key(misalignment), hrmsi_key(msi_bands)
    gt = load_array(os.path.join(d, GT_FILE))
    lr = load_array(os.path.join(d, LRHSI_FILE), lr_key)
    hr = load_array(os.path.join(d, HRMSI_FILE), hr_key)
    check_shapes(gt, lr, hr, d, lr_key, hr_key)
    return gt, lr, hr


def co_file(msi_bands: int, misalignment: int) -> str:
    """The lab's precomputed CO-CNMF cube of an entry: ``co{msi}{k}.npz.npy``, k = misalignment + 1."""
    return f"co{msi_bands}{misalignment + 1}.npz.npy"


def read_anchor(root: str, entry: str, msi_bands: int, misalignment: int,
                gt_shape: tuple[int, ...]) -> np.ndarray | None:
    """The entry's CO-CNMF cube (H, W, C) as stored, or None when the entry has none."""
    path = os.path.join(entry_dir(root, entry), co_file(msi_bands, misalignment))
    if not os.path.exists(path):
        return None
    co = load_array(path)
    if co.shape != tuple(gt_shape):
        raise DataError(path, f"shape {co.shape} differs from the GT's", f"{tuple(gt_shape)} (H, W, C)")
    return co


def check_entry(root: str, entry: str, hrmsi_keys: tuple[str, ...] = HRMSI_KEYS
                ) -> list[DataError]:
    """Every problem with one entry (all keys, all files), without stopping at the first;
    ``hrmsi_keys``: the HR-MSI keys the layout has (``degradation.json`` says, when present)."""
    d = entry_dir(root, entry)
    if not os.path.isdir(d):
        return [DataError(d, "entry directory not found", ENTRY_FILES)]
    problems: list[DataError] = []

    def attempt(fn: Callable[[], np.ndarray]) -> np.ndarray | None:
        try:
            return fn()
        except DataError as err:
            problems.append(err)
            return None

    gt_path = os.path.join(d, GT_FILE)
    gt = attempt(lambda: load_array(gt_path))
    if gt is not None and not gt.max() > gt.min():
        problems.append(DataError(gt_path, "GT is constant", "a range for min-max normalisation"))
    lrs = {k: attempt(lambda k=k: load_array(os.path.join(d, LRHSI_FILE), k)) for k in LRHSI_KEYS}
    hrs = {k: attempt(lambda k=k: load_array(os.path.join(d, HRMSI_FILE), k)) for k in hrmsi_keys}
    if gt is None:
        return problems
    lr0 = next((a for a in lrs.values() if a is not None), None)
    for lr_key, lr in lrs.items():
        for hr_key, hr in hrs.items():
            if lr is None or hr is None:
                continue
            try:
                check_shapes(gt, lr, hr, d, lr_key, hr_key)
            except DataError as err:
                if str(err) not in {str(p) for p in problems}:
                    problems.append(err)
        if lr is not None and lr0 is not None and lr.shape != lr0.shape:
            problems.append(DataError(os.path.join(d, LRHSI_FILE), f"shape {lr.shape}",
                                      f"{lr0.shape}, the same for every lrhsi key", lr_key))
    return problems


def _save_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as f:  # a file object: np.save would append ".npy" to the name
        np.save(f, array)


def _save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def write_entry(root: str, entry: str, gt: np.ndarray, lrhsi: dict[str, np.ndarray],
                hrmsi: dict[str, np.ndarray]) -> str:
    """Write one entry (HWC float32 arrays) atomically, file by file; returns its directory."""
    unknown = (set(lrhsi) - set(LRHSI_KEYS)) | {
        k for k in hrmsi if not (k.startswith("hrmsi") and k[5:].isdigit())}
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}; the layout's keys are {LRHSI_KEYS} "
                         "and hrmsiN")
    d = entry_dir(root, entry)
    os.makedirs(d, exist_ok=True)
    f32 = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in {**lrhsi, **hrmsi}.items()}
    write_atomic(os.path.join(d, GT_FILE),
                 lambda tmp: _save_npy(tmp, np.ascontiguousarray(gt, dtype=np.float32)))
    write_atomic(os.path.join(d, LRHSI_FILE), lambda tmp: _save_npz(tmp, {k: f32[k] for k in lrhsi}))
    write_atomic(os.path.join(d, HRMSI_FILE), lambda tmp: _save_npz(tmp, {k: f32[k] for k in hrmsi}))
    return d


def write_list(path: str, entries: Iterable[str]) -> None:
    """A list file, one entry per line, each with a trailing '/' (the authors' code needs it)."""
    write_text(path, "".join(f"{e.rstrip('/')}/\n" for e in entries))
