"""The sweep directory and its ``sweep.json``: what was launched and where each job stands.

``sweep.json`` (format ``hsfusion-bench/sweep-v1``) is written atomically by the sweep command
only; each job writes its own ``jobs/<key>/job.json``, which the sweep reads back.

A job's status in sweep.json: ``pending`` (not submitted yet), ``submitted`` (queued or running:
``job_ids`` holds every attempt's id, the last one current), ``done`` (trained and measured) or
``error`` (failed, killed, cancelled or out of time: ``error`` says why, ``log`` where to look).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fileio
from benchmarks.schema import file_stem

FORMAT = "hsfusion-bench/sweep-v1"
SWEEP_FILE = "sweep.json"
JOB_FILE = "job.json"
JOBS = "jobs"
PENDING, SUBMITTED, DONE, ERROR = "pending", "submitted", "done", "error"


def now() -> str:
    """The time in UTC, ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def job_key(method: str, dataset: str, seed: int) -> str:
    """The job's name and directory: ``<method>--<dataset>--s<seed>`` (``cave:x8-gauss`` becomes
    ``cave_x8-gauss``)."""
    return f"{method}--{file_stem(dataset)}--s{seed}"


@dataclass
class JobRecord:
    """One job of a sweep, as sweep.json keeps it.

    status: see the module docstring. job_ids: the engine's id of every attempt (SLURM job ids,
    or the local controller's pid). host: where the last attempt was submitted from. log: the
    last attempt's stderr file. resumed_at_step: the optimizer steps the last attempt's training
    resumed from (None: it started from scratch or did not train). steps: optimizer steps in the
    finished weights.
    """

    key: str
    method: str
    dataset: str
    seed: int
    status: str = PENDING
    job_ids: list[str] = field(default_factory=list)
    host: str | None = None
    log: str | None = None
    error: str | None = None
    resumed_at_step: int | None = None
    steps: int | None = None


@dataclass
class Sweep:
    """A sweep directory: the plan (methods, datasets, seeds, options) and its jobs.

    roots: dataset name -> root directory (key ``*``: every dataset). split: the scored split.
    executor: ``local`` or ``slurm``; executor_options: submitit's parameters (``timeout_min``,
    ``gpus_per_node``, ``slurm_partition``, ...). train: options passed to ``benchmarks.train``
    (None: the recipe's). measure: options of ``benchmarks.run`` (profile, device, no_cost).
    """

    path: Path
    methods: list[str]
    datasets: list[str]
    seeds: list[int] | None
    roots: dict[str, str]
    split: str
    executor: str
    executor_options: dict[str, Any]
    train: dict[str, Any]
    measure: dict[str, Any]
    jobs: list[JobRecord]
    reference: str | None = None
    command: str = ""
    created: str = field(default_factory=now)

    @property
    def file(self) -> Path:
        return self.path / SWEEP_FILE

    def job_dir(self, record: JobRecord) -> Path:
        return self.path / JOBS / record.key

    def logs_dir(self, record: JobRecord) -> Path:
        """submitit's folder of the job: pickles, stdout, stderr, result."""
        return self.job_dir(record) / "logs"

    def root_of(self, dataset: str) -> str | None:
        """The ``--root`` of ``dataset`` (by full name, then base name, then the one for all)."""
        for name in (dataset, dataset.partition(":")[0], "*"):
            if name in self.roots:
                return self.roots[name]
        return None

    def record(self, key: str) -> JobRecord:
        return next(r for r in self.jobs if r.key == key)

    def save(self) -> Path:
        """Write sweep.json atomically."""
        data = {"format": FORMAT, "updated": now(),
                **{f.name: getattr(self, f.name) for f in fields(self) if f.name != "path"}}
        data["jobs"] = [asdict(r) for r in self.jobs]
        return fileio.write_json(self.file, data)

    @classmethod
    def load(cls, path: Path) -> Sweep:
        """The sweep in ``path``; ValueError naming sweep.json when it is missing or not one."""
        file = path / SWEEP_FILE
        try:
            data = json.loads(file.read_text())
        except FileNotFoundError:
            raise ValueError(f"{file}: no such file (not a sweep directory)") from None
        except (OSError, json.JSONDecodeError) as err:
            raise ValueError(f"{file}: not readable as JSON ({err})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"{file}: not a sweep of this suite (no format={FORMAT!r})")
        names = {f.name for f in fields(cls)} - {"path"}
        missing = sorted(names - set(data) - {"reference", "command", "created"})
        if missing:
            raise ValueError(f"{file}: missing {', '.join(missing)}")
        try:
            jobs = [JobRecord(**job) for job in data["jobs"]]
        except TypeError as err:
            raise ValueError(f"{file}: a job entry is malformed ({err})") from None
        return cls(path=path, **{**{k: data[k] for k in names if k in data}, "jobs": jobs})


def read_job_file(job_dir: Path) -> dict[str, Any]:
    """``job.json`` of a job directory ({} when the job has not started)."""
    file = job_dir / JOB_FILE
    try:
        data = json.loads(file.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"{file}: not readable as JSON ({err})") from None
    return data if isinstance(data, dict) else {}
