"""Exports side by side: the same export (one campaign of the large account loaded by
bench_reports.py) run by this tree's code and by another tree's (e.g. a worktree at the base
commit), alternating A B A B, each in a child process so its peak memory is the worker's own.

Run:  python bench/bench_exports_ab.py --other /path/to/base/worktree [--rounds 2] [--size 50000]
      [--formats csv,xlsx]   (DATABASE_URL defaults to the bench_reports database)

`--size` picks the large account's smallest batch of at least that many messages (the 1,000,000
campaign with --size 1000000). Prints rows/s and peak RSS per run and the medians.
"""

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_reports_bench")
os.environ.setdefault("DATA_DIR", "/tmp/portal-reports-bench")
HERE = Path(__file__).resolve().parent.parent

CHILD = """
import os, sys, time, resource
sys.path.insert(0, 'bench')
from unittest import mock
from _setup import setup_django
setup_django()
from accounts.models import Account
from messaging.pipeline.models import Batch
from messaging.reports import exports
account = Account.objects.get(username='bench-0')
batch = Batch.objects.filter(account=account, total__gte={size}).order_by('total', 'id').first()
with mock.patch('messaging.reports.exports.transaction.on_commit'):
    job, _ = exports.request_export(account, query={{'campaign': str(batch.uuid), 'since': '2000-01-01'}}, fmt='{fmt}')
t = time.perf_counter()
n = exports.run(job.pk)
s = time.perf_counter() - t
job.refresh_from_db()
job.file.delete(save=False)
print(n, s, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, job.checksum[:12])
"""


def run(tree, fmt, size):
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(fmt=fmt, size=size)], cwd=tree, capture_output=True, text=True, check=True
    )
    rows, seconds, rss_kb, checksum = out.stdout.split()[-4:]
    return int(rows), float(seconds), int(rss_kb) / 1024, checksum


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--other", required=True, type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--formats", default="csv,xlsx")
    args = parser.parse_args()
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    for fmt in args.formats.split(","):
        results = {"this": [], "other": []}
        for _ in range(args.rounds):
            for name, tree in (("other", args.other), ("this", HERE)):
                rows, seconds, rss, checksum = run(tree, fmt, args.size)
                results[name].append(rows / seconds)
                print(f"{fmt} {name:5}: {rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s, "
                      f"peak RSS {rss:.0f} MB (sha256 {checksum}…)")  # fmt: skip
        this, other = statistics.median(results["this"]), statistics.median(results["other"])
        print(f"{fmt}: median {this:,.0f} rows/s (this) vs {other:,.0f} rows/s (other): x{this / other:.1f}")
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
