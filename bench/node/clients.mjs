// The clients the benchmark compares, each as a function making one GetRoom call:
// `await client(which, endpoint)` gives { call, lane } where `lane()` gives the function a
// concurrent lane uses (raw: a socket per lane).
import net from 'node:net'

const identifier = 'arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234'
export const INFLIGHT = 64

export async function client(which, endpoint) {
  if (!['ivschat', 'v3', 'raw'].includes(which)) throw new Error(`unknown client ${which}`)
  const config = { region: 'us-east-1', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }
  let call
  let callLane = () => call
  if (which === 'ivschat') {
    const { IvschatClient } = await import('ivschat')
    const c = new IvschatClient(config)
    call = () => c.getRoom({ identifier })
  } else if (which === 'v3') {
    const { Ivschat } = await import('@aws-sdk/client-ivschat')
    const c = new Ivschat(config)
    call = () => c.getRoom({ identifier })
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
  return { call, lane: callLane }
}
