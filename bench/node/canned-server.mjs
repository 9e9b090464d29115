// A tiny canned-response HTTP server for the client benchmarks: answers every request with the
// same 200 GetRoom body (keep-alive, no parsing, no signature check). Prints "listening PORT".
// Fallback for bench.mjs when python3 (bench/python/canned_server.py) is not available.
import http from 'node:http'

const body = JSON.stringify({
  arn: 'arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234',
  id: 'abcdEFGH1234',
  name: 'bench',
  createTime: '2024-05-01T12:34:56.789Z',
  updateTime: '2024-05-01T12:34:56.789Z',
  maximumMessageRatePerSecond: 10,
  maximumMessageLength: 500,
  tags: { env: 'bench' },
  loggingConfigurationIdentifiers: [],
})
const headers = {
  'content-type': 'application/json',
  'content-length': Buffer.byteLength(body),
  'x-amzn-requestid': '11111111-2222-3333-4444-555555555555',
}
const server = http.createServer((req, res) => {
  req.on('data', () => {})
  req.on('end', () => {
    res.writeHead(200, headers)
    res.end(body)
  })
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`))
