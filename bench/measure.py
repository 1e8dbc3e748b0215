#!/usr/bin/env python3
"""Runs a shell command `--runs` times and prints `best_wall_seconds max_rss_mib` (RSS of the
largest child process, from wait4's rusage). Used by the bench scripts so every tool is measured
the same way."""
import argparse, os, subprocess, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--before", default=None, help="an untimed shell command run before each run (e.g. removing the last output)")
ap.add_argument("cmd")
a = ap.parse_args()
best, rss = float("inf"), 0
for _ in range(a.runs):
    if a.before:
        subprocess.run(["bash", "-c", a.before], check=True)
    t = time.perf_counter()
    p = subprocess.Popen(["bash", "-c", a.cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t
    err = p.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stderr.write(f"command failed: {a.cmd}\n{err}\n"); sys.exit(1)
    best = min(best, dt)
    rss = max(rss, ru.ru_maxrss / 1024)
print(f"{best:.3f} {rss:.0f}")
