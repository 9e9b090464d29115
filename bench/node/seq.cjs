// Sequential GetRoom calls of one build of the package, each build in its own process:
//   node bench/node/seq.cjs ENDPOINT DIR|raw [CALLS]
// DIR holds a copy of the package (index.js and the .node file); `raw` is the keep-alive socket
// of clients.mjs. 500 warm-up calls, then CALLS (default 5000); prints wall and process CPU µs per
// call. Run builds in interleaved rounds and take medians (RESULTS.md, 2026-12-07).
const path = require('path')
const [endpoint, dir, n = '5000'] = process.argv.slice(2)
const identifier = 'arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234'

async function caller() {
  if (dir === 'raw') return (await import('./clients.mjs')).client('raw', endpoint).then((c) => c.call)
  const { IvschatClient } = require(path.resolve(dir, 'index.js'))
  const c = new IvschatClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })
  return () => c.getRoom({ identifier })
}

;(async () => {
  const call = await caller()
  for (let i = 0; i < 500; i++) await call()
  const t = process.hrtime.bigint()
  const cpu = process.cpuUsage()
  for (let i = 0; i < Number(n); i++) await call()
  const us = Number(process.hrtime.bigint() - t) / 1000 / Number(n)
  const used = process.cpuUsage(cpu)
  console.log(JSON.stringify({ usPerCall: us.toFixed(1), cpuUsPerCall: ((used.user + used.system) / Number(n)).toFixed(1) }))
  process.exit(0)
})()
