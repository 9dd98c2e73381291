#!/usr/bin/env python3
"""The Python baseline of the `pool` case: multiprocessing.Pool(workers) on the CPU-bound task of
bench_patterns_troupe (the primes below --work by trial division), --jobs jobs.

The pool is started and warmed up (one job per process) before the clock runs, as troupe's
pool is; the jobs go out one per task (chunksize=1, as troupe sends them). Prints one JSON line
in the format of bench_patterns_troupe and exits non-zero if a result is wrong.

    python3 bench/python/worker_pool.py [--workers 2] [--jobs 16] [--work 100000]
"""

import argparse
import json
import os
import platform
import resource
import sys
import time
from multiprocessing import Pool

from bounded_buffer import peak_rss_mib  # the same measure as the buffer case


def count_primes(n):
    count = 0
    for i in range(2, n):
        prime = True
        d = 2
        while d * d <= i:
            if i % d == 0:
                prime = False
                break
            d += 1
        count += prime
    return count


def cpu_seconds():
    """User + system time of this process and its children that have ended."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--jobs", type=int, default=16)
    parser.add_argument("--work", type=int, default=100000)
    args = parser.parse_args()
    if args.workers < 1 or args.jobs < 1 or args.work < 2:
        parser.error("need --workers >= 1, --jobs >= 1, --work >= 2")
    expect = count_primes(args.work)
    with Pool(args.workers) as pool:
        pool.map(count_primes, [args.work] * args.workers, chunksize=1)  # the warm-up
        start, cpu_start = time.perf_counter(), cpu_seconds()
        results = pool.map(count_primes, [args.work] * args.jobs, chunksize=1)
        seconds = time.perf_counter() - start
    # The children's CPU time counts once they have ended (the pool is closed by now).
    cpu = cpu_seconds() - cpu_start
    right = sum(1 for r in results if r == expect)
    error = "" if right == args.jobs else f"right_results is {right}, expected {args.jobs}"
    print(json.dumps({
        "impl": "python", "case": "pool", "seconds": seconds, "cpu_seconds": cpu,
        "rate": args.jobs / seconds if seconds > 0 else 0.0, "unit": "jobs/s",
        "units": args.jobs, "peak_rss_mib": peak_rss_mib(),
        "settings": {"python": platform.python_version(), "workers": args.workers},
        "ok": not error, "timed_out": False,
        "check": f"workers={args.workers}, work={args.work}, right_results={right}",
        "error": error,
    }), flush=True)
    return 0 if not error else 1


if __name__ == "__main__":
    sys.exit(main())
