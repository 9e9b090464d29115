// One benchmark run in its own process: node worker.mjs <ivschat|v3|raw> ENDPOINT
// Prints one JSON line: sequential µs/call and calls/s, 64-concurrent calls/s, peak RSS.
import { client, INFLIGHT } from './clients.mjs'

const [which, endpoint] = process.argv.slice(2)
const SEQ = Number(process.env.BENCH_SEQ ?? 5000)
const CONC_TOTAL = Number(process.env.BENCH_CONC ?? 30000)

const { call, lane: callLane } = await client(which, endpoint)

for (let i = 0; i < 500; i++) await call() // warm-up (connections, JIT)
let cpu = process.cpuUsage()
let t = process.hrtime.bigint()
for (let i = 0; i < SEQ; i++) await call()
const seqNs = Number(process.hrtime.bigint() - t)
const seqCpu = process.cpuUsage(cpu)

cpu = process.cpuUsage()
t = process.hrtime.bigint()
let started = 0
async function lane() {
  const call = callLane()
  while (started < CONC_TOTAL) {
    started++
    await call()
  }
}
await Promise.all(Array.from({ length: INFLIGHT }, lane))
const concNs = Number(process.hrtime.bigint() - t)
const concCpu = process.cpuUsage(cpu)

console.log(
  JSON.stringify({
    which,
    seqUsPerCall: seqNs / SEQ / 1000,
    seqPerSec: SEQ / (seqNs / 1e9),
    concPerSec: CONC_TOTAL / (concNs / 1e9),
    // CPU time of this process (every thread) per call: less sensitive to other load than wall time
    seqCpuUsPerCall: (seqCpu.user + seqCpu.system) / SEQ,
    concCpuUsPerCall: (concCpu.user + concCpu.system) / CONC_TOTAL,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  }),
)
process.exit(0)
