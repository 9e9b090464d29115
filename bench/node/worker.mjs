// One benchmark run in its own process: node worker.mjs <ivschat|v3|raw> ENDPOINT
// Prints one JSON line: sequential µs/call and calls/s, 64-concurrent calls/s, peak RSS.
import http from 'node:http'

const [which, endpoint] = process.argv.slice(2)
const SEQ = Number(process.env.BENCH_SEQ ?? 5000)
const CONC_TOTAL = Number(process.env.BENCH_CONC ?? 30000)
const INFLIGHT = 64
const identifier = 'arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234'
const config = { region: 'us-east-1', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }

let call
if (which === 'ivschat') {
  const { IvschatClient } = await import('ivschat')
  const client = new IvschatClient(config)
  call = () => client.getRoom({ identifier })
} else if (which === 'v3') {
  const { Ivschat } = await import('@aws-sdk/client-ivschat')
  const client = new Ivschat(config)
  call = () => client.getRoom({ identifier })
} else {
  // the raw round trip: node:http, keep-alive, no signing, no parsing beyond JSON.parse
  const agent = new http.Agent({ keepAlive: true, maxSockets: INFLIGHT })
  const url = new URL(endpoint)
  const payload = JSON.stringify({ identifier })
  call = () =>
    new Promise((resolve, reject) => {
      const req = http.request(
        { agent, host: url.hostname, port: url.port, method: 'POST', path: '/GetRoom', headers: { 'content-type': 'application/json', 'content-length': payload.length } },
        (res) => {
          let data = ''
          res.setEncoding('utf8')
          res.on('data', (c) => (data += c))
          res.on('end', () => resolve(JSON.parse(data)))
        },
      )
      req.on('error', reject)
      req.end(payload)
    })
}

for (let i = 0; i < 500; i++) await call() // warm-up (connections, JIT)
let t = process.hrtime.bigint()
for (let i = 0; i < SEQ; i++) await call()
const seqNs = Number(process.hrtime.bigint() - t)

t = process.hrtime.bigint()
let started = 0
async function lane() {
  while (started < CONC_TOTAL) {
    started++
    await call()
  }
}
await Promise.all(Array.from({ length: INFLIGHT }, lane))
const concNs = Number(process.hrtime.bigint() - t)

console.log(
  JSON.stringify({
    which,
    seqUsPerCall: seqNs / SEQ / 1000,
    seqPerSec: SEQ / (seqNs / 1e9),
    concPerSec: CONC_TOTAL / (concNs / 1e9),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  }),
)
process.exit(0)
