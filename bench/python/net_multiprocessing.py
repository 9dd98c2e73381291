#!/usr/bin/env python3
"""Python's baseline of the network benchmarks: two processes talking through
multiprocessing.Pipe or multiprocessing.Queue, what a reader of the documents would use.

    python3 bench/python/net_multiprocessing.py --kind=pipe|queue --case=rtt|oneway [--n=N]

rtt: the parent sends an int, the child answers value + 1, n times one at a time (after a short
warm-up); reports p50/p99 in microseconds and round trips/s. oneway: the parent sends 1..n, then
None as the end marker; the child checks the order and answers the count; reports messages/s.
Prints one JSON line with the fields bench/run.py reads (as the C++ benchmark programs do) and
exits 1 if the check fails, 2 if it gave up after --timeout seconds. Standard library only.
"""

import argparse
import ctypes
import json
import multiprocessing
import os
import platform
import signal
import sys
import time

PR_SET_PDEATHSIG = 1


def die_with_parent():
    """The child is killed if the parent dies (a timed-out run must not leave it behind)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def vmhwm_mib():
    """This process's peak RSS (VmHWM) in MiB, or -1 if it cannot be read."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return -1.0


class Channel:
    """One duplex link between parent and child over a Pipe or two Queues."""

    def __init__(self, kind):
        if kind == "pipe":
            self.parent_end, self.child_end = multiprocessing.Pipe()
        else:
            self.down, self.up = multiprocessing.Queue(), multiprocessing.Queue()
        self.kind = kind

    def close(self):
        """Parent side, after the child is gone: never wait at exit to flush a queue."""
        if self.kind == "queue":
            self.down.cancel_join_thread()
            self.up.cancel_join_thread()

    def send_down(self, x):  # parent -> child
        (self.parent_end.send if self.kind == "pipe" else self.down.put)(x)

    def recv_down(self):
        return self.child_end.recv() if self.kind == "pipe" else self.down.get()

    def send_up(self, x):  # child -> parent
        (self.child_end.send if self.kind == "pipe" else self.up.put)(x)

    def recv_up(self):
        return self.parent_end.recv() if self.kind == "pipe" else self.up.get()


def serve(channel, case):
    """The child: echo value + 1 (rtt), or count an in-order stream until None (oneway). At
    the end it sends its own peak RSS (rtt) or (count, peak RSS) (oneway)."""
    die_with_parent()
    if case == "rtt":
        while (x := channel.recv_down()) is not None:
            channel.send_up(x + 1)
        channel.send_up(vmhwm_mib())
        return
    count, in_order = 0, True
    while (x := channel.recv_down()) is not None:
        count += 1
        in_order = in_order and x == count
    channel.send_up((count if in_order else -count, vmhwm_mib()))


def round_trips(channel, n):
    warmup = min(n // 10, 1000)
    samples = []
    for seq in range(1, warmup + n + 1):
        if seq == warmup + 1:
            start, cpu = time.perf_counter(), time.process_time()
        t = time.perf_counter_ns()
        channel.send_down(seq)
        answer = channel.recv_up()
        if answer != seq + 1:
            return {"error": f"round trip {seq} answered {answer}"}
        if seq > warmup:
            samples.append(time.perf_counter_ns() - t)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    channel.send_down(None)
    peer_rss = channel.recv_up()
    samples.sort()
    at = lambda q: samples[int(q * (len(samples) - 1) + 0.5)] / 1000.0
    return {"seconds": seconds, "cpu_seconds": cpu, "units": len(samples), "unit": "round trips/s",
            "p50_us": at(0.50), "p99_us": at(0.99), "peer_rss": peer_rss,
            "check": f"round_trips={len(samples)}",
            "error": "" if len(samples) == n else f"round_trips is {len(samples)}, expected {n}"}


def one_way(channel, n):
    start, cpu = time.perf_counter(), time.process_time()
    for seq in range(1, n + 1):
        channel.send_down(seq)
    channel.send_down(None)
    count, peer_rss = channel.recv_up()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu_seconds": cpu, "units": n, "unit": "msgs/s",
            "peer_rss": peer_rss, "check": f"received_in_order={count}",
            "error": "" if count == n else f"received_in_order is {count}, expected {n}"}


def json_line(args, res, timed_out=False):
    seconds = res.get("seconds", 0.0)
    return json.dumps({
        "impl": f"python-{args.kind}", "case": args.case, "transport": args.kind, "n": args.n,
        "seconds": seconds, "cpu_seconds": res.get("cpu_seconds", 0.0),
        "rate": res.get("units", 0) / seconds if seconds > 0 else 0.0,
        "unit": res.get("unit", ""), "units": res.get("units", 0),
        "p50_us": res.get("p50_us", 0.0), "p99_us": res.get("p99_us", 0.0),
        "peak_rss_mib": vmhwm_mib(), "peer_peak_rss_mib": res.get("peer_rss", -1.0),
        "settings": {"python": platform.python_version(), "channel": args.kind},
        "ok": not res.get("error") and not timed_out, "timed_out": timed_out,
        "check": res.get("check", ""), "error": res.get("error", "")})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=("pipe", "queue"), default="pipe")
    parser.add_argument("--case", choices=("rtt", "oneway"), default="rtt")
    parser.add_argument("--n", type=int, default=0,
                        help="round trips (default 20000) or messages (default 1000000)")
    parser.add_argument("--timeout", type=int, default=120, help="give up after S seconds")
    args = parser.parse_args()
    if args.n <= 0:
        args.n = 20_000 if args.case == "rtt" else 1_000_000

    def give_up(signum, frame):
        line = json_line(args, {"error": f"no result within {args.timeout} s"}, True)
        os.write(1, (line + "\n").encode())
        os._exit(2)

    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(args.timeout)
    channel = Channel(args.kind)
    child = multiprocessing.Process(target=serve, args=(channel, args.case), daemon=True)
    child.start()
    try:
        res = round_trips(channel, args.n) if args.case == "rtt" else one_way(channel, args.n)
    finally:
        child.kill()
        child.join()
        channel.close()
    print(json_line(args, res), flush=True)
    sys.exit(0 if not res.get("error") else 1)


if __name__ == "__main__":
    main()
