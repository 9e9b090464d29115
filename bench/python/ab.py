"""A/B of two installed wheels on the asyncio workloads of bench.py, alternating on one canned server.

    python bench/python/ab.py PYTHON_A PYTHON_B [PAIRS]     # each PYTHON: a venv's python with ivschat
"""
import importlib.util, os, signal, statistics, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("bench", Path(__file__).with_name("bench.py"))
bench = importlib.util.module_from_spec(spec); spec.loader.exec_module(bench)
venvs = {"A": sys.argv[1], "B": sys.argv[2]}
proc, url = bench.start_server()
res = {k: {"ivschat-async-64": [], "ivschat-async": []} for k in venvs}
try:
    for _ in range(int(sys.argv[3]) if len(sys.argv) > 3 else 4):
        for label, py in venvs.items():
            bench.PY = py
            for w, n in (("ivschat-async-64", 16000), ("ivschat-async", 4000)):
                res[label][w].append(bench.run_workload(w, url, n))
finally:
    os.killpg(proc.pid, signal.SIGTERM)
for label, r in res.items():
    for w, runs in r.items():
        print(f"{label} {w}: calls/s {[round(x['rate']) for x in runs]} median {statistics.median(x['rate'] for x in runs):.0f}; "
              f"CPU us/call median {statistics.median(x['cpu_us'] for x in runs):.0f}; peak RSS MB {max(x['rss_mb'] for x in runs):.0f}")
