#!/usr/bin/env python3
"""The Python baseline of the `counter` case: the documents' generator ActorScheduler.

Three generator actors (say_hello, say_hi, counter) on a deque-based scheduler, exactly as in
the seed text, except that the actors count their messages instead of printing them. With
n = 1,000,000 the scheduler delivers 3n + 1 messages. Prints one JSON line in the format of
bench_troupe / bench_caf and exits non-zero if a count is wrong.

    python3 bench/python/actor_scheduler.py [--n 1000000]
"""

import argparse
import json
import platform
import resource
import sys
import time
from collections import deque


class ActorScheduler:
    def __init__(self):
        self._actors = {}
        self._msg_queue = deque()

    def new_actor(self, name, actor):
        self._msg_queue.append((actor, None))
        self._actors[name] = actor

    def send(self, name, msg):
        actor = self._actors.get(name)
        if actor:
            self._msg_queue.append((actor, msg))

    def run(self):
        while self._msg_queue:
            actor, msg = self._msg_queue.popleft()
            try:
                actor.send(msg)
            except StopIteration:
                pass


def greeter(counts, name):
    # The first send(None) only starts a generator: it never comes back from `yield`.
    while True:
        msg = yield
        counts[name] += 1


def counter(sched, counts):
    while True:
        n = yield
        counts["counter"] += 1
        if n == 0:
            break
        sched.send("say_hello", n)
        sched.send("say_hi", n)
        sched.send("counter", n - 1)


def peak_rss_mib():
    """VmHWM of /proc/self/status, else ru_maxrss (which Linux carries across execve, so a
    child of a big parent would report at least the parent's size)."""
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
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.n
    counts = {"say_hello": 0, "say_hi": 0, "counter": 0}
    sched = ActorScheduler()
    sched.new_actor("say_hello", greeter(counts, "say_hello"))
    sched.new_actor("say_hi", greeter(counts, "say_hi"))
    sched.new_actor("counter", counter(sched, counts))
    start, cpu_start = time.perf_counter(), time.process_time()
    sched.send("counter", n)
    sched.run()
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    want = {"say_hello": n, "say_hi": n, "counter": n + 1}
    errors = [f"{k} is {counts[k]}, expected {v}" for k, v in want.items() if counts[k] != v]
    messages = 3 * n + 1
    print(json.dumps({
        "impl": "python", "case": "counter", "n": n,
        "seconds": seconds, "cpu_seconds": cpu_seconds, "rate": messages / seconds if seconds > 0 else 0.0,
        "unit": "msgs/s", "units": messages,
        "peak_rss_mib": peak_rss_mib(),
        "settings": {"python": platform.python_version()},
        "ok": not errors, "timed_out": False,
        "check": ", ".join(f"{k}={v}" for k, v in counts.items()),
        "error": "; ".join(errors),
    }), flush=True)
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
