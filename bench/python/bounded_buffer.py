#!/usr/bin/env python3
"""The Python baseline of the `buffer` case: asyncio.Queue(maxsize=50) between 40 producers
of n items each and 40 consumers, the shape of the documents' producer/consumer program.

Producers put me * n + i; consumers get, add, task_done until they get None (one per consumer,
put after the producers finished). Prints one JSON line in the format of bench_troupe /
bench_caf and exits non-zero if an item is missing or duplicated.

    python3 bench/python/bounded_buffer.py [--n 1000]
"""

import argparse
import asyncio
import json
import platform
import resource
import sys
import time

PRODUCERS = 40
CONSUMERS = 40
CAPACITY = 50


async def producer(q, me, n):
    for i in range(n):
        await q.put(me * n + i)


async def consumer(q, totals):
    total, count = 0, 0
    while True:
        item = await q.get()
        if item is None:
            q.task_done()
            break
        total += item
        count += 1
        q.task_done()
    totals.append((total, count))


async def run(n):
    q = asyncio.Queue(maxsize=CAPACITY)
    totals = []
    consumers = [asyncio.create_task(consumer(q, totals)) for _ in range(CONSUMERS)]
    await asyncio.gather(*(producer(q, p, n) for p in range(PRODUCERS)))
    for _ in range(CONSUMERS):
        await q.put(None)
    await q.join()
    await asyncio.gather(*consumers)
    return totals


def peak_rss_mib():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    n = args.n
    start, cpu_start = time.perf_counter(), time.process_time()
    totals = asyncio.run(run(n))
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    items = PRODUCERS * n
    got_sum = sum(t for t, _ in totals)
    got_count = sum(c for _, c in totals)
    errors = []
    if got_count != items:
        errors.append(f"items is {got_count}, expected {items}")
    if got_sum != items * (items - 1) // 2:
        errors.append(f"sum is {got_sum}, expected {items * (items - 1) // 2}")
    print(json.dumps({
        "impl": "python", "case": "buffer", "n": n,
        "seconds": seconds, "cpu_seconds": cpu_seconds,
        "rate": items / seconds if seconds > 0 else 0.0,
        "unit": "items/s", "units": items,
        "peak_rss_mib": peak_rss_mib(),
        "settings": {"python": platform.python_version()},
        "ok": not errors, "timed_out": False,
        "check": f"items={got_count}, sum={got_sum}",
        "error": "; ".join(errors),
    }), flush=True)
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
