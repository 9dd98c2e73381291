#!/usr/bin/env python3
"""Runs troupe's benchmark cases side by side with plain CAF (and Python) and writes the figures.

    python3 bench/run.py [--build-dir build] [--reps 5] [--quick] [--case counter,skynet]
    python3 bench/run.py --sweep [--reps 2]

Default mode: for every case, every repetition runs each variant once, in turn (round robin,
the starting variant rotating per repetition), so that a noisy minute hurts all variants alike.
Variants: troupe (bench_troupe with troupe's defaults), caf-defaults (bench_caf with CAF's
defaults), caf-best (bench_caf with the scheduler settings that bench_troupe reports it uses)
and, for `counter` and `buffer`, python (bench/python/actor_scheduler.py,
bench/python/bounded_buffer.py). Writes bench/results/latest.md
and latest.json (every raw run, the summary, the machine).

The network cases (net_rtt, net_oneway, net_stalled) run after them: each run two OS processes
(bench_net_raw, bench_net_caf, bench/python/net_multiprocessing.py and, once troupe's node is
built, bench_net_troupe), the same round robin, medians, and troupe's network targets.

--sweep runs bench_troupe and bench_caf on every case under a list of scheduler settings and
writes bench/results/sweep.md and sweep.json: how troupe's defaults are chosen.

Only the standard library is used; any python3 >= 3.9 runs it. bench/README.md explains the
cases and how to read the ratios.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
PYTHON_BASELINE = BENCH_DIR / "python" / "actor_scheduler.py"
# The Python baselines of the cases that have one.
PYTHON_BASELINES = {"counter": PYTHON_BASELINE, "buffer": BENCH_DIR / "python" / "bounded_buffer.py"}

# The cases: their sizes (full and --quick) and the figure that ranks them. "rate" is higher-is-
# better work per second; "seconds" is lower-is-better wall-clock time.
CASES = {
    "counter": {"full": ["--n=1000000"], "quick": ["--n=100000"], "metric": "rate",
                "what": "3n+1 messages among 3 actors, sent by name (troupe) / handle (CAF)"},
    "pingpong": {"full": ["--n=1000000"], "quick": ["--n=100000"], "metric": "rate",
                 "what": "round trips between two actors"},
    "spawn": {"full": ["--n=100000"], "quick": ["--n=10000"], "metric": "rate",
              "what": "actors spawned by a batch spawner, one message each, counted by a collector"},
    "skynet": {"full": ["--depth=6"], "quick": ["--depth=5"], "metric": "seconds",
               "what": "tree of 1,111,111 actors (width 10, depth 6) summing 0..999,999"},
    "selective": {"full": ["--n=10000"], "quick": ["--n=2000"], "metric": "seconds",
                  "what": "n int receives while n strings wait unmatched in the mailbox"},
    "buffer": {"full": ["--n=1000"], "quick": ["--n=250"], "metric": "rate",
               "what": "bounded buffer of capacity 50: 40 producers x n items, 40 consumers "
                       "(troupe::actors::bounded_buffer / the same in plain CAF / asyncio.Queue)"},
    "rw": {"full": ["--n=2500"], "quick": ["--n=500"], "metric": "rate",
           "what": "a dictionary of 1,000 keys behind a readers/writer guard (fair policy): 40 "
                   "clients x n operations, 90 % reads under a read lease, 10 % increments under "
                   "the write lease (troupe::actors::rw_guard / the same guard in plain CAF)"},
}

# The unit of each lower-is-better figure ("rate" takes the unit the program reports).
METRIC_UNITS = {"seconds": "s", "p50_us": "µs", "peak_rss_mib": "MiB"}

UNBOUNDED = 2**63 - 1  # what we pass for "no bound on max-throughput" (CAF's default is SIZE_MAX)

# Targets of the issue: troupe / baseline, where > 1 means troupe is better.
TARGETS = {"python": 2.0, "caf-defaults": 1.0, "caf-best": 0.9}

# Candidate scheduler settings of --sweep: (policy, max-threads, max-throughput).
SWEEP_SETTINGS = (
    [("stealing", t, tp) for t in (1, 2, 4) for tp in (10, 100, 1000, UNBOUNDED)]
    + [("sharing", t, tp) for t in (1, 2) for tp in (100, UNBOUNDED)]
)


# -- running one program -------------------------------------------------------------------------

def run_once(cmd, timeout):
    """Runs `cmd`, returns a record with its status and its parsed JSON line."""
    start = time.monotonic()
    record = {"cmd": cmd, "returncode": None, "status": "ok", "result": None, "stderr": ""}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 15)
    except subprocess.TimeoutExpired as exc:
        record["status"] = "timeout"
        record["stderr"] = (exc.stderr or b"")[-2000:].decode(errors="replace") \
            if isinstance(exc.stderr, bytes) else (exc.stderr or "")[-2000:]
        record["wall_seconds"] = time.monotonic() - start
        return record
    record["wall_seconds"] = time.monotonic() - start
    record["returncode"] = proc.returncode
    record["stderr"] = proc.stderr[-2000:]
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            try:
                record["result"] = json.loads(line)
            except json.JSONDecodeError:
                pass
            break
    res = record["result"]
    if res is not None and res.get("timed_out"):
        record["status"] = "timeout"
    elif res is None:
        record["status"] = "crash" if proc.returncode != 0 else "no-output"
    elif not res.get("ok") or proc.returncode != 0:
        record["status"] = "wrong"
    return record


def settings_args(policy, threads, throughput):
    return [f"--scheduler.policy={policy}", f"--scheduler.max-threads={threads}",
            f"--scheduler.max-throughput={min(int(throughput), UNBOUNDED)}"]


def settings_label(policy, threads, throughput):
    tp = "unbounded" if int(throughput) >= UNBOUNDED else str(throughput)
    return f"{policy}/{threads}/{tp}"


def label_of_result(res):
    s = (res or {}).get("settings") or {}
    if "policy" not in s:
        return ", ".join(f"{k} {v}" for k, v in s.items())
    return settings_label(s["policy"], s["max-threads"], s["max-throughput"])


# -- statistics ------------------------------------------------------------------------------------

def summarize(runs, metric):
    """Median, min, max of `metric` over the good runs, the median peak RSS and the statuses."""
    good = [r["result"] for r in runs if r["status"] == "ok"]
    values = [g[metric] for g in good]
    statuses = {}
    for r in runs:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    out = {"runs": len(runs), "ok": len(good), "statuses": statuses}
    if values:
        out.update(median=statistics.median(values), min=min(values), max=max(values),
                   rss_median=statistics.median(g["peak_rss_mib"] for g in good),
                   cpu_median=statistics.median(g.get("cpu_seconds", math.nan) for g in good),
                   unit=good[0]["unit"] if metric == "rate" else METRIC_UNITS[metric],
                   settings=label_of_result(good[0]))
        for key in ("p99_us", "rate", "peer_peak_rss_mib"):  # what the network programs add
            if key != metric and all(key in g for g in good):
                out[f"{key}_median"] = statistics.median(g[key] for g in good)
    elif runs and runs[0].get("result"):
        out["settings"] = label_of_result(runs[0]["result"])
    return out


def ratio(troupe, base, metric):
    """troupe vs base, > 1 when troupe is better (rates: troupe/base; seconds, latencies and
    memory: base/troupe).

    Returns a float, math.inf if only the baseline failed (timed out), or None if troupe has no
    good run or there is nothing to compare with."""
    if troupe.get("median") is None or troupe["median"] <= 0:
        return None
    if base.get("median") is None:
        return math.inf if base.get("runs") and base["statuses"].get("timeout") else None
    if metric == "rate":
        return troupe["median"] / base["median"]
    return base["median"] / troupe["median"]


def verdict(r, target):
    if r is None:
        return "MISS"
    return "PASS" if r >= target else "MISS"


def fmt_ratio(r):
    if r is None:
        return "n/a"
    if math.isinf(r):
        return "inf (baseline timed out)"
    return f"{r:.2f}x"


def fmt_value(v, metric):
    if v is None:
        return "-"
    if metric == "p50_us":
        return f"{v:.1f} µs"
    if metric == "peak_rss_mib":
        return f"{v:.1f} MiB"
    if metric == "seconds":
        return f"{v:.3f}" if v >= 0.1 else f"{v * 1000:.2f} ms"
    if v >= 1e6:
        return f"{v / 1e6:.3f} M"
    if v >= 1e3:
        return f"{v / 1e3:.1f} K"
    return f"{v:.1f}"


def geomean(xs):
    xs = list(xs)
    if not xs or any(x <= 0 for x in xs):
        return 0.0
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


# -- the machine -----------------------------------------------------------------------------------

def read_text(path):
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def caf_version(build_dir):
    include = "/usr/include"
    m = re.search(r"^CAF_INCLUDE_DIR:PATH=(.*)$", read_text(Path(build_dir) / "CMakeCache.txt"), re.M)
    if m:
        include = m.group(1)
    m = re.search(r"^#define CAF_VERSION (\d+)", read_text(Path(include) / "caf" / "config.hpp"), re.M)
    if not m:
        return "unknown"
    v = int(m.group(1))
    return f"{v // 10000}.{v // 100 % 100}.{v % 100}"


def command_output(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def source_commit(source):
    """The commit the build's sources come from, and whether framework/ or bench/ differ from
    it. A tree exported with `git archive` may name its commit in a file SOURCE_COMMIT."""
    if (source / ".git").exists():
        git = ["git", "-C", str(source)]
        dirty = command_output(git + ["status", "--porcelain", "--untracked-files=no", "--",
                                      "framework", "bench", ":!bench/results"])
        return command_output(git + ["rev-parse", "--short", "HEAD"]), bool(dirty)
    marker = read_text(source / "SOURCE_COMMIT").strip()
    return (marker or "unknown"), False


def machine_info(build_dir):
    cpu = re.search(r"^model name\s*:\s*(.*)$", read_text("/proc/cpuinfo"), re.M)
    cache = read_text(Path(build_dir) / "CMakeCache.txt")
    build_type = re.search(r"^CMAKE_BUILD_TYPE:\w+=(.*)$", cache, re.M)
    compiler = re.search(r"^CMAKE_CXX_COMPILER:\w+=(.*)$", cache, re.M)
    compiler_version = command_output([compiler.group(1), "--version"]).splitlines()[:1] \
        if compiler else []
    source = re.search(r"^CMAKE_HOME_DIRECTORY:\w+=(.*)$", cache, re.M)
    source = Path(source.group(1)) if source else REPO_DIR
    commit, dirty = source_commit(source)
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": cpu.group(1) if cpu else platform.processor(),
        "memory_mib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20),
        "kernel": platform.release(),
        "loadavg_at_start": read_text("/proc/loadavg").split()[:3],
        "caf_version": caf_version(build_dir),
        "compiler": compiler_version[0] if compiler_version else "unknown",
        "build_type": build_type.group(1) if build_type else "unknown",
        "python": platform.python_version(),
        "source_dir": str(source),
        "git_commit": commit,
        "git_dirty_framework_or_bench": dirty,
    }


def busy_warning(m):
    """A warning paragraph if other programs kept the machine busy when the run started."""
    try:
        load = float(m["loadavg_at_start"][0])
    except (KeyError, IndexError, ValueError):
        return []
    if load <= 0.5 * (m.get("nproc") or 1):
        return []
    return [f"**The machine was busy** (load average {load:.2f} on {m.get('nproc')} CPUs when the "
            "run started): other programs competed for the CPUs, so these figures are "
            "provisional, not final.", ""]


def machine_md(m):
    return (f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_mib']} MiB, Linux {m['kernel']}, "
            f"load average {' '.join(m['loadavg_at_start'])} at start, "
            f"{' '.join(m.get('loadavg_at_end', ['?']))} at end. CAF {m['caf_version']}, "
            f"{m['compiler']}, {m['build_type']} build, Python {m['python']}. "
            f"troupe commit {m['git_commit']}"
            f"{' (with uncommitted changes in framework/ or bench/)' if m['git_dirty_framework_or_bench'] else ''}. "
            f"Date {m['date']}.")


# -- default mode: troupe vs CAF vs Python ---------------------------------------------------------

def binaries(build_dir):
    troupe = Path(build_dir) / "bench" / "bench_troupe"
    caf = Path(build_dir) / "bench" / "bench_caf"
    for b in (troupe, caf):
        if not b.exists():
            sys.exit(f"error: {b} is missing; build first: cmake -S . -B {build_dir} && "
                     f"make -C {build_dir} -j2 bench_troupe bench_caf")
    return str(troupe), str(caf)


def troupe_settings(troupe_bin, timeout):
    """The scheduler settings bench_troupe runs with by default, from a tiny run's JSON."""
    rec = run_once([troupe_bin, "--case=counter", "--n=10", f"--timeout={timeout}"], timeout)
    if rec["status"] != "ok":
        sys.exit(f"error: bench_troupe failed its probe run: {rec['status']} {rec['stderr']}")
    s = rec["result"]["settings"]
    return s["policy"], s["max-threads"], s["max-throughput"]


def troupe_idle_args(troupe_bin, timeout):
    """How bench_troupe's idle workers poll, as options for bench_caf (caf-best runs the same)."""
    rec = run_once([troupe_bin, "--case=counter", "--n=10", f"--timeout={timeout}"], timeout)
    attempts = ((rec.get("result") or {}).get("settings") or {}).get("moderate-poll-attempts")
    return [] if attempts is None else [f"--work-stealing.moderate-poll-attempts={attempts}"]


def variants_for(case, troupe_bin, caf_bin, best_args, sizes, timeout):
    common = [f"--case={case}", *sizes, f"--timeout={timeout}"]
    out = [("troupe", [troupe_bin, *common]),
           ("caf-defaults", [caf_bin, *common]),
           ("caf-best", [caf_bin, *common, *best_args])]
    if case in PYTHON_BASELINES:
        out.append(("python", [sys.executable, str(PYTHON_BASELINES[case]), *sizes]))
    return out


def round_robin(variants, reps, progress):
    """Runs each (name, cmd) once per repetition, rotating the start; skips a variant's remaining
    repetitions after it timed out. Returns {name: [records]}."""
    runs = {name: [] for name, _ in variants}
    timed_out = set()
    for rep in range(reps):
        shift = rep % len(variants)
        for name, cmd in variants[shift:] + variants[:shift]:
            if name in timed_out:
                continue
            rec = progress(name, rep, cmd)
            rec["rep"] = rep
            runs[name].append(rec)
            if rec["status"] == "timeout":
                timed_out.add(name)
    return runs


def compare(args):
    reps = args.reps or (3 if args.quick else 5)
    cases = selected_cases(args)
    report = {"mode": "quick" if args.quick else "full", "reps": reps, "timeout": args.timeout,
              "command": " ".join(["python3", "bench/run.py", *sys.argv[1:]]),
              "machine": machine_info(args.build_dir), "targets": TARGETS, "cases": {}}

    def progress(name, rep, cmd):
        rec = run_once(cmd, args.timeout)
        res = rec["result"] or {}
        p50 = f"  p50 {res['p50_us']:8.1f} µs" if res.get("p50_us") else ""
        print(f"  rep {rep + 1}/{reps} {name:18} {rec['status']:8} "
              f"{res.get('seconds', float('nan')):9.4f} s  {res.get('rate', 0):14.1f} "
              f"{res.get('unit', '')}  {res.get('peak_rss_mib', 0):7.1f} MiB{p50}", file=sys.stderr)
        return rec

    core = [c for c in cases if c in CASES]
    if core:
        troupe_bin, caf_bin = binaries(args.build_dir)
        policy, threads, throughput = troupe_settings(troupe_bin, args.timeout)
        idle_args = troupe_idle_args(troupe_bin, args.timeout)
        best_args = settings_args(policy, threads, throughput) + idle_args
        report["troupe_settings"] = settings_label(policy, threads, throughput)
        report["troupe_idle"] = " ".join(idle_args) or "CAF's default idle polling"
    for case in core:
        spec = CASES[case]
        sizes = spec["quick" if args.quick else "full"]
        print(f"{case}:", file=sys.stderr)
        variants = variants_for(case, troupe_bin, caf_bin, best_args, sizes, args.timeout)
        runs = round_robin(variants, reps, progress)
        summary = {name: summarize(rs, spec["metric"]) for name, rs in runs.items()}
        ratios = {}
        for base in ("caf-defaults", "caf-best", "python"):
            if base in summary:
                r = ratio(summary["troupe"], summary[base], spec["metric"])
                ratios[base] = {"ratio": None if r is None else (r if math.isfinite(r) else "inf"),
                                "target": TARGETS[base], "verdict": verdict(r, TARGETS[base])}
        report["cases"][case] = {"metric": spec["metric"], "sizes": sizes, "what": spec["what"],
                                 "summary": summary, "ratios": ratios, "runs": runs}
    net = [c for c in cases if c in NET_CASES]
    if net:
        bins = net_binaries(args.build_dir)
        report["net_targets"] = NET_TARGETS
        report["troupe_net_built"] = bins["troupe"] is not None
    for case in net:
        print(f"{case}:", file=sys.stderr)
        report["cases"][case] = run_net_case(case, bins, args, reps, progress)
    run_pattern_cases(cases, args, reps, progress, report)
    out = args.out or ("quick" if args.quick else "latest")
    write_outputs(out, report, compare_md)


def compare_md(report):
    core = {case: c for case, c in report["cases"].items()
            if c.get("group") not in ("net", "patterns")}
    lines = [f"# troupe benchmarks ({report['mode']} run)", "",
             f"Command: `{report['command']}`. {report['reps']} repetitions per variant, "
             f"run round robin; per-run timeout {report['timeout']} s. Figures are medians "
             "(min and max beside them): this machine is noisy. CPU s is the process's user + "
             "system time over the measured part (all threads): less disturbed by other "
             "programs than wall-clock time, and it shows idle workers' polling.", "",
             machine_md(report["machine"]), "", *busy_warning(report["machine"]),
             "**Ratios are troupe / baseline oriented so that > 1 always means troupe is better**: "
             "for rates (higher is better) troupe's median divided by the baseline's, for seconds, "
             "latencies and memory (lower is better) the baseline's median divided by troupe's.",
             ""]
    if core:
        lines += [
             f"troupe's scheduler settings (policy/max-threads/max-throughput): "
             f"{report['troupe_settings']}, idle workers: `{report.get('troupe_idle', '?')}`; "
             "caf-best runs CAF with the same settings, "
             "caf-defaults with CAF's own (stealing, max(cores, 4) threads, unbounded throughput).",
             "",
             "**Ratios are troupe / baseline oriented so that > 1 always means troupe is better**: "
             "for rates (higher is better) troupe's median divided by the baseline's, for seconds "
             "(lower is better) the baseline's median divided by troupe's.", "",
             f"Targets: troupe >= {TARGETS['python']}x python (counter, buffer), >= "
             f"{TARGETS['caf-defaults']}x caf-defaults (every case), >= {TARGETS['caf-best']}x "
             "caf-best (coroutine actors vs plain CAF behaviours under the same settings).", "",
             "## Summary", "",
             "| case | metric | troupe | caf-defaults | caf-best | python | troupe/caf-defaults "
             "| troupe/caf-best | troupe/python |",
             "|---|---|---|---|---|---|---|---|---|"]
    for case, c in core.items():
        s, m = c["summary"], c["metric"]
        unit = s["troupe"].get("unit", "s" if m == "seconds" else "")
        cells = [fmt_value(s[v].get("median"), m) if v in s else "-"
                 for v in ("troupe", "caf-defaults", "caf-best", "python")]
        rat = []
        for base in ("caf-defaults", "caf-best", "python"):
            if base in c["ratios"]:
                rv = c["ratios"][base]
                r = math.inf if rv["ratio"] == "inf" else rv["ratio"]
                rat.append(f"{fmt_ratio(r)} {rv['verdict']}")
            else:
                rat.append("-")
        lines.append(f"| {case} | {m} ({unit}) | " + " | ".join(cells) + " | " + " | ".join(rat) + " |")
    missed = [f"{case} vs {base} ({fmt_ratio(math.inf if rv['ratio'] == 'inf' else rv['ratio'])}"
              f" < {rv['target']}x)"
              for case, c in core.items() for base, rv in c["ratios"].items()
              if rv["verdict"] == "MISS"]
    missed += [f"{case}: {chk['what']} ({chk['shown']}, target {chk['target']})"
               for case, c in report["cases"].items() for chk in c.get("checks", [])
               if chk["verdict"] == "MISS"]
    missed += [f"{case}: {f['what']} ({f['value'] or 0:.2f}x < {f['target']}x)"
               for case, c in report["cases"].items() for f in c.get("figures", [])
               if f["verdict"] == "MISS"]
    lines += ["", "Targets missed: " + ("; ".join(missed) if missed else "none") + "."]
    if any(c.get("group") == "net" for c in report["cases"].values()):
        lines += net_md(report)
    lines += patterns_md(report)
    for case, c in core.items():
        s, m = c["summary"], c["metric"]
        better = "higher is better" if m == "rate" else "lower is better"
        lines += ["", f"## {case}", "", f"{c['what']}; sizes `{' '.join(c['sizes'])}`; "
                  f"figure: {m} ({better}).", "",
                  "| variant | settings | median | min | max | unit | CPU s (median) "
                  "| peak RSS MiB (median) | runs ok |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for name, v in s.items():
            unit = v.get("unit", "-")
            ok = runs_ok(v)
            rss = f"{v['rss_median']:.1f}" if "rss_median" in v else "-"
            cpu = f"{v['cpu_median']:.3f}" if v.get("cpu_median") is not None else "-"
            lines.append(f"| {name} | {v.get('settings', '-')} | {fmt_value(v.get('median'), m)} | "
                         f"{fmt_value(v.get('min'), m)} | {fmt_value(v.get('max'), m)} | {unit} | "
                         f"{cpu} | {rss} | {ok} |")
        lines.append("")
        for base, rv in c["ratios"].items():
            r = math.inf if rv["ratio"] == "inf" else rv["ratio"]
            lines.append(f"- troupe / {base}: {fmt_ratio(r)} (target >= {rv['target']}x): "
                         f"**{rv['verdict']}**")
    return "\n".join(lines) + "\n"


# -- network cases: two processes per run ----------------------------------------------------------

# Each network program runs one case (--case=rtt|oneway|stalled) as two OS processes: it starts
# itself again as the server (port 0, the endpoint read back, the child killed on every exit
# path), or, for Python, multiprocessing starts the child. Sizes are per family of variants:
# their speeds differ by 100x, and rates and percentiles compare across sizes.
NET_CASES = {
    "net_rtt": {
        "case": "rtt", "metric": "p50_us",
        "what": "round trips of a small message between two processes, one at a time "
                "(an int64 sequence number, answered + 1); p50 and p99 of one round trip",
        "full": {"raw": 20_000, "caf": 20_000, "python": 20_000, "troupe": 20_000},
        "quick": {"raw": 2_000, "caf": 2_000, "python": 2_000, "troupe": 2_000}},
    "net_oneway": {
        "case": "oneway", "metric": "rate",
        "what": "a one-way stream of small messages (int64 sequence numbers) from one process "
                "to another, then an end marker answered with the count received in order",
        "full": {"raw": 10_000_000, "caf": 500_000, "python": 200_000, "troupe": 10_000_000,
                 "troupe-main": 2_000_000},
        "quick": {"raw": 1_000_000, "caf": 100_000, "python": 20_000, "troupe": 1_000_000,
                  "troupe-main": 200_000}},
    "net_stalled": {
        "case": "stalled", "metric": "peak_rss_mib",
        "what": "a sender pushing small messages at a peer that accepted the connection, "
                "answered one request and then never reads again (frozen with SIGSTOP); "
                "the figure is the sender's peak RSS",
        "full": {"caf": 2_000_000, "troupe": 2_000_000},
        "quick": {"caf": 200_000, "troupe": 200_000}},
}

# Targets of the network layer (issue 10, item 11).
NET_TARGETS = {
    "rtt_max_vs_raw": 1.5,       # troupe's p50 round trip <= 1.5x the raw socket's (same transport)
    "oneway_min_rate": 4e6,      # troupe's one-way stream >= 4 M msgs/s ...
    "oneway_min_vs_base": 10.0,  # ... and >= 10x CAF's remoting and Python's Queue
    "stalled_max_mib": 64.0,     # the sender's peak RSS facing a stalled peer stays bounded
}

# A dedicated I/O thread would replace CAF's brokers only if it measured better by more than this.
IO_LAYER_CLEARLY_BETTER = 1.5

# CAF's remoting runs twice: as shipped, and with the setting that measured best for remote
# round trips on 2 cores (DESIGN.md: 254 µs -> 101 µs).
CAF_TUNED = ["--scheduler.policy=sharing", "--scheduler.max-threads=1"]
PYTHON_NET = BENCH_DIR / "python" / "net_multiprocessing.py"


def net_binaries(build_dir):
    """The network programs; bench_net_troupe is None until troupe's node is built."""
    bench = Path(build_dir) / "bench"
    out = {name: bench / f"bench_net_{name}" for name in ("raw", "broker", "caf", "troupe")}
    for name in ("raw", "broker", "caf"):
        if not out[name].exists():
            sys.exit(f"error: {out[name]} is missing; build first: make -C {build_dir} -j2 "
                     "bench_net_raw bench_net_broker bench_net_caf bench_net_troupe")
    return {name: (str(b) if b.exists() else None) for name, b in out.items()}


def net_variants(case, bins, sizes, timeout):
    """(name, command) of every variant of a network case whose family has a size."""
    program_case = NET_CASES[case]["case"]

    def cmd(binary, family, *extra):
        return [binary, f"--case={program_case}", f"--n={sizes[family]}",
                f"--timeout={timeout}", *extra]

    out = []
    if "raw" in sizes:
        out += [(f"{kind}-{t}", cmd(bins[kind], "raw", f"--transport={t}"))
                for kind in ("raw", "broker") for t in ("tcp", "unix")]
    out += [("caf-remoting", cmd(bins["caf"], "caf")),
            ("caf-remoting-tuned", cmd(bins["caf"], "caf", *CAF_TUNED))]
    if "python" in sizes:
        out += [(f"python-{k}", [sys.executable, str(PYTHON_NET), f"--kind={k}",
                                 f"--case={program_case}", f"--n={sizes['python']}",
                                 f"--timeout={timeout}"]) for k in ("pipe", "queue")]
    if bins["troupe"]:
        out += [(f"troupe-{t}", cmd(bins["troupe"], "troupe", f"--transport={t}"))
                for t in ("tcp", "unix")]
        if "troupe-main" in sizes:  # the stream from outside actors, through sys.send
            out.append(("troupe-tcp-main", cmd(bins["troupe"], "troupe-main", "--transport=tcp",
                                               "--sender=main")))
    return out


def run_net_case(case, bins, args, reps, progress):
    spec = NET_CASES[case]
    sizes = spec["quick" if args.quick else "full"]
    runs = round_robin(net_variants(case, bins, sizes, args.timeout), reps, progress)
    summary = {name: summarize(rs, spec["metric"]) for name, rs in runs.items()}
    return {"group": "net", "metric": spec["metric"], "sizes": sizes, "what": spec["what"],
            "summary": summary, "checks": net_checks(case, summary), "runs": runs}


def net_check(what, ok, shown, target):
    return {"what": what, "verdict": "PASS" if ok else "MISS", "shown": shown, "target": target}


def net_checks(case, summary):
    """The targets of a network case for each troupe variant that ran (none before troupe's
    node exists). A troupe variant without a good run misses every target."""
    checks = []
    for t in ("tcp", "unix"):
        troupe = summary.get(f"troupe-{t}")
        if troupe is None:
            continue
        median = troupe.get("median")
        if case == "net_rtt":
            r = ratio(troupe, summary[f"raw-{t}"], "p50_us")
            limit = NET_TARGETS["rtt_max_vs_raw"]
            checks.append(net_check(f"troupe-{t} p50 round trip vs raw-{t}",
                                    r is not None and r >= 1 / limit,
                                    "n/a" if r is None else f"{1 / r:.2f}x the raw socket's",
                                    f"<= {limit}x"))
        elif case == "net_oneway":
            rate = NET_TARGETS["oneway_min_rate"]
            checks.append(net_check(f"troupe-{t} one-way rate", median is not None and median >= rate,
                                    fmt_value(median, "rate") + " msgs/s",
                                    f">= {fmt_value(rate, 'rate')} msgs/s"))
            caf = max((summary[n] for n in ("caf-remoting", "caf-remoting-tuned")),
                      key=lambda v: v.get("median") or 0)
            for base_name, base in (("CAF's remoting (its better setting)", caf),
                                    ("python-queue", summary["python-queue"])):
                r = ratio(troupe, base, "rate")
                least = NET_TARGETS["oneway_min_vs_base"]
                checks.append(net_check(f"troupe-{t} one-way vs {base_name}",
                                        r is not None and r >= least, fmt_ratio(r), f">= {least}x"))
        elif case == "net_stalled":
            bound = NET_TARGETS["stalled_max_mib"]
            checks.append(net_check(f"troupe-{t} sender's peak RSS with a stalled peer",
                                    median is not None and median <= bound,
                                    fmt_value(median, "peak_rss_mib"), f"<= {bound:.0f} MiB"))
    return checks


def runs_ok(v):
    """'5/5', or '1/2 (1 timeout)': good runs over all runs, and what the others were."""
    bad = {k: n for k, n in v["statuses"].items() if k != "ok"}
    return f"{v['ok']}/{v['runs']}" + (f" ({', '.join(f'{n} {k}' for k, n in bad.items())})"
                                       if bad else "")


def first_failure(records):
    """What went wrong in the first failed run of `records` (its status and error), or None."""
    for r in records:
        if r["status"] != "ok":
            why = (r.get("result") or {}).get("error") or r.get("stderr", "").strip()
            why = why.splitlines()[-1] if why else "no output"
            return f"{r['status']}: {why[:300]}"
    return None


def net_row(name, v, metric):
    """One variant's row of a network case's table."""
    if v.get("median") is None:
        return f"| {name} | {v.get('settings', '-')} | - | - | - | - | - | - | - | - | {runs_ok(v)} |"
    rate = v["median"] if metric == "rate" else v.get("rate_median")
    peer = v.get("peer_peak_rss_mib_median")
    return (f"| {name} | {v.get('settings', '-')} | {fmt_value(v['median'], metric)} | "
            f"{fmt_value(v['min'], metric)} | {fmt_value(v['max'], metric)} | "
            f"{fmt_value(v.get('p99_us_median') if metric == 'p50_us' else None, 'p50_us')} | "
            f"{fmt_value(rate, 'rate')} | "
            f"{v['cpu_median']:.3f} | {v['rss_median']:.1f} | "
            f"{'-' if peer is None or peer < 0 else f'{peer:.1f}'} | {runs_ok(v)} |")


def io_layer_md(cases):
    """Which I/O layer the figures favour: CAF's brokers (the middleman's multiplexer thread, on
    which troupe's nodes run) or a dedicated blocking thread (the floor), per transport; and how
    much of troupe's own round trip the difference explains."""
    rows, clearly_better, shares = [], [], []
    for case, metric, what in (("net_rtt", "p50_us", "round trip p50"),
                               ("net_oneway", "rate", "one-way rate")):
        s = cases.get(case, {}).get("summary", {})
        for t in ("tcp", "unix"):
            broker, raw = s.get(f"broker-{t}", {}), s.get(f"raw-{t}", {})
            if broker.get("median") is None or raw.get("median") is None:
                continue
            # how much better the dedicated thread is: > 1 means the floor wins
            edge = broker["median"] / raw["median"] if metric == "p50_us" \
                else raw["median"] / broker["median"]
            rows.append(f"- {what}, {t}: broker {fmt_value(broker['median'], metric)}, dedicated "
                        f"thread {fmt_value(raw['median'], metric)}: the dedicated thread is "
                        f"{edge:.2f}x {'better' if edge >= 1 else 'worse'}")
            if edge > IO_LAYER_CLEARLY_BETTER:
                clearly_better.append(f"{what} over {t}")
            troupe = s.get(f"troupe-{t}", {}).get("median")
            if metric == "p50_us" and troupe:
                extra = broker["median"] - raw["median"]
                shares.append(f"{max(extra, 0):.1f} µs of troupe-{t}'s {troupe:.1f} µs "
                              f"({100 * max(extra, 0) / troupe:.0f} %)")
    if not rows:
        return []
    if clearly_better:
        verdict = (f"A dedicated I/O thread measured more than {IO_LAYER_CLEARLY_BETTER}x better "
                   f"for: {', '.join(clearly_better)}.")
    else:
        verdict = (f"CAF's brokers are within {IO_LAYER_CLEARLY_BETTER}x of a dedicated thread on "
                   "every figure: troupe's network layer stays on CAF's I/O layer (brokers).")
    if shares:
        verdict += (" What the broker costs over the dedicated thread in a round trip is "
                    + "; ".join(shares) + ": the rest of troupe's round trip is its own (encoding, "
                    "routing, the actor's turn).")
    return ["", "### Which I/O layer: CAF's brokers or a dedicated thread", "",
            "The floor's cases with the server written as a CAF broker on the middleman's I/O "
            "thread (broker-tcp, broker-unix; the client is the floor's) against the floor's "
            "dedicated blocking thread (raw-tcp, raw-unix):", "", *rows, "", verdict]


def net_md(report):
    """The network section of the results: a summary over the cases, then one table per case."""
    cases = {case: c for case, c in report["cases"].items() if c.get("group") == "net"}
    names = []
    for c in cases.values():
        names += [n for n in c["summary"] if n not in names]
    lines = ["", "## Network: two processes per run", "",
             "Each run is two OS processes on this machine: the client and a server it starts "
             "itself (127.0.0.1, port 0 read back, or a fresh Unix socket path), or Python's "
             "multiprocessing child. raw-tcp and raw-unix are the floors: blocking sockets with "
             "troupe's framing (4-byte big-endian length + a serialized Protobuf message), one "
             "frame per write for round trips, 1,024 frames per write and a reader that parses "
             "every whole frame of each 64 KiB read for the stream. caf-remoting is CAF 0.17's "
             "own remoting (`middleman().publish` / `remote_actor`) as shipped, "
             f"caf-remoting-tuned the same with `{' '.join(CAF_TUNED)}`. python-pipe and "
             "python-queue are `multiprocessing.Pipe` and `multiprocessing.Queue`. broker-tcp and "
             "broker-unix are the floors' cases with a CAF broker as the server (below). troupe-tcp "
             "and troupe-unix are troupe nodes with a coroutine actor as the client; "
             "troupe-tcp-main streams from main through `sys.send` (which waits for room in the "
             "node's send window) and is not held to the targets.", "",
             f"Targets: troupe's round trip (p50) <= {NET_TARGETS['rtt_max_vs_raw']}x the raw "
             "socket's of the same transport; its one-way stream >= "
             f"{fmt_value(NET_TARGETS['oneway_min_rate'], 'rate')} msgs/s and >= "
             f"{NET_TARGETS['oneway_min_vs_base']}x CAF's remoting and Python's Queue; its sender's "
             f"peak RSS facing a stalled peer <= {NET_TARGETS['stalled_max_mib']:.0f} MiB."]
    if not report.get("troupe_net_built", True):
        lines += ["", "**troupe's node is not built yet** (bench/bench_net_troupe is missing): only "
                  "the baselines ran and troupe's targets are not checked."]
    lines += ["", "| case | metric | " + " | ".join(names) + " |", "|---" * (len(names) + 2) + "|"]
    for case, c in cases.items():
        cells = [fmt_value(c["summary"][n].get("median"), c["metric"]) if n in c["summary"] else "-"
                 for n in names]
        lines.append(f"| {case} | {c['metric']} | " + " | ".join(cells) + " |")
    lines += io_layer_md(cases)
    for case, c in cases.items():
        m = c["metric"]
        sizes = ", ".join(f"{family} {n:,}" for family, n in c["sizes"].items())
        lines += ["", f"### {case}", "", f"{c['what']}. n per family: {sizes}.", "",
                  "| variant | settings | median | min | max | p99 (median) | rate (median) "
                  "| CPU s | client RSS MiB | server RSS MiB | runs ok |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        lines += [net_row(name, v, m) for name, v in c["summary"].items()]
        failures = [f"- {name}: {why}" for name, rs in c.get("runs", {}).items()
                    if (why := first_failure(rs))]
        if failures:
            lines += ["", "Runs that failed (the first of each variant):", "", *failures]
        if c["checks"]:
            lines.append("")
        for chk in c["checks"]:
            lines.append(f"- {chk['what']}: {chk['shown']} (target {chk['target']}): "
                         f"**{chk['verdict']}**")
    return lines


# -- pattern cases (issue 12): worker pool, shared dictionary, hedged requests --------------------

# bench_patterns_troupe runs them with troupe's defaults, bench_patterns_caf the dictionary in
# plain CAF, bench/python/worker_pool.py the pool in Python. Their own variants and figures:
# pool: jobs/s of 1 worker, of one worker per core, of multiprocessing.Pool(cores); dict: ops/s
# of troupe and plain CAF; hedge: success within the deadline (and p50, p99) of sequential
# retry and hedged requests against the same seeded flaky server.
PATTERN_CASES = {
    "pool": {
        "what": "a CPU-bound task (the primes below 100,000 by trial division) through "
                "troupe::actors::worker_pool with 1 worker and with one per core, and through "
                "Python's multiprocessing.Pool(cores); pools warmed up before the clock runs",
        "metric": "rate",
        "full": {"troupe": ["--jobs=512"], "python": ["--jobs=16"]},
        "quick": {"troupe": ["--jobs=64"], "python": ["--jobs=4"]}},
    "dict": {
        "what": "100 client actors x n operations (90 % gets, 10 % puts, 1,000 keys, seeded) on a "
                "dictionary of 4 shard actors, each request awaited: troupe::actors::shared_dict "
                "with coroutine clients vs the same in plain CAF (the same values, shards and "
                "hash; request(...).then clients), with no request timeout (CAF's fastest) and "
                "with one per request as troupe's requests always have",
        "metric": "rate",
        "full": ["--clients=100", "--ops=5000"], "quick": ["--clients=100", "--ops=500"]},
    "hedge": {
        "what": "calls with a deadline of 50 ms against a server that answers after 10..30 ms or "
                "drops the request (probability 0.5, seeded), 50 concurrent callers: sequential "
                "retry (the next copy when one failed) vs hedged (3 copies in flight, one more "
                "every 5 ms, a failed one replaced at once); failed calls count with their time",
        "metric": "success_pct",
        "full": ["--trials=4000"], "quick": ["--trials=500"]},
}

# The targets for the pool: speedup of one worker per core over one worker, and troupe
# (one worker per core) over multiprocessing.Pool(cores), in jobs/s.
PATTERN_TARGETS = {"pool_speedup": 1.8, "pool_vs_python": 1.0}

PYTHON_POOL = BENCH_DIR / "python" / "worker_pool.py"


def pattern_binaries(build_dir):
    bench = Path(build_dir) / "bench"
    out = {name: bench / f"bench_patterns_{name}" for name in ("troupe", "caf")}
    for b in out.values():
        if not b.exists():
            sys.exit(f"error: {b} is missing; build first: make -C {build_dir} -j2 "
                     "bench_patterns_troupe bench_patterns_caf")
    return {name: str(b) for name, b in out.items()}


def pattern_variants(case, bins, sizes, timeout, best_args):
    """(name, command) of each variant of a pattern case."""
    troupe = [bins["troupe"], f"--case={case}", f"--timeout={timeout}"]
    cores = os.cpu_count() or 1
    if case == "pool":
        return [("troupe-1-worker", [*troupe, *sizes["troupe"], "--workers=1"]),
                (f"troupe-{cores}-workers", [*troupe, *sizes["troupe"], f"--workers={cores}"]),
                (f"python-pool-{cores}", [sys.executable, str(PYTHON_POOL), *sizes["python"],
                                          f"--workers={cores}"])]
    if case == "dict":
        caf = [bins["caf"], f"--case={case}", f"--timeout={timeout}", *sizes]
        timeout_ms = "--request-timeout-ms=10000"  # troupe.request-timeout's default, 10 s
        return [("troupe", [*troupe, *sizes]),
                ("caf-defaults", caf),
                ("caf-best", [*caf, *best_args]),
                ("caf-best-timeout", [*caf, *best_args, timeout_ms])]
    return [(strategy, [*troupe, *sizes, f"--strategy={strategy}"])
            for strategy in ("sequential", "hedged")]


def pattern_summary(runs, keys):
    """Medians (and min, max) of `keys` over the good runs, the median CPU and RSS, statuses."""
    good = [r["result"] for r in runs if r["status"] == "ok"]
    statuses = {}
    for r in runs:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    out = {"runs": len(runs), "ok": len(good), "statuses": statuses}
    if not good:
        return out
    for key in keys:
        values = [g[key] for g in good]
        out[key] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    out["cpu_median"] = statistics.median(g.get("cpu_seconds", math.nan) for g in good)
    out["rss_median"] = statistics.median(g["peak_rss_mib"] for g in good)
    out["settings"] = label_of_result(good[0])
    return out


def pattern_figures(case, summary):
    """The ratios of a pattern case, each {what, value, target or None, verdict or None}."""
    def med(name, key="rate"):
        return (summary.get(name, {}).get(key) or {}).get("median")

    def figure(what, num, den, target=None):
        value = num / den if num and den else None
        verdict = None if target is None else ("PASS" if value and value >= target else "MISS")
        return {"what": what, "value": value, "target": target, "verdict": verdict}

    cores = os.cpu_count() or 1
    if case == "pool":
        many = med(f"troupe-{cores}-workers")
        return [figure(f"speedup: {cores} workers over 1 (jobs/s)", many, med("troupe-1-worker"),
                       PATTERN_TARGETS["pool_speedup"]),
                figure(f"troupe ({cores} workers) over multiprocessing.Pool({cores}) (jobs/s)",
                       many, med(f"python-pool-{cores}"), PATTERN_TARGETS["pool_vs_python"])]
    if case == "dict":
        return [figure(f"troupe over {base} (ops/s)", med("troupe"), med(base))
                for base in ("caf-defaults", "caf-best", "caf-best-timeout")]
    return [figure("hedged over sequential: success within the deadline",
                   med("hedged", "success_pct"), med("sequential", "success_pct")),
            figure("sequential over hedged: p99 latency (> 1: hedged is faster)",
                   med("sequential", "p99_ms"), med("hedged", "p99_ms"))]


PATTERN_KEYS = {"pool": ["rate", "seconds"], "dict": ["rate", "seconds"],
                "hedge": ["success_pct", "p50_ms", "p99_ms", "seconds"]}


def probe_pattern_settings(bins, timeout):
    """The scheduler settings bench_patterns_troupe runs with by default."""
    rec = run_once([bins["troupe"], "--case=dict", "--clients=1", "--ops=1", "--keys=1",
                    f"--timeout={timeout}"], timeout)
    if rec["status"] != "ok":
        sys.exit(f"error: bench_patterns_troupe failed its probe run: {rec['status']} "
                 f"{rec['stderr']}")
    s = rec["result"]["settings"]
    return s["policy"], s["max-threads"], s["max-throughput"]


def run_pattern_case(case, bins, args, reps, progress, best_args):
    spec = PATTERN_CASES[case]
    sizes = spec["quick" if args.quick else "full"]
    runs = round_robin(pattern_variants(case, bins, sizes, args.timeout, best_args), reps, progress)
    summary = {name: pattern_summary(rs, PATTERN_KEYS[case]) for name, rs in runs.items()}
    return {"group": "patterns", "metric": spec["metric"], "sizes": sizes, "what": spec["what"],
            "summary": summary, "figures": pattern_figures(case, summary), "runs": runs}


def run_pattern_cases(cases, args, reps, progress, report):
    """Runs the pattern cases among `cases` into report["cases"]."""
    cases = [c for c in cases if c in PATTERN_CASES]
    if not cases:
        return
    bins = pattern_binaries(args.build_dir)
    settings = probe_pattern_settings(bins, args.timeout)
    report["pattern_settings"] = settings_label(*settings)
    report["pattern_targets"] = PATTERN_TARGETS
    for case in cases:
        print(f"{case}:", file=sys.stderr)
        report["cases"][case] = run_pattern_case(case, bins, args, reps, progress,
                                                 settings_args(*settings))


def pattern_cell(v, key):
    fig = v.get(key)
    if not fig:
        return "-"
    if key == "rate":
        return fmt_value(fig["median"], "rate")
    if key == "seconds":
        return fmt_value(fig["median"], "seconds")
    if key == "success_pct":
        return f"{fig['median']:.1f} %"
    return f"{fig['median']:.2f} ms"


def patterns_md(report):
    """The pattern section of the results: per case a table of its variants and its ratios."""
    cases = {case: c for case, c in report["cases"].items() if c.get("group") == "patterns"}
    if not cases:
        return []
    lines = ["", "## Pattern actors (issue 12)", "",
             "`bench_patterns_troupe` with troupe's defaults "
             f"({report.get('pattern_settings', '?')}), `bench_patterns_caf` the dictionary in "
             "plain CAF (caf-defaults: CAF's own settings; caf-best: troupe's settings; "
             "caf-best-timeout: the same with a 10 s timeout on each request, as troupe's "
             "requests always have one), `python/worker_pool.py` the pool in Python. Medians "
             "(min..max); ratios > 1 favour the first named."]
    for case, c in cases.items():
        keys = PATTERN_KEYS[case]
        lines += ["", f"### {case}", "", f"{c['what']}. Sizes: `{json.dumps(c['sizes'])}`.", "",
                  "| variant | settings | " + " | ".join(f"{k} (median)" for k in keys)
                  + " | min..max | CPU s | peak RSS MiB | runs ok |",
                  "|---" * (len(keys) + 6) + "|"]
        for name, v in c["summary"].items():
            first = v.get(keys[0])
            spread = "-" if not first else \
                (f"{first['min']:.1f}..{first['max']:.1f}" if keys[0] == "success_pct"
                 else f"{fmt_value(first['min'], keys[0])}..{fmt_value(first['max'], keys[0])}")
            cpu = f"{v['cpu_median']:.3f}" if "cpu_median" in v else "-"
            rss = f"{v['rss_median']:.1f}" if "rss_median" in v else "-"
            lines.append(f"| {name} | {v.get('settings', '-')} | "
                         + " | ".join(pattern_cell(v, k) for k in keys)
                         + f" | {spread} | {cpu} | {rss} | {runs_ok(v)} |")
        failures = [f"- {name}: {why}" for name, rs in c.get("runs", {}).items()
                    if (why := first_failure(rs))]
        if failures:
            lines += ["", "Runs that failed (the first of each variant):", "", *failures]
        lines.append("")
        for f in c["figures"]:
            shown = "n/a" if f["value"] is None else f"{f['value']:.2f}x"
            target = "" if f["target"] is None else \
                f" (target >= {f['target']}x): **{f['verdict']}**"
            lines.append(f"- {f['what']}: {shown}{target}")
    return lines


# -- sweep mode: candidate scheduler settings ------------------------------------------------------

def sweep(args):
    troupe_bin, caf_bin = binaries(args.build_dir)
    reps = args.reps or 2
    cases = selected_cases(args, list(CASES))
    settings = parse_settings(args.settings) if args.settings else list(SWEEP_SETTINGS)
    shipped = troupe_settings(troupe_bin, args.timeout)
    shipped = (shipped[0], shipped[1], min(int(shipped[2]), UNBOUNDED))
    if shipped not in settings:
        settings.append(shipped)  # always compare with what troupe ships
    report = {"mode": "sweep", "reps": reps, "timeout": args.timeout,
              "command": " ".join(["python3", "bench/run.py", *sys.argv[1:]]),
              "machine": machine_info(args.build_dir),
              "settings": [settings_label(*s) for s in settings],
              "troupe_settings": settings_label(*shipped), "cases": {}}
    total = len(cases) * len(settings) * 2 * reps
    done = [0]

    def progress(name, rep, cmd):
        rec = run_once(cmd, args.timeout)
        done[0] += 1
        res = rec["result"] or {}
        print(f"  [{done[0]}/{total}] {name:36} {rec['status']:8} "
              f"{res.get('seconds', float('nan')):9.4f} s {res.get('peak_rss_mib', 0):7.1f} MiB",
              file=sys.stderr)
        return rec

    for case in cases:
        spec = CASES[case]
        sizes = spec["quick" if args.quick else "full"]
        print(f"{case}:", file=sys.stderr)
        variants = []
        for s in settings:
            label = settings_label(*s)
            common = [f"--case={case}", *sizes, f"--timeout={args.timeout}", *settings_args(*s)]
            variants.append((f"troupe {label}", [troupe_bin, *common]))
            variants.append((f"caf {label}", [caf_bin, *common]))
        runs = round_robin(variants, reps, progress)
        summary = {name: summarize(rs, spec["metric"]) for name, rs in runs.items()}
        report["cases"][case] = {"metric": spec["metric"], "sizes": sizes, "summary": summary,
                                 "runs": runs}
    report["ranking"] = {impl: rank_settings(report, impl) for impl in ("troupe", "caf")}
    write_outputs(args.out or "sweep", report, sweep_md)


def score(summary, metric):
    """A higher-is-better score of a median: the rate, or 1/seconds."""
    m = summary.get("median")
    if m is None or m <= 0:
        return None
    return m if metric == "rate" else 1.0 / m


def rank_settings(report, impl):
    """Per setting: its score relative to the best setting of each case (1.0 = best), their
    geometric mean and minimum. A failed or timed-out case scores 0."""
    rows = []
    for label in report["settings"]:
        rel = {}
        for case, c in report["cases"].items():
            scores = {l: score(c["summary"][f"{impl} {l}"], c["metric"]) for l in report["settings"]}
            best = max((v for v in scores.values() if v), default=None)
            mine = scores[label]
            rel[case] = (mine / best) if (mine and best) else 0.0
        rows.append({"settings": label, "relative": rel, "geomean": geomean(rel.values()),
                     "worst": min(rel.values()) if rel else 0.0})
    rows.sort(key=lambda r: (-r["geomean"], -r["worst"]))
    return rows


def sweep_md(report):
    lines = ["# Scheduler settings sweep", "",
             f"Command: `{report['command']}`. {report['reps']} repetitions per program and "
             f"setting, round robin; per-run timeout {report['timeout']} s (a timed-out setting is "
             "not repeated). Medians.", "", machine_md(report["machine"]), "",
             "Settings are policy/max-threads/max-throughput; troupe's defaults (what "
             f"bench_troupe runs with unless told otherwise) are {report.get('troupe_settings', '?')}. "
             "`troupe/caf` is troupe's figure over CAF's under the same setting, oriented so "
             "that > 1 means troupe is better.", ""]
    lines += ["## Which settings to choose", "",
              "Each setting's figure relative to the best setting for that case (1.00 = the best; "
              "timeouts and failures count 0), then the geometric mean and the worst case.", ""]
    cases = list(report["cases"])
    for impl in ("troupe", "caf"):
        lines += [f"### {impl}", "", "| settings | " + " | ".join(cases) + " | geomean | worst |",
                  "|---" * (len(cases) + 3) + "|"]
        for row in report["ranking"][impl]:
            lines.append(f"| {row['settings']} | "
                         + " | ".join(f"{row['relative'][c]:.2f}" for c in cases)
                         + f" | {row['geomean']:.2f} | {row['worst']:.2f} |")
        lines.append("")
    lines += ["## Best setting per case", "", "| case | best for troupe | best for CAF |",
              "|---|---|---|"]
    for case, c in report["cases"].items():
        best = {}
        for impl in ("troupe", "caf"):
            cand = [(score(c["summary"][f"{impl} {l}"], c["metric"]) or 0, l)
                    for l in report["settings"]]
            top = max(cand)
            best[impl] = f"{top[1]} ({fmt_value(c['summary'][f'{impl} {top[1]}'].get('median'), c['metric'])})"
        lines.append(f"| {case} | {best['troupe']} | {best['caf']} |")
    for case, c in report["cases"].items():
        m = c["metric"]
        lines += ["", f"## {case} ({m}, {'higher' if m == 'rate' else 'lower'} is better; "
                  f"sizes `{' '.join(c['sizes'])}`)", "",
                  "| settings | troupe | troupe RSS MiB | caf | caf RSS MiB | troupe/caf |",
                  "|---|---|---|---|---|---|"]
        for label in report["settings"]:
            t, k = c["summary"][f"troupe {label}"], c["summary"][f"caf {label}"]

            def cell(v):
                if v.get("median") is None:
                    return ", ".join(f"{n} {s}" for s, n in v["statuses"].items()) or "-"
                return fmt_value(v["median"], m)

            rss = lambda v: f"{v['rss_median']:.1f}" if "rss_median" in v else "-"
            lines.append(f"| {label} | {cell(t)} | {rss(t)} | {cell(k)} | {rss(k)} | "
                         f"{fmt_ratio(ratio(t, k, m))} |")
    return "\n".join(lines) + "\n"


def parse_settings(text):
    """Parses "stealing/2/10,sharing/1/unbounded" into (policy, threads, throughput) tuples."""
    out = []
    for item in text.split(","):
        parts = item.strip().split("/")
        if len(parts) != 3 or parts[0] not in ("stealing", "sharing") or not parts[1].isdigit() \
                or not (parts[2].isdigit() or parts[2] == "unbounded"):
            sys.exit(f"error: bad setting '{item}': want policy/max-threads/max-throughput, "
                     "e.g. stealing/2/10 or sharing/1/unbounded")
        out.append((parts[0], int(parts[1]),
                    UNBOUNDED if parts[2] == "unbounded" else int(parts[2])))
    return out


# -- plumbing --------------------------------------------------------------------------------------

def selected_cases(args, known=None):
    """The cases named by --case (default: all known ones, network cases last)."""
    known = known if known is not None else [*CASES, *NET_CASES, *PATTERN_CASES]
    if not args.case:
        return list(known)
    cases = [c.strip() for c in args.case.split(",") if c.strip()]
    unknown = [c for c in cases if c not in known]
    if unknown:
        sys.exit(f"error: unknown case(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return cases


def write_outputs(name, report, render):
    """Writes results/<name>.json and results/<name>.md (rendered by `render(report)`)."""
    report["machine"]["loadavg_at_end"] = read_text("/proc/loadavg").split()[:3]
    markdown = render(report)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(report, indent=1) + "\n")
    (RESULTS_DIR / f"{name}.md").write_text(markdown)
    print(f"wrote {RESULTS_DIR / name}.md and .json", file=sys.stderr)
    print(markdown)


def selftest():
    """Checks the statistics and ratio logic on made-up runs (ctest runs this)."""
    def rec(status, seconds, rate):
        return {"status": status, "result": {"seconds": seconds, "rate": rate, "unit": "msgs/s",
                                             "peak_rss_mib": 10.0, "settings": {}}}
    fast = summarize([rec("ok", 1.0, 300.0), rec("ok", 2.0, 100.0), rec("ok", 3.0, 200.0)], "rate")
    assert (fast["median"], fast["min"], fast["max"]) == (200.0, 100.0, 300.0), fast
    slow = summarize([rec("ok", 4.0, 50.0), rec("timeout", 0, 0)], "rate")
    assert slow["median"] == 50.0 and slow["statuses"] == {"ok": 1, "timeout": 1}, slow
    assert ratio(fast, slow, "rate") == 4.0
    secs_t = summarize([rec("ok", 2.0, 1.0)], "seconds")
    secs_b = summarize([rec("ok", 6.0, 1.0)], "seconds")
    assert ratio(secs_t, secs_b, "seconds") == 3.0  # troupe 3x faster: > 1
    dead = summarize([rec("timeout", 0, 0)], "seconds")
    assert ratio(secs_t, dead, "seconds") == math.inf and verdict(math.inf, 1.0) == "PASS"
    assert ratio(dead, secs_b, "seconds") is None and verdict(None, 0.9) == "MISS"
    assert verdict(0.95, 0.9) == "PASS" and verdict(0.85, 0.9) == "MISS"
    assert settings_label("stealing", 2, 2**64 - 1) == "stealing/2/unbounded"
    assert settings_args("sharing", 1, 2**64 - 1)[-1] == f"--scheduler.max-throughput={UNBOUNDED}"
    assert abs(geomean([1.0, 0.25]) - 0.5) < 1e-12 and geomean([1.0, 0.0]) == 0.0
    assert parse_settings("stealing/2/10,sharing/1/unbounded") == \
        [("stealing", 2, 10), ("sharing", 1, UNBOUNDED)]
    selftest_net()
    selftest_patterns()
    print("selftest ok")


def selftest_net():
    """Checks the network targets and their rendering on made-up runs."""
    def rec(**fields):
        res = {"seconds": 1.0, "rate": 1.0, "unit": "msgs/s", "peak_rss_mib": 10.0,
               "cpu_seconds": 0.5, "settings": {}, "p50_us": 10.0, "p99_us": 20.0,
               "peer_peak_rss_mib": 8.0}
        res.update(fields)
        return {"status": "ok", "result": res}

    rtt = {"raw-tcp": summarize([rec(p50_us=10.0)], "p50_us"),
           "raw-unix": summarize([rec(p50_us=8.0)], "p50_us"),
           "troupe-tcp": summarize([rec(p50_us=14.0), rec(p50_us=16.0), rec(p50_us=15.0)], "p50_us"),
           "troupe-unix": summarize([rec(p50_us=13.0)], "p50_us")}
    assert rtt["troupe-tcp"]["p99_us_median"] == 20.0 and rtt["troupe-tcp"]["unit"] == "µs"
    assert [c["verdict"] for c in net_checks("net_rtt", rtt)] == ["PASS", "MISS"]  # 1.5x, 1.625x
    oneway = {"caf-remoting": summarize([rec(rate=3e5)], "rate"),
              "caf-remoting-tuned": summarize([rec(rate=1e5)], "rate"),
              "python-queue": summarize([rec(rate=5e4)], "rate"),
              "troupe-tcp": summarize([rec(rate=4.5e6)], "rate"),
              "troupe-unix": summarize([{"status": "timeout", "result": None}], "rate")}
    checks = net_checks("net_oneway", oneway)
    assert [c["verdict"] for c in checks] == ["PASS", "PASS", "PASS", "MISS", "MISS", "MISS"], checks
    assert checks[1]["shown"] == "15.00x"  # against the better CAF setting
    stalled = {"caf-remoting": summarize([rec(peak_rss_mib=500.0)], "peak_rss_mib"),
               "troupe-tcp": summarize([rec(peak_rss_mib=20.0)], "peak_rss_mib")}
    assert [c["verdict"] for c in net_checks("net_stalled", stalled)] == ["PASS"]
    assert net_checks("net_stalled", {"caf-remoting": stalled["caf-remoting"]}) == []
    report = {"troupe_net_built": True, "cases": {
        case: {"group": "net", "metric": NET_CASES[case]["metric"], "sizes": {"raw": 10},
               "what": "x", "summary": s, "checks": net_checks(case, s)}
        for case, s in (("net_rtt", rtt), ("net_oneway", oneway), ("net_stalled", stalled))}}
    text = "\n".join(net_md(report))
    assert "| net_rtt | p50_us | 10.0 µs | 8.0 µs | 15.0 µs | 13.0 µs |" in text, text
    assert "0/1 (1 timeout)" in text and "**MISS**" in text
    io = io_layer_md({"net_rtt": {"summary": {
        "raw-tcp": summarize([rec(p50_us=10.0)], "p50_us"),
        "broker-tcp": summarize([rec(p50_us=13.0)], "p50_us")}}})
    assert "1.30x better" in io[-3] and "stays on CAF's I/O layer" in io[-1], io
    io = io_layer_md({"net_rtt": {"summary": {
        "raw-tcp": summarize([rec(p50_us=10.0)], "p50_us"),
        "broker-tcp": summarize([rec(p50_us=13.0)], "p50_us"),
        "troupe-tcp": summarize([rec(p50_us=300.0)], "p50_us")}}})
    assert "3.0 µs of troupe-tcp's 300.0 µs (1 %)" in io[-1], io
    io = io_layer_md({"net_oneway": {"summary": {
        "raw-unix": summarize([rec(rate=9e6)], "rate"),
        "broker-unix": summarize([rec(rate=3e6)], "rate")}}})
    assert "more than 1.5x better for: one-way rate over unix" in io[-1], io
    failed = {"status": "wrong", "stderr": "", "result": {"error": "2 of 9 messages were refused"}}
    assert first_failure([rec(), failed]) == "wrong: 2 of 9 messages were refused"
    assert first_failure([rec()]) is None
    assert busy_warning({"loadavg_at_start": ["0.20"], "nproc": 2}) == []
    assert "busy" in busy_warning({"loadavg_at_start": ["3.5"], "nproc": 2})[0]


def selftest_patterns():
    """Checks the pattern cases' figures, targets and rendering on made-up runs."""
    def rec(**fields):
        res = {"seconds": 1.0, "rate": 1.0, "cpu_seconds": 0.5, "peak_rss_mib": 10.0,
               "settings": {}, "success_pct": 50.0, "p50_ms": 20.0, "p99_ms": 50.0}
        res.update(fields)
        return {"status": "ok", "result": res}

    cores = os.cpu_count() or 1
    keys = PATTERN_KEYS["pool"]
    pool = {"troupe-1-worker": pattern_summary([rec(rate=100.0), rec(rate=90.0),
                                                rec(rate=110.0)], keys),
            f"troupe-{cores}-workers": pattern_summary([rec(rate=185.0)], keys),
            f"python-pool-{cores}": pattern_summary([rec(rate=200.0)], keys)}
    assert pool["troupe-1-worker"]["rate"] == {"median": 100.0, "min": 90.0, "max": 110.0}
    figs = pattern_figures("pool", pool)
    assert [round(f["value"], 3) for f in figs] == [1.85, 0.925], figs
    assert [f["verdict"] for f in figs] == ["PASS", "MISS"], figs
    hedge = {"sequential": pattern_summary([rec(success_pct=60.0, p99_ms=50.0)],
                                           PATTERN_KEYS["hedge"]),
             "hedged": pattern_summary([{"status": "wrong", "result": None}],
                                       PATTERN_KEYS["hedge"])}
    figs = pattern_figures("hedge", hedge)
    assert [f["value"] for f in figs] == [None, None] and figs[0]["verdict"] is None, figs
    report = {"pattern_settings": "stealing/1/30", "cases": {
        "pool": {"group": "patterns", "what": "x", "sizes": {}, "summary": pool,
                 "figures": pattern_figures("pool", pool)},
        "hedge": {"group": "patterns", "what": "y", "sizes": [], "summary": hedge,
                  "figures": figs}}}
    text = "\n".join(patterns_md(report))
    assert "| troupe-1-worker |  | 100.0 | 1.000 | 90.0..110.0 | 0.500 | 10.0 | 3/3 |" in text, text
    assert "(target >= 1.8x): **PASS**" in text and "(target >= 1.0x): **MISS**" in text, text
    assert "| hedged | - | - | - | - | - | - | - | - | 0/1 (1 wrong) |" in text, text


def main():
    parser = argparse.ArgumentParser(
        description="Run troupe's benchmarks against plain CAF and Python; see bench/README.md.")
    parser.add_argument("--build-dir", default=str(REPO_DIR / "build"),
                        help="CMake build directory holding bench/bench_troupe (default: build)")
    parser.add_argument("--reps", type=int, default=0,
                        help="repetitions per variant (default 5; 3 with --quick; 2 with --sweep)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a fast check")
    parser.add_argument("--case", default="", help="comma-separated cases (default: all)")
    parser.add_argument("--sweep", action="store_true",
                        help="compare scheduler settings instead (writes results/sweep.*)")
    parser.add_argument("--settings", default="",
                        help="with --sweep: only these settings, e.g. stealing/2/10,sharing/1/100")
    parser.add_argument("--timeout", type=int, default=120,
                        help="seconds one run may take before it counts as a timeout (default 120)")
    parser.add_argument("--out", default="",
                        help="base name of the result files in bench/results "
                             "(default latest, quick or sweep)")
    parser.add_argument("--selftest", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--render", default="",
                        help="only rewrite results/NAME.md from results/NAME.json")
    args = parser.parse_args()
    if args.selftest:
        selftest()
        return
    if args.render:
        report = json.loads((RESULTS_DIR / f"{args.render}.json").read_text())
        render = sweep_md if report["mode"] == "sweep" else compare_md
        (RESULTS_DIR / f"{args.render}.md").write_text(render(report))
        return
    if args.sweep:
        sweep(args)
    else:
        compare(args)


if __name__ == "__main__":
    main()
