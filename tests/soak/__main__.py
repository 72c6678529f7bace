"""``python -m tests.soak --cycles N --seed S [--deployment embedded|distributed|both]``:
the soak run (``make soak``); prints the counts, exits 1 on anything lost or duplicated."""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from pathlib import Path

from tests.soak.soak import Deployment, run_soak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None, help="default: a random one")
    parser.add_argument("--deployment", choices=["both", *Deployment], default="both")
    parser.add_argument("--workdir", type=Path, default=None, help="keep config, DB and logs")
    parser.add_argument("--verbose", action="store_true", help="one line per kill")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(65536)
    deployments = list(Deployment) if args.deployment == "both" else [Deployment(args.deployment)]
    failed = False
    base = args.workdir or Path(tempfile.mkdtemp(prefix="monitor-soak-"))
    for deployment in deployments:
        report = run_soak(
            args.cycles,
            seed,
            deployment,
            workdir=base / deployment.value,
            echo=(lambda line: print(line, flush=True)) if args.verbose else None,
        )
        print("\n".join(report.lines()), flush=True)
        if not report.ok:
            failed = True
            print(f"  logs kept in {base / deployment.value / 'logs'}", flush=True)
    if not failed and args.workdir is None:
        shutil.rmtree(base, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
