#!/usr/bin/env python3
"""CPU seconds (user + system) used by one fuzz target's processes, until killed.

    python3 cpu.py TARGET > out/TARGET/cpu.json

Samples /proc every second: afl-fuzz writing to out/TARGET, and every process running
target/release/TARGET (the fork server and its persistent-mode children, which afl-fuzz kills
rather than reaps, so /usr/bin/time never counts them). Each process counts at the most it was
seen to use; a process that lives less than a second may be missed, so this is a lower bound.
Prints {"target": ..., "cpu_seconds": ...} when it gets SIGTERM.
"""
import json
import os
import signal
import sys
import time

target = sys.argv[1]
tick = os.sysconf("SC_CLK_TCK")
seen = {}


def report(*_):
    print(json.dumps({"target": target, "cpu_seconds": round(sum(seen.values()), 1)}))
    sys.exit(0)


signal.signal(signal.SIGTERM, report)
while True:
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = [a.decode(errors="replace") for a in f.read().split(b"\0")]
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ours = any(a.endswith(f"target/release/{target}") for a in args) or (
            args[0].endswith("afl-fuzz") and f"out/{target}" in args
        )
        if ours:
            key = (pid, fields[19])  # pid and start time: pids are reused
            seen[key] = max(seen.get(key, 0), (int(fields[11]) + int(fields[12])) / tick)
    time.sleep(1)
