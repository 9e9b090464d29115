// A/B of two builds of the package in one process, in paired blocks (as paired.mjs):
//   node bench/node/ab.mjs ENDPOINT DIR_A DIR_B
// DIR_A and DIR_B hold copies of the package (index.js, messaging.js, generated.js, native.js,
// package.json, the .node file); loaded from two paths, each addon has its own statics and tokio
// runtime. AB_ENV_A / AB_ENV_B ("NAME=value,...") are set in process.env before each is loaded
// (e.g. AB_ENV_B=IVSCHAT_NODE_WORKER_THREADS=2). Prints each one's median overhead per call over
// the raw round trip and the median per-turn ratio B / A.
import { createRequire } from 'node:module'
import path from 'node:path'
import { client } from './clients.mjs'

const [endpoint, dirA, dirB] = process.argv.slice(2)
const BLOCK = Number(process.env.BENCH_BLOCK ?? 250)
const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 40)
const identifier = 'arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234'
const config = { region: 'us-east-1', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }
const require = createRequire(import.meta.url)
function load(dir, vars = '') {
  for (const kv of vars.split(',').filter(Boolean)) process.env[kv.split('=')[0]] = kv.split('=')[1]
  const c = new (require(path.resolve(dir, 'index.js')).IvschatClient)(config)
  return () => c.getRoom({ identifier })
}
const calls = { raw: (await client('raw', endpoint)).call, a: load(dirA, process.env.AB_ENV_A), b: load(dirB, process.env.AB_ENV_B) }
for (const call of Object.values(calls)) for (let i = 0; i < 500; i++) await call()
async function block(call) {
  const t = process.hrtime.bigint()
  for (let i = 0; i < BLOCK; i++) await call()
  return Number(process.hrtime.bigint() - t) / BLOCK / 1000
}
const a = []
const b = []
const ratios = []
for (let i = 0; i < BLOCKS; i++) {
  const raw = await block(calls.raw)
  a.push((await block(calls.a)) - raw)
  b.push((await block(calls.b)) - raw)
  ratios.push(b.at(-1) / Math.max(a.at(-1), 0.1))
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]
console.log(JSON.stringify({ aOverheadUs: median(a), bOverheadUs: median(b), bOverA: median(ratios) }))
process.exit(0)
