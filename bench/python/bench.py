"""ivschat vs boto3 against a canned-response server (run once, not a timed test).

    bindings-python/.venv/bin/python bench/python/bench.py [--quick] [--python-server]

The server is bench/canned-server (Rust, tokio; built into target/bench-build if missing);
``--python-server`` uses the old asyncio canned_server.py instead (bench/node still uses it).

Measures: start-up (import + client construction, fresh interpreter, median of 5), sequential
GetRoom calls/s (Client, AsyncClient, boto3), 64 concurrent (AsyncClient with 64 in flight,
boto3 on 64 threads sharing one client), peak RSS of each run, and a raw client (pre-built
request bytes on one keep-alive socket) whose round trip is subtracted to get per-call client
overhead. Prints a Markdown table.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

HERE = Path(__file__).resolve().parent
PY = sys.executable
QUICK = "--quick" in sys.argv
SEQ_N = 1000 if QUICK else 4000
CONC_N = 4000 if QUICK else 16000
# Sequential workloads run in interleaved rounds (raw, Client, AsyncClient, boto3, raw, ...) so a
# change in the machine's load hits every client alike; each figure is the median of its rounds,
# and the overhead ratio is taken within each round.
ROUNDS = 1 if QUICK else 5
KW = dict(region="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
ARN = "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234"


ROOT = HERE.parent.parent
SERVER_BIN = ROOT / "target" / "bench-build" / "release" / "ivschat-canned-server"
PY_SERVER = "--python-server" in sys.argv  # the old asyncio server (bench/python/canned_server.py)


def server_binary() -> Path:
    """The Rust canned server (bench/canned-server), built in target/bench-build if missing."""
    if not SERVER_BIN.exists():
        env = dict(os.environ, CARGO_TARGET_DIR=str(ROOT / "target" / "bench-build"))
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "ivschat-canned-server"],
                       cwd=ROOT, env=env, check=True)
    return SERVER_BIN


def start_server(workers: int = 1) -> "tuple[subprocess.Popen[str], str]":
    if PY_SERVER:
        cmd = [PY, str(HERE / "canned_server.py"), "--workers", str(workers)]
    else:
        cmd = [str(server_binary()), "--threads", str(workers)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert p.stdout is not None
    line = p.stdout.readline()
    return p, line.split("listening on ")[1].strip()


WORKLOADS: Dict[str, str] = {
    "raw": """
import socket, time
host, port = URL[7:].split(':')
s = socket.create_connection((host, int(port))); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
body = b'{"identifier": "%s"}' % ARN.encode()
req = (b'POST /GetRoom HTTP/1.1\\r\\nhost: ' + URL[7:].encode() + b'\\r\\ncontent-type: application/json\\r\\n'
       b'content-length: ' + str(len(body)).encode() + b'\\r\\n\\r\\n' + body)
def one():
    s.sendall(req); buf = b''
    while True:
        buf += s.recv(65536)
        end = buf.find(b'\\r\\n\\r\\n')
        if end >= 0:
            i = buf.lower().find(b'content-length:'); j = buf.find(b'\\r\\n', i)
            if len(buf) >= end + 4 + int(buf[i+15:j]): return
for _ in range(200): one()
t = time.perf_counter()
for _ in range(N): one()
RESULT = N / (time.perf_counter() - t)
""",
    "ivschat-sync": """
import ivschat, time
c = ivschat.Client(endpoint_url=URL, **KW)
for _ in range(200): c.get_room(identifier=ARN)
t = time.perf_counter()
for _ in range(N): c.get_room(identifier=ARN)
RESULT = N / (time.perf_counter() - t)
""",
    "ivschat-async": """
import ivschat, time, asyncio
async def main():
    c = ivschat.AsyncClient(endpoint_url=URL, **KW)
    for _ in range(200): await c.get_room(identifier=ARN)
    t = time.perf_counter()
    for _ in range(N): await c.get_room(identifier=ARN)
    return N / (time.perf_counter() - t)
RESULT = asyncio.run(main())
""",
    "ivschat-async-64": """
import ivschat, time, asyncio
async def main():
    c = ivschat.AsyncClient(endpoint_url=URL, **KW)
    async def worker(n):
        for _ in range(n): await c.get_room(identifier=ARN)
    await asyncio.gather(*(worker(10) for _ in range(64)))
    t = time.perf_counter()
    await asyncio.gather(*(worker(N // 64) for _ in range(64)))
    return (N // 64 * 64) / (time.perf_counter() - t)
RESULT = asyncio.run(main())
""",
    "boto3": """
import boto3, time
from botocore.config import Config
c = boto3.client('ivschat', endpoint_url=URL, region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')
for _ in range(100): c.get_room(identifier=ARN)
t = time.perf_counter()
for _ in range(N): c.get_room(identifier=ARN)
RESULT = N / (time.perf_counter() - t)
""",
    "boto3-64-threads": """
import boto3, time
from concurrent.futures import ThreadPoolExecutor
from botocore.config import Config
c = boto3.client('ivschat', endpoint_url=URL, region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test',
                 config=Config(max_pool_connections=64))
def worker(n):
    for _ in range(n): c.get_room(identifier=ARN)
with ThreadPoolExecutor(64) as pool:
    list(pool.map(worker, [5] * 64))
    t = time.perf_counter()
    list(pool.map(worker, [N // 64] * 64))
    RESULT = (N // 64 * 64) / (time.perf_counter() - t)
""",
}

STARTUP = {
    "ivschat": "import ivschat; ivschat.Client(region='us-east-1', endpoint_url='http://127.0.0.1:9', aws_access_key_id='a', aws_secret_access_key='b')",
    "boto3": "import boto3; boto3.client('ivschat', region_name='us-east-1', endpoint_url='http://127.0.0.1:9', aws_access_key_id='a', aws_secret_access_key='b')",
    "python (empty)": "pass",
}


def run_workload(name: str, url: str, n: int) -> Dict[str, float]:
    code = (f"URL={url!r}; N={n}; ARN={ARN!r}; KW={KW!r}\n"
            + "import time as _time; _cpu = [0.0]\n"
            + WORKLOADS[name].replace("t = time.perf_counter()", "t = time.perf_counter(); _cpu[0] = _time.process_time()")
            + "\n_cpu_us = (_time.process_time() - _cpu[0]) * 1e6 / N"
            + "\nimport resource, json; print(json.dumps({'rate': RESULT, 'cpu_us': _cpu_us, 'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))")
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def startup(code: str) -> float:
    timed = f"import time; _t = time.perf_counter()\n{code}\nprint(time.perf_counter() - _t)"
    runs = [float(subprocess.run([PY, "-c", timed], capture_output=True, text=True, check=True).stdout) for _ in range(5)]
    return statistics.median(runs)


def median_run(runs: List[Dict[str, float]]) -> Dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main() -> None:
    rounds: Dict[str, List[Dict[str, float]]] = {}
    sequential = ("raw", "ivschat-sync", "ivschat-async", "boto3")
    server, url = start_server(workers=1)
    try:
        for _ in range(ROUNDS):
            for name in sequential:
                n = SEQ_N // 4 if name == "boto3" else SEQ_N
                rounds.setdefault(name, []).append(run_workload(name, url, n))
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    # Concurrency: the asyncio server gets 2 processes so it is less of a bottleneck (2 cores
    # total); the Rust server keeps 1 thread, which is far from saturated, leaving a core free.
    server, url = start_server(workers=2 if PY_SERVER else 1)
    try:
        for _ in range(max(1, ROUNDS // 2)):
            rounds.setdefault("ivschat-async-64", []).append(run_workload("ivschat-async-64", url, CONC_N))
            rounds.setdefault("boto3-64-threads", []).append(run_workload("boto3-64-threads", url, CONC_N // 8))
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    st = {k: startup(v) for k, v in STARTUP.items()}
    results = {name: median_run(runs) for name, runs in rounds.items()}

    def us(run: Dict[str, float]) -> float:
        return 1e6 / run["rate"]

    def overheads(name: str) -> List[float]:
        return [us(r) - us(raw) for r, raw in zip(rounds[name], rounds["raw"])]

    def ratio_range(name: str) -> str:
        ratios = sorted(b / max(o, 0.1) for b, o in zip(overheads("boto3"), overheads(name)))
        return f"{statistics.median(ratios):.1f}x (rounds {ratios[0]:.1f}–{ratios[-1]:.1f})"

    raw_us = statistics.median(us(r) for r in rounds["raw"])
    over = {name: statistics.median(overheads(name)) for name in ("ivschat-sync", "ivschat-async", "boto3")}
    print(f"\nPython {sys.version.split()[0]}, {os.cpu_count()} CPUs; canned GetRoom server ({'asyncio' if PY_SERVER else 'Rust, 1 thread'}, same machine); "
          f"{ROUNDS} interleaved rounds of the sequential runs (medians); load average {os.getloadavg()[0]:.2f} at the end\n")
    print("| measurement | ivschat | boto3 | ratio |")
    print("|---|---|---|---|")
    base = st["python (empty)"]
    print(f"| start-up: import + client (ms, interpreter {base*1000:.0f} ms excluded) | {(st['ivschat']-base)*1000:.1f} | {(st['boto3']-base)*1000:.1f} | {(st['boto3']-base)/(st['ivschat']-base):.0f}x |")
    print(f"| sequential GetRoom, Client (calls/s) | {results['ivschat-sync']['rate']:.0f} | {results['boto3']['rate']:.0f} | {results['ivschat-sync']['rate']/results['boto3']['rate']:.1f}x |")
    print(f"| sequential GetRoom, AsyncClient (calls/s) | {results['ivschat-async']['rate']:.0f} | | {results['ivschat-async']['rate']/results['boto3']['rate']:.1f}x |")
    print(f"| raw keep-alive round trip (µs; CPU µs) | {raw_us:.1f}; {results['raw']['cpu_us']:.1f} | | |")
    print(f"| per-call client overhead, Client (µs) | {over['ivschat-sync']:.1f} | {over['boto3']:.1f} | {ratio_range('ivschat-sync')} |")
    print(f"| per-call client overhead, AsyncClient (µs) | {over['ivschat-async']:.1f} | | {ratio_range('ivschat-async')} |")
    print(f"| CPU per call, Client / AsyncClient / boto3 (µs, all threads) | {results['ivschat-sync']['cpu_us']:.0f} / {results['ivschat-async']['cpu_us']:.0f} | {results['boto3']['cpu_us']:.0f} | |")
    print(f"| 64 concurrent: AsyncClient / boto3 on 64 threads (calls/s) | {results['ivschat-async-64']['rate']:.0f} | {results['boto3-64-threads']['rate']:.0f} | {results['ivschat-async-64']['rate']/results['boto3-64-threads']['rate']:.1f}x |")
    print(f"| AsyncClient at 64 in flight vs boto3 sequential | {results['ivschat-async-64']['rate']:.0f} | {results['boto3']['rate']:.0f} | {results['ivschat-async-64']['rate']/results['boto3']['rate']:.1f}x |")
    print(f"| peak RSS, sequential sync run (MB) | {results['ivschat-sync']['rss_mb']:.0f} | {results['boto3']['rss_mb']:.0f} | |")
    print(f"| peak RSS, 64-concurrent run (MB) | {results['ivschat-async-64']['rss_mb']:.0f} | {results['boto3-64-threads']['rss_mb']:.0f} | |")


if __name__ == "__main__":
    main()
