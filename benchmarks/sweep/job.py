"""What one sweep job runs, on the machine the engine gives it: train, then measure.

``SweepJob`` is a ``submitit.helpers.Checkpointable``: when SLURM preempts the job or its time
runs out, submitit pickles it again and requeues it, and the new attempt calls it again. Every
call starts from what the job directory holds: training resumes from ``weights/last.pth`` (the
trainer writes it after every epoch, atomically), is skipped once ``weights/manifest.json`` says
it finished, and measuring continues ``run/`` with ``benchmarks.run --resume``.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import submitit

import fileio
from benchmarks.cli import error_line
from benchmarks.lock import LOCK_NAME
from benchmarks.sweep.plan import DONE, ERROR, JOB_FILE, now, read_job_file


class SweepJob(submitit.helpers.Checkpointable):
    """One (method, dataset, seed): ``benchmarks.train`` with ``train_argv`` into
    ``<directory>/weights``, then ``benchmarks.run`` with ``run_argv`` into ``<directory>/run``
    (both argument lists already name those directories). ``nproc``: train in that many processes
    (DDP, one per GPU) through ``benchmarks.training.launch``; None: in this process."""

    def __init__(self, key: str, directory: str, train_argv: list[str], run_argv: list[str],
                 nproc: int | None = None) -> None:
        self.key, self.directory = key, directory
        self.train_argv, self.run_argv, self.nproc = train_argv, run_argv, nproc

    @property
    def weights(self) -> Path:
        return Path(self.directory) / "weights"

    @property
    def run_dir(self) -> Path:
        return Path(self.directory) / "run"

    def __call__(self) -> dict[str, Any]:
        """Train (or resume, or skip finished training), then measure; returns job.json's
        content. job.json says which stage runs; a failure is recorded there and raised."""
        state: dict[str, Any] = {"key": self.key, "pid": os.getpid(), "host": socket.gethostname(),
                                 "started": now()}
        fileio.remove_stale_temps(self.directory)
        try:
            self._write(state, "training")
            state.update(self.train())
            self._write(state, "measuring")
            self.measure()
        except Exception as exc:  # recorded for the sweep, then raised for submitit
            self._write(state, ERROR, error=f"{state['status']}: {error_line(exc)}")
            raise
        return self._write(state, DONE)

    def _write(self, state: dict[str, Any], status: str, **more: Any) -> dict[str, Any]:
        state.update(status=status, updated=now(), **more)
        fileio.write_json(Path(self.directory) / JOB_FILE, state)
        return state

    def train(self) -> dict[str, Any]:
        """Run benchmarks.train, resuming from ``weights/last.pth`` when an earlier attempt left
        one; nothing when ``weights/manifest.json`` shows that training finished. Returns the
        resume point (``resumed_at_step``, ``resumed_at_epoch``) and ``steps`` trained."""
        from benchmarks import train
        from benchmarks.training import launch, load_checkpoint
        from benchmarks.training.manifest import MANIFEST, read_manifest

        manifest = self.weights / MANIFEST
        if manifest.exists():
            return {"steps": read_manifest(manifest)["budget"]["steps"]}
        argv, found = list(self.train_argv), {}
        last = self.weights / "last.pth"
        if last.exists():
            state = load_checkpoint(last)
            found = {"resumed_at_step": len(state.get("step_losses", [])),
                     "resumed_at_epoch": int(state["epoch"])}
            print(f"[{self.key}] resuming from {last} (step {found['resumed_at_step']}, epoch "
                  f"{found['resumed_at_epoch']})", flush=True)
            argv += ["--resume", str(last)]
        if self.nproc:
            code, message = launch.launch(
                self.nproc, launch.worker_command([], "benchmarks.train") + argv)
            if code:
                raise RuntimeError(f"training in {self.nproc} processes: {message}")
        else:
            print(train.describe(train.run(train.parse_args(argv))), flush=True)
        return {**found, "steps": read_manifest(manifest)["budget"]["steps"]}

    def measure(self) -> None:
        """Run benchmarks.run on the weights (``--resume`` when an earlier attempt wrote rows).
        The run directory's lock is removed first: it can only be an earlier attempt's, since
        the sweep runs one attempt of a job at a time. Errors of the run's scenes are its
        status=error rows; a run that cannot start raises."""
        from benchmarks import run

        argv = list(self.run_argv) + (["--resume"] if (self.run_dir / "rows.csv").exists() else [])
        (self.run_dir / LOCK_NAME).unlink(missing_ok=True)
        run.execute_locked(run.parse_args(argv))

    def checkpoint(self, *args: Any, **kwargs: Any) -> submitit.helpers.DelayedSubmission:
        """Requeue this job as it is (submitit calls this on preemption or timeout): the next
        call resumes from ``weights/last.pth``."""
        print(f"[{self.key}] preempted or out of time; requeued (stage "
              f"{read_job_file(Path(self.directory)).get('status', '?')})", flush=True)
        return super().checkpoint(*args, **kwargs)
