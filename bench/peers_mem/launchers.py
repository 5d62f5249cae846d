#!/usr/bin/python3
"""Idle 2-worker supervisor memory for the peers (workload MEM), as bench/mem.ts measures fjord.

usage: /usr/bin/python3 launchers.py PEERS_DIR

Runs the kit's own W7 service programs (python/w7_oslo_svc.py multi, python/w7_cotyledon_svc.py)
with 2 workers; once both workers' start markers exist and 1 s of idle has passed, sums VmRSS and
Pss (smaps_rollup) over the supervisor and its descendants. Prints the kit's JSON lines.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def emit(peer, metric, value, unit):
    print(json.dumps({"peer": peer, "workload": "MEM", "metric": metric,
                      "value": round(value, 4), "unit": unit}), flush=True)


def kb(path, key):
    with open(path) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def tree(pid):
    kids = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(name))
    out, queue = [], [pid]
    while queue:
        p = queue.pop(0)
        out.append(p)
        queue.extend(kids.get(p, []))
    return out


def measure(peer, cmd):
    d = tempfile.mkdtemp(prefix="mem-")
    p = subprocess.Popen(cmd + [d], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while len([n for n in os.listdir(d) if n.startswith("start-")]) < 2:
            if time.monotonic() > deadline or p.poll() is not None:
                sys.exit("%s: workers did not start" % peer)
            time.sleep(0.01)
        time.sleep(1.0)
        procs = tree(p.pid)
        rss = sum(kb("/proc/%d/status" % q, "VmRSS") for q in procs) / 1024
        pss = sum(kb("/proc/%d/smaps_rollup" % q, "Pss") for q in procs) / 1024
        print("%s: %d processes, RSS %.1f MB, PSS %.1f MB"
              % (peer, len(procs), rss, pss), file=sys.stderr)
        emit(peer, "idle_rss_mb", rss, "MB")
        emit(peer, "idle_pss_mb", pss, "MB")
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        shutil.rmtree(d, ignore_errors=True)


def main():
    py = os.path.join(sys.argv[1], "python")
    measure("oslo.service ProcessLauncher(2) (eventlet)",
            [sys.executable, os.path.join(py, "w7_oslo_svc.py"), "multi"])
    measure("cotyledon ServiceManager(2)",
            [sys.executable, os.path.join(py, "w7_cotyledon_svc.py")])


if __name__ == "__main__":
    main()
