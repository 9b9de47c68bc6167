"""Submitting a sweep's jobs with submitit, and following them until they end.

``local`` runs jobs on this machine (submitit's ``LocalExecutor``: a controller process per job,
which outlives this one), ``slurm`` submits them with ``sbatch`` (``SlurmExecutor``); both go
through ``AutoExecutor``, which passes each option to the executor it belongs to.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import submitit

from benchmarks.lock import alive
from benchmarks.sweep.job import SweepJob
from benchmarks.sweep.plan import (
    DONE,
    ERROR,
    JOB_FILE,
    PENDING,
    SUBMITTED,
    JobRecord,
    Sweep,
    read_job_file,
)

EXECUTORS = ("local", "slurm")


def executor_for(sweep: Sweep, record: JobRecord) -> submitit.Executor:
    """An executor whose folder is the job's ``logs/``, with the sweep's options."""
    executor = submitit.AutoExecutor(folder=sweep.logs_dir(record), cluster=sweep.executor)
    executor.update_parameters(name=f"sweep-{record.key}", **sweep.executor_options)
    return executor


def submit(sweep: Sweep, record: JobRecord, job: SweepJob) -> submitit.Job:
    """Submit ``job`` as ``record``'s next attempt; ``record`` then says ``submitted`` with the
    attempt's id and log. An earlier attempt's job.json is removed: it describes the current one."""
    (sweep.job_dir(record) / JOB_FILE).unlink(missing_ok=True)
    try:
        handle = executor_for(sweep, record).submit(job)
    except Exception as exc:  # sbatch refused it, or submitit did: one line naming the job
        raise RuntimeError(f"job {record.key}: submitting to {sweep.executor} failed: "
                           f"{str(exc).strip().splitlines()[-1] if str(exc).strip() else exc!r}"
                           ) from exc
    record.status, record.error = SUBMITTED, None
    record.job_ids.append(str(handle.job_id))
    record.host = socket.gethostname()
    record.log = str(handle.paths.stderr)
    return handle


def last_attempt(sweep: Sweep, record: JobRecord) -> submitit.Job | None:
    """The attempt that a previous sweep command left ``submitted``: a SLURM job (queued,
    running or ended), or None on the local engine once its process has ended. ValueError for a
    local attempt that still runs (this command cannot follow another one's processes)."""
    if record.status != SUBMITTED or not record.job_ids:
        return None
    job_id = record.job_ids[-1]
    if sweep.executor == "slurm":
        return submitit.SlurmJob(folder=sweep.logs_dir(record), job_id=job_id)
    if record.host != socket.gethostname():
        raise ValueError(f"job {record.key}: its attempt {job_id} was started on {record.host}, "
                         f"not here; resume the sweep there")
    if job_id.isdigit() and alive(int(job_id)):
        raise ValueError(f"job {record.key}: its attempt (pid {job_id}) still runs; wait for it "
                         f"to end or stop it (kill {job_id}), then resume")
    return None


def settle(sweep: Sweep, record: JobRecord, handle: submitit.Job | None = None) -> None:
    """Record how the job's last attempt ended, from its job.json (and, when the job never got
    to write it, from submitit's result)."""
    info = read_job_file(sweep.job_dir(record))
    record.resumed_at_step = info.get("resumed_at_step")
    record.steps = info.get("steps", record.steps)
    if info.get("status") == DONE:
        record.status, record.error = DONE, None
        return
    record.status = ERROR
    if info.get("status") == ERROR:
        record.error = info.get("error")
        return
    reason = None
    if handle is not None and handle.paths.result_pickle.exists():
        failure = handle.exception()
        reason = str(failure).strip().splitlines()[-1] if failure else None
    stage = info.get("status", "before starting")
    state = f"SLURM state {handle.state}: " if handle is not None and sweep.executor == "slurm" else ""
    record.error = reason or (f"ended while {stage} without finishing ({state}killed, cancelled, "
                              "out of time or out of memory)")


def needs_submission(record: JobRecord) -> bool:
    """Pending, or ended without finishing: the job is (re)submitted."""
    return record.status in (PENDING, ERROR)


def run_jobs(sweep: Sweep, make_job: Callable[[JobRecord], SweepJob], *, max_parallel: int,
             poll_s: float, wait: bool, say: Callable[[str], None] = print,
             attached: dict[str, Any] | None = None) -> None:
    """Submit every job that needs it, at most ``max_parallel`` at a time (0: all at once), and
    with ``wait`` follow them until each ends, saving sweep.json at every change. ``attached``:
    attempts of an earlier command that still run (key -> submitit job)."""
    active: dict[str, Any] = dict(attached or {})
    queue = [r for r in sweep.jobs if needs_submission(r)]
    while queue or active:
        while queue and (max_parallel <= 0 or len(active) < max_parallel):
            record = queue.pop(0)
            active[record.key] = submit(sweep, record, make_job(record))
            sweep.save()
            say(f"[{record.key}] submitted as {record.job_ids[-1]} (log {record.log})")
        if not wait:
            return
        time.sleep(poll_s)
        for key, handle in list(active.items()):
            if handle.done():
                record = sweep.record(key)
                settle(sweep, record, handle)
                del active[key]
                sweep.save()
                say(f"[{key}] {record.status}" + (f": {record.error}" if record.error else ""))
