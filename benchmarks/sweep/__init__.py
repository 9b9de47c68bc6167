"""Training and benchmark sweeps on a job engine (submitit): ``python -m benchmarks.sweep``.

One job per (method, dataset, seed) trains the method with its recipe (``benchmarks.train``),
then measures it with the weights it wrote (``benchmarks.run --weights``); the sweep merges every
job's rows into one run directory and writes its report (``benchmarks.report``). Jobs run on a
SLURM cluster or on this machine (submitit's ``SlurmExecutor`` / ``LocalExecutor``); a job that
is preempted, killed or resubmitted with ``--resume`` continues from its last checkpoint.

The sweep directory::

    sweep.json        what was launched (methods, datasets, seeds, executor and its options,
                      training and measuring options) and each job's status and job ids
    rows.csv, per_band.csv, run.json, published.json, table1.md|tex, metrics.md|tex,
    paired.md|tex, cost.md|tex, figures/, fused/, curves/
                      the merged run (``python -m benchmarks.report DIR`` rebuilds its report)
    jobs/<method>--<dataset>--s<seed>/
        job.json      written by the job: its stage, process, resume point, error
        logs/         submitit's folder: the pickled job, its stdout/stderr, its result
        weights/      benchmarks.train's --out: last.pth, best.pth, curve.csv, manifest.json
        run/          benchmarks.run's --out: that job's rows and tables

Modules: ``plan`` (the sweep directory and sweep.json), ``job`` (what runs in a job),
``engine`` (submitit executors, submitting and waiting), ``merge`` (one run from the jobs'),
``cli`` (the command line).
"""
