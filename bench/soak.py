"""Soak: several writers on one database, then servers killed mid-batch, and what survived.

    uv run python bench/soak.py [--seconds 60] [--writers 3] [--cli-stores 10] [--crashes 20]

Phase 1: --writers stdio server processes store, update, delete and search one database for
--seconds while the CLI stores --cli-stores memories (each its own process). Phase 2: --crashes
trials, each a server sent batch stores and killed with SIGKILL at a random moment (0-2 s after its
first batch was acknowledged). After each phase
the database is checked: integrity, every acknowledged write present with its acknowledged content,
keyword and vector indexes matching the rows. Prints the counts.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.processes import Ledger, check_database, crash_trial, run_writers


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--cli-stores", type=int, default=10)
    parser.add_argument("--crashes", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "soak.db"
        started = time.perf_counter()
        ledger = anyio.run(
            partial(run_writers, db, seconds=args.seconds, servers=args.writers, cli_stores=args.cli_stores)
        )
        problems = check_database(db, ledger)
        locked = [e for e in ledger.errors if "locked" in e.lower()]
        print(f"phase 1: {args.writers} server writers + CLI, {time.perf_counter() - started:.0f} s")
        print("| figure | value |\n|---|---|")
        print(f"| operations acknowledged or refused | {ledger.operations} |")
        print(f"| memories acknowledged | {len(ledger.content)} (deleted {len(ledger.deleted)}) |")
        print(f"| errors reaching a client | {len(ledger.errors)} |")
        print(f"| 'database is locked' reaching a client | {len(locked)} |")
        print(
            f"| lost or wrong acknowledged writes, index mismatches, integrity failures | {len(problems)} |"
        )
        for problem in problems[:10] + ledger.errors[:10]:
            print(f"  {problem}")

        crash_db = Path(tmp) / "crash.db"
        rng = random.Random(2026)
        total = Ledger()
        failures = 0
        started = time.perf_counter()
        for _ in range(args.crashes):
            trial = crash_trial(crash_db, rng)
            total.content.update(trial.content)
            total.operations += trial.operations
            found = check_database(crash_db, total)
            failures += bool(found)
            for problem in found[:5]:
                print(f"  {problem}")
        print(
            f"\nphase 2: {args.crashes} SIGKILL trials during batch stores, {time.perf_counter() - started:.0f} s"
        )
        print("| figure | value |\n|---|---|")
        print(f"| batch calls acknowledged before the kills | {total.operations} |")
        print(f"| items acknowledged | {len(total.content)} |")
        print(f"| trials with a lost item, an index mismatch or an integrity failure | {failures} |")


if __name__ == "__main__":
    main()
