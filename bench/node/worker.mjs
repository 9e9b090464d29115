// One benchmark run in its own process: node worker.mjs <ivschat|v3|raw> ENDPOINT
// Prints one JSON line: sequential µs/call and calls/s, 64-concurrent calls/s, peak RSS.
import net from 'node:net'

const [which, endpoint] = process.argv.slice(2)
const SEQ = Number(process.env.BENCH_SEQ ?? 5000)
const CONC_TOTAL = Number(process.env.BENCH_CONC ?? 30000)
const INFLIGHT = 64
const identifier = 'arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234'
const config = { region: 'us-east-1', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }

let call
let callLane = () => call // the function a concurrent lane uses
if (which === 'ivschat') {
  const { IvschatClient } = await import('ivschat')
  const client = new IvschatClient(config)
  call = () => client.getRoom({ identifier })
} else if (which === 'v3') {
  const { Ivschat } = await import('@aws-sdk/client-ivschat')
  const client = new Ivschat(config)
  call = () => client.getRoom({ identifier })
} else {
  // The raw keep-alive round trip: pre-built request bytes written to a keep-alive socket (one per
  // call in flight), the response read up to its content-length. No signing, no parsing.
  const url = new URL(endpoint)
  const payload = JSON.stringify({ identifier })
  const request = Buffer.from(
    `POST /rooms/get HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
  )
  function connection() {
    const socket = net.connect(Number(url.port), url.hostname)
    socket.setNoDelay(true)
    let buf = Buffer.alloc(0)
    let waiting = null
    socket.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      const m = /content-length:\s*(\d+)/i.exec(buf.toString('latin1', 0, end))
      const total = end + 4 + (m ? Number(m[1]) : 0)
      if (buf.length < total) return
      buf = buf.subarray(total)
      const w = waiting
      waiting = null
      w()
    })
    return () =>
      new Promise((resolve) => {
        waiting = resolve
        socket.write(request)
      })
  }
  const pool = Array.from({ length: INFLIGHT }, connection)
  let next = 0
  // Sequential calls all use the first connection; concurrent lanes each take their own.
  call = () => pool[0]()
  callLane = () => pool[next++ % INFLIGHT]
}

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
