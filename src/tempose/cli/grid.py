"""`tempose grid`: the thesis's 24 runs (4 models × experiments 1.1–2.3) and their finetuning.

Pretraining runs land in ``OUT/pretrain_<model>_<experiment>``; with ``--stage finetune`` each
finished pretraining run in ``--pretrained DIR`` (default OUT) is finetuned into
``OUT/finetune_<model>_<experiment>``. Finished runs (with ``test.json``) are skipped and
interrupted ones resumed, so the command can simply be run again.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from tempose.cli._training import add_training_flags, build_config

THESIS_MODELS = ("conv3d", "deciwatch", "biconvlstm_sum", "biconvlstm_concat")
THESIS_EXPERIMENTS = ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3")


def register(subparsers) -> None:
    p = subparsers.add_parser("grid", help="run the thesis's 24-run grid (pretraining or finetuning)",
                              description=__doc__.split("\n\n")[1])  # fmt: skip
    p.add_argument("--stage", required=True, choices=["pretrain", "finetune"])
    p.add_argument("--data", nargs="+", required=True, metavar="STORE")
    p.add_argument("--out", required=True, help="folder of run folders")
    p.add_argument("--pretrained", help="folder of pretraining runs to finetune (default --out)")
    p.add_argument("--models", default=",".join(THESIS_MODELS), help="comma-separated (default: the thesis's 4)")
    p.add_argument("--experiments", default=",".join(THESIS_EXPERIMENTS), help="comma-separated (default 1.1–2.3)")
    add_training_flags(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from tempose.errors import InputError
    from tempose.training.run import train

    out = Path(args.out)
    models = [m for m in args.models.split(",") if m]
    experiments = [e for e in args.experiments.split(",") if e]
    jobs = [(m, e) for m in models for e in experiments]
    done = failed = 0
    for model, experiment in tqdm(jobs, desc=f"grid {args.stage}", unit="run"):
        run_dir = out / f"{args.stage}_{model}_{experiment}"
        if (run_dir / "test.json").exists():
            done += 1
            continue
        extra = {"model.name": model, "data.experiment": experiment, "data.stores": list(args.data)}
        if args.stage == "finetune":
            source = Path(args.pretrained or out) / f"pretrain_{model}_{experiment}"
            if not (source / "best.ckpt").exists():
                tqdm.write(f"skip {run_dir.name}: no finished pretraining run {source}")
                failed += 1
                continue
            extra["init_checkpoint"] = str(source)
        config = build_config(args, args.stage, extra)
        resume = (run_dir / "last.ckpt").exists()
        if run_dir.exists() and not resume:  # crashed before its first epoch ended: start it again
            shutil.rmtree(run_dir)
        try:
            train(config, run_dir, resume=resume, progress=False)
            done += 1
        except InputError as exc:
            tqdm.write(f"{run_dir.name} failed: {exc}")
            failed += 1
    print(f"{done} of {len(jobs)} runs finished in {out}" + (f", {failed} not" if failed else ""))
    return 0 if not failed else 1
