// Benchmark of the Node package `ivschat` against @aws-sdk/client-ivschat v3, both calling a
// canned-response HTTP server (bench/canned-server, a separate process; canned-server.mjs without it):
//   1. require + construct: wall time of `node -e` that loads the package and builds a client,
//      minus bare `node -e 0` (medians of N interleaved runs);
//   2. sequential GetRoom calls/s (and µs per call; minus the raw keep-alive round trip, pre-built
//      request bytes on one socket, = the client's overhead; also measured in paired blocks in
//      one process, paired.mjs);
//   3. 64-concurrent GetRoom calls/s;
//   4. peak RSS of the process that ran 2 and 3.
// Run: make the release addon first (cd bindings-node && npx napi build --platform --release
// --js native.js --dts native.d.ts), then `node bench/node/bench.mjs` (see bench/node/README.md).
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { existsSync, symlinkSync, mkdirSync } from 'node:fs'
import os from 'node:os'

const here = path.dirname(fileURLToPath(import.meta.url))
const pkgDir = path.resolve(here, '../../bindings-node')
const runs = Number(process.env.BENCH_STARTUP_RUNS ?? 15)

// Resolve 'ivschat' and '@aws-sdk/client-ivschat' from bench/node.
const nm = path.join(here, 'node_modules')
mkdirSync(path.join(nm, '@aws-sdk'), { recursive: true })
if (!existsSync(path.join(nm, 'ivschat'))) symlinkSync(pkgDir, path.join(nm, 'ivschat'), 'dir')
if (!existsSync(path.join(nm, '@aws-sdk/client-ivschat'))) {
  symlinkSync(path.join(pkgDir, 'node_modules/@aws-sdk/client-ivschat'), path.join(nm, '@aws-sdk/client-ivschat'), 'dir')
}

// The Rust canned server (bench/canned-server, `ivschat-canned-server`), built with
//   CARGO_TARGET_DIR=target/bench-build cargo build --release -p ivschat-canned-server
// (or BENCH_CANNED_SERVER=/path/to/binary); without it, the equivalent canned-server.mjs.
const root = path.resolve(here, '../..')
const rustServer = [
  process.env.BENCH_CANNED_SERVER,
  path.join(root, 'target/bench-build/release/ivschat-canned-server'),
  path.join(root, 'target/release/ivschat-canned-server'),
].find((p) => p && existsSync(p))
const serverThreads = process.env.BENCH_SERVER_THREADS ?? '1'
const server = rustServer
  ? spawn(rustServer, ['--threads', serverThreads], { stdio: ['ignore', 'pipe', 'inherit'] })
  : spawn(process.execPath, [path.join(here, 'canned-server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] })
const endpoint = await new Promise((resolve, reject) => {
  server.once('error', reject)
  server.stdout.once('data', (d) => {
    const m = String(d).match(/(\d+)\s*$/m)
    resolve(`http://127.0.0.1:${m[1]}`)
  })
})

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}
// Wall ms of `node -e code` for each of `codes`, in interleaved runs (a drift in the machine's
// speed hits them alike); the median of each.
function startup(codes) {
  const times = codes.map(() => [])
  for (let i = 0; i < runs; i++) {
    codes.forEach((code, k) => {
      const t = process.hrtime.bigint()
      const r = spawnSync(process.execPath, ['-e', code], { cwd: here, stdio: 'inherit' })
      if (r.status !== 0) throw new Error(`startup run failed: ${code}`)
      times[k].push(Number(process.hrtime.bigint() - t) / 1e6)
    })
  }
  return times.map(median)
}
const loadBefore = os.loadavg()
const cfg = `{ region: 'us-east-1', endpoint: '${endpoint}', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }`
const [bare, ivsRun, v3Run] = startup([
  '0',
  `const { IvschatClient } = require('ivschat'); new IvschatClient(${cfg})`,
  `const { IvschatClient } = require('@aws-sdk/client-ivschat'); new IvschatClient(${cfg})`,
])
const startIvs = ivsRun - bare
const startV3 = v3Run - bare

function worker(which) {
  const r = spawnSync(process.execPath, [path.join(here, 'worker.mjs'), which, endpoint], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  if (r.status !== 0) throw new Error(`${which} worker failed`)
  return JSON.parse(r.stdout.trim().split('\n').pop())
}
// Interleaved rounds (raw, v3, ivschat, raw, ...): a change in the machine's load hits every
// client alike. Each figure is the median of its rounds; the overhead ratio is taken per round.
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const runsOf = { raw: [], v3: [], ivschat: [] }
for (let i = 0; i < rounds; i++) for (const which of Object.keys(runsOf)) runsOf[which].push(worker(which))
// Per-call overhead in paired blocks in one process (paired.mjs): less exposed to a VM's stolen
// time, which moves from second to second, than the difference of two processes' runs.
const pairedRun = spawnSync(process.execPath, [path.join(here, 'paired.mjs'), endpoint], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
if (pairedRun.status !== 0) throw new Error('paired run failed')
const paired = JSON.parse(pairedRun.stdout.trim().split('\n').pop())
server.kill()
const loadAfter = os.loadavg()
const mid = (runs) => Object.fromEntries(Object.keys(runs[0]).filter((k) => k !== 'which').map((k) => [k, median(runs.map((r) => r[k]))]))
const raw = mid(runsOf.raw)
const v3 = mid(runsOf.v3)
const ivs = mid(runsOf.ivschat)
const overheadRatios = runsOf.v3
  .map((r, i) => (r.seqUsPerCall - runsOf.raw[i].seqUsPerCall) / Math.max(runsOf.ivschat[i].seqUsPerCall - runsOf.raw[i].seqUsPerCall, 0.1))
  .sort((a, b) => a - b)

const f = (x, d = 0) => x.toFixed(d)
const overheadV3 = median(runsOf.v3.map((r, i) => r.seqUsPerCall - runsOf.raw[i].seqUsPerCall))
const overheadIvs = median(runsOf.ivschat.map((r, i) => r.seqUsPerCall - runsOf.raw[i].seqUsPerCall))
const rows = [
  ['require + construct (over bare node)', `${f(startIvs, 1)} ms`, `${f(startV3, 1)} ms`, `${f(startV3 / startIvs, 1)}× less`],
  ['sequential GetRoom', `${f(ivs.seqPerSec)} calls/s (${f(ivs.seqUsPerCall)} µs)`, `${f(v3.seqPerSec)} calls/s (${f(v3.seqUsPerCall)} µs)`, `${f(ivs.seqPerSec / v3.seqPerSec, 1)}×`],
  ['client overhead per call (paired blocks, minus raw)', `${f(paired.ivschatOverheadUs)} µs`, `${f(paired.v3OverheadUs)} µs`, `${f(paired.ratio, 1)}× less (quartiles ${f(paired.ratioQuartiles[0], 1)}–${f(paired.ratioQuartiles[1], 1)})`],
  ['client overhead per call (separate processes, minus raw)', `${f(overheadIvs)} µs`, `${f(overheadV3)} µs`, `${f(median(overheadRatios), 1)}× less (rounds ${f(overheadRatios[0], 1)}–${f(overheadRatios.at(-1), 1)})`],
  ['64-concurrent GetRoom', `${f(ivs.concPerSec)} calls/s`, `${f(v3.concPerSec)} calls/s`, `${f(ivs.concPerSec / v3.concPerSec, 1)}×`],
  ['client CPU per call, sequential / 64 in flight (all threads)', `${f(ivs.seqCpuUsPerCall)} / ${f(ivs.concCpuUsPerCall)} µs`, `${f(v3.seqCpuUsPerCall)} / ${f(v3.concCpuUsPerCall)} µs`, `${f(v3.seqCpuUsPerCall / ivs.seqCpuUsPerCall, 1)}× / ${f(v3.concCpuUsPerCall / ivs.concCpuUsPerCall, 1)}× less`],
  ['peak RSS (warm-up + both runs)', `${f(ivs.peakRssMb)} MB`, `${f(v3.peakRssMb)} MB`, `${f(v3.peakRssMb / ivs.peakRssMb, 1)}× less`],
]
console.log(`${rounds} interleaved rounds per client (medians)`)
console.log(`canned server: ${rustServer ? `${path.relative(root, rustServer)} --threads ${serverThreads}` : 'bench/node/canned-server.mjs'}`)
console.log(`node ${process.version}; raw keep-alive round trip ${f(raw.seqUsPerCall)} µs sequential, ${f(raw.concPerSec)} req/s at 64 in flight; bare node start ${f(bare, 1)} ms`)
const la = (l) => l.map((x) => x.toFixed(2)).join(', ')
console.log(`load average (1, 5, 15 min): ${la(loadBefore)} at the start, ${la(loadAfter)} at the end; ${os.cpus().length} CPUs`)
console.log(`raw CPU per call: ${f(raw.seqCpuUsPerCall)} µs sequential, ${f(raw.concCpuUsPerCall)} µs at 64 in flight`)
console.log('| measure | ivschat | @aws-sdk/client-ivschat | ratio |')
console.log('|---|---|---|---|')
for (const r of rows) console.log(`| ${r.join(' | ')} |`)
