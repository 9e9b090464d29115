// Per-call client overhead in paired blocks, in one process: node paired.mjs ENDPOINT
// The three clients (raw, ivschat, v3) take turns, a block of BENCH_BLOCK sequential GetRoom
// calls each, BENCH_BLOCKS times. A block's µs per call minus the raw block's just before it is
// that block's overhead: a change in the machine's speed (a VM's stolen time moves from second to
// second) hits the blocks it compares alike. Prints one JSON line: the median overhead of each
// client and the median of the per-turn ratios v3 / ivschat.
import { client } from './clients.mjs'

const [endpoint] = process.argv.slice(2)
const BLOCK = Number(process.env.BENCH_BLOCK ?? 250)
const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 40)

const clients = {}
for (const which of ['raw', 'ivschat', 'v3']) {
  clients[which] = (await client(which, endpoint)).call
  for (let i = 0; i < 500; i++) await clients[which]() // warm-up (connections, JIT)
}

async function block(call) {
  const t = process.hrtime.bigint()
  for (let i = 0; i < BLOCK; i++) await call()
  return Number(process.hrtime.bigint() - t) / BLOCK / 1000
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const overhead = { ivschat: [], v3: [] }
const ratios = []
for (let b = 0; b < BLOCKS; b++) {
  const raw = await block(clients.raw)
  const ivschat = (await block(clients.ivschat)) - raw
  const v3 = (await block(clients.v3)) - raw
  overhead.ivschat.push(ivschat)
  overhead.v3.push(v3)
  ratios.push(v3 / Math.max(ivschat, 0.1))
}
ratios.sort((a, b) => a - b)
console.log(
  JSON.stringify({
    ivschatOverheadUs: median(overhead.ivschat),
    v3OverheadUs: median(overhead.v3),
    ratio: median(ratios),
    ratioQuartiles: [ratios[Math.floor(ratios.length / 4)], ratios[Math.floor((3 * ratios.length) / 4)]],
  }),
)
process.exit(0)
