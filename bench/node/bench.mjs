// Benchmark of the Node package `ivschat` against @aws-sdk/client-ivschat v3, both calling a
// canned-response HTTP server (canned-server.mjs, a separate process):
//   1. require + construct: wall time of `node -e` that loads the package and builds a client,
//      minus bare `node -e 0` (median of N runs);
//   2. sequential GetRoom calls/s (and µs per call; minus the raw node:http round trip = the
//      client's overhead);
//   3. 64-concurrent GetRoom calls/s;
//   4. peak RSS of the process that ran 2 and 3.
// Run: make the release addon first (cd bindings-node && npx napi build --platform --release
// --js native.js --dts native.d.ts), then `node bench/node/bench.mjs` (see bench/node/README.md).
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { existsSync, symlinkSync, mkdirSync } from 'node:fs'

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

// The canned server the Python benchmark uses (bench/python/canned_server.py), when python3 is
// there; else the equivalent canned-server.mjs.
const pyServer = path.resolve(here, '../python/canned_server.py')
const usePython = existsSync(pyServer) && spawnSync('python3', ['--version']).status === 0
const server = usePython
  ? spawn('python3', [pyServer], { stdio: ['ignore', 'pipe', 'inherit'] })
  : spawn(process.execPath, [path.join(here, 'canned-server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] })
const endpoint = await new Promise((resolve) =>
  server.stdout.once('data', (d) => {
    const m = String(d).match(/(\d+)\s*$/m)
    resolve(`http://127.0.0.1:${m[1]}`)
  }),
)

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}
function startup(code) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint()
    const r = spawnSync(process.execPath, ['-e', code], { cwd: here, stdio: 'inherit' })
    if (r.status !== 0) throw new Error(`startup run failed: ${code}`)
    times.push(Number(process.hrtime.bigint() - t) / 1e6)
  }
  return median(times)
}
const cfg = `{ region: 'us-east-1', endpoint: '${endpoint}', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }`
const bare = startup('0')
const startIvs = startup(`const { IvschatClient } = require('ivschat'); new IvschatClient(${cfg})`) - bare
const startV3 = startup(`const { IvschatClient } = require('@aws-sdk/client-ivschat'); new IvschatClient(${cfg})`) - bare

function worker(which) {
  const r = spawnSync(process.execPath, [path.join(here, 'worker.mjs'), which, endpoint], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  if (r.status !== 0) throw new Error(`${which} worker failed`)
  return JSON.parse(r.stdout.trim().split('\n').pop())
}
const raw = worker('raw')
const v3 = worker('v3')
const ivs = worker('ivschat')
server.kill()

const f = (x, d = 0) => x.toFixed(d)
const overheadV3 = v3.seqUsPerCall - raw.seqUsPerCall
const overheadIvs = ivs.seqUsPerCall - raw.seqUsPerCall
const rows = [
  ['require + construct (over bare node)', `${f(startIvs, 1)} ms`, `${f(startV3, 1)} ms`, `${f(startV3 / startIvs, 1)}× less`],
  ['sequential GetRoom', `${f(ivs.seqPerSec)} calls/s (${f(ivs.seqUsPerCall)} µs)`, `${f(v3.seqPerSec)} calls/s (${f(v3.seqUsPerCall)} µs)`, `${f(ivs.seqPerSec / v3.seqPerSec, 1)}×`],
  ['client overhead per call (minus raw round trip)', `${f(overheadIvs)} µs`, `${f(overheadV3)} µs`, `${f(overheadV3 / Math.max(overheadIvs, 0.1), 1)}× less`],
  ['64-concurrent GetRoom', `${f(ivs.concPerSec)} calls/s`, `${f(v3.concPerSec)} calls/s`, `${f(ivs.concPerSec / v3.concPerSec, 1)}×`],
  ['peak RSS (warm-up + both runs)', `${f(ivs.peakRssMb)} MB`, `${f(v3.peakRssMb)} MB`, `${f(v3.peakRssMb / ivs.peakRssMb, 1)}× less`],
]
console.log(`canned server: ${usePython ? 'bench/python/canned_server.py' : 'bench/node/canned-server.mjs'}`)
console.log(`node ${process.version}; raw node:http round trip ${f(raw.seqUsPerCall)} µs sequential, ${f(raw.concPerSec)} req/s at 64 in flight; bare node start ${f(bare, 1)} ms`)
console.log('| measure | ivschat | @aws-sdk/client-ivschat | ratio |')
console.log('|---|---|---|---|')
for (const r of rows) console.log(`| ${r.join(' | ')} |`)
