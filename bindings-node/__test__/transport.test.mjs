// The transport as Node sees it (the core's hyper client, driven by Node's event loop on the
// JavaScript thread; test.sh runs this file again on the addon's tokio runtime):
// connection reuse, a connection the server closed while idle, body framings, timeouts and the
// response size limit against stalled, trickling and huge responses, abort, TLS (a private CA
// trusted through NODE_EXTRA_CA_CERTS), panics, and lifetimes. Servers here are raw node:net /
// node:tls ones whose every byte the test decides.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { spawnSync, execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { createRequire } from 'node:module'
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as ivschat from '../index.mjs'

const { IvschatClient } = ivschat
const here = path.dirname(fileURLToPath(import.meta.url))
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' }
const ROOM = '{"arn":"arn:aws:ivschat:us-east-1:123456789012:room/abcdEFGH1234","id":"abcdEFGH1234"}'
const identifier = 'arn:aws:ivschat:us-east-1:123456789012:room/abcdEFGH1234'

function ok(body = ROOM, extra = '') {
  return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-amzn-requestid: 11111111-2222-3333-4444-555555555555\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
}

/**
 * A server calling `answer(socket, index, connection)` for every whole request (head and a
 * content-length body); `index` counts requests over all connections, `connection` the
 * connections (from 0).
 */
async function server(answer, listen = (handler) => net.createServer(handler)) {
  const state = { connections: 0, requests: 0, closed: 0, sockets: new Set() }
  const srv = listen((socket) => {
    const connection = state.connections++
    state.sockets.add(socket)
    socket.on('close', () => {
      state.closed++
      state.sockets.delete(socket)
    })
    socket.on('error', () => {})
    let buf = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk])
      for (;;) {
        const end = buf.indexOf('\r\n\r\n')
        if (end < 0) return
        const m = /content-length:\s*(\d+)/i.exec(buf.toString('latin1', 0, end))
        const total = end + 4 + (m ? Number(m[1]) : 0)
        if (buf.length < total) return
        buf = buf.subarray(total)
        answer(socket, state.requests++, connection)
      }
    })
  })
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve))
  state.port = srv.address().port
  state.close = () => {
    for (const s of state.sockets) s.destroy()
    return new Promise((resolve) => srv.close(resolve))
  }
  return state
}

function clientFor(port, options = {}, scheme = 'http', host = '127.0.0.1') {
  return new IvschatClient({ region: 'us-east-1', endpoint: `${scheme}://${host}:${port}`, credentials, ...options })
}

const servers = []
async function started(answer, listen) {
  const s = await server(answer, listen)
  servers.push(s)
  return s
}
after(() => Promise.all(servers.map((s) => s.close())))

describe('connections', () => {
  it('sequential calls share one kept-alive connection', async () => {
    const s = await started((socket) => socket.write(ok()))
    const client = clientFor(s.port)
    for (let i = 0; i < 5; i++) {
      const out = await client.getRoom({ identifier })
      assert.equal(out.id, 'abcdEFGH1234')
      assert.equal(out.$metadata.attempts, 1)
      assert.equal(out.$metadata.requestId, '11111111-2222-3333-4444-555555555555')
    }
    assert.equal(s.requests, 5)
    assert.equal(s.connections, 1)
  })

  it('a connection the server closed while idle is replaced, without a retry', async () => {
    // The server ends every connection 30 ms after answering; the client calls again later.
    const s = await started((socket) => {
      socket.write(ok())
      setTimeout(() => socket.end(), 30)
    })
    const client = clientFor(s.port, { maxAttempts: 1 })
    for (let i = 0; i < 3; i++) {
      const out = await client.getRoom({ identifier })
      assert.equal(out.$metadata.attempts, 1)
      await new Promise((r) => setTimeout(r, 150))
    }
    assert.equal(s.connections, 3, 'a new connection after each closed one')
    assert.equal(s.requests, 3)
  })

  it('a new connection closing before any response byte is a ConnectionError', async () => {
    const s = await started((socket) => socket.destroy())
    const e = await clientFor(s.port, { maxAttempts: 2, retryBackoffMs: 1 }).getRoom({ identifier }).catch((x) => x)
    assert.equal(e.name, 'ConnectionError')
    assert.match(e.message, /the connection closed before a response arrived/)
    assert.equal(s.requests, 2, 'retried once')
  })

  it('chunked and close-delimited bodies are read whole', async () => {
    const chunked = await started((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n')
      socket.write(`5\r\n${ROOM.slice(0, 5)}\r\n`)
      setTimeout(() => socket.write(`${(ROOM.length - 5).toString(16)}\r\n${ROOM.slice(5)}\r\n0\r\n\r\n`), 20)
    })
    const client = clientFor(chunked.port)
    assert.equal((await client.getRoom({ identifier })).id, 'abcdEFGH1234')
    assert.equal((await client.getRoom({ identifier })).id, 'abcdEFGH1234')
    assert.equal(chunked.connections, 1, 'a chunked response keeps the connection')

    const closing = await started((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n')
      socket.end(ROOM)
    })
    const again = clientFor(closing.port)
    assert.equal((await again.getRoom({ identifier })).id, 'abcdEFGH1234')
    assert.equal((await again.getRoom({ identifier })).id, 'abcdEFGH1234')
    assert.equal(closing.connections, 2)
  })

  it('a malformed response is a ConnectionError naming it', async () => {
    const s = await started((socket) => socket.write('HTTP/1.1 abc\r\n\r\n'))
    const e = await clientFor(s.port, { maxAttempts: 1 }).getRoom({ identifier }).catch((x) => x)
    assert.equal(e.name, 'ConnectionError')
    assert.match(e.message, /the server sent a malformed response/)
  })
})

describe('timeouts and abort', () => {
  const silent = () => started(() => {})

  it('the read timeout and the request timeout end a silent exchange', async () => {
    const s = await silent()
    let e = await clientFor(s.port, { readTimeout: 150, maxAttempts: 1 }).getRoom({ identifier }).catch((x) => x)
    assert.equal(e.name, 'TimeoutError')
    assert.match(e.message, /no response bytes arrived for 150ms \(read timeout\)/)
    e = await clientFor(s.port, { requestTimeout: 150, maxAttempts: 1 }).getRoom({ identifier }).catch((x) => x)
    assert.equal(e.name, 'TimeoutError')
    assert.match(e.message, /the attempt did not complete within 150ms/)
  })

  it("v3's requestHandler is honoured: a NodeHttpHandler or its options; what cannot be is refused", async () => {
    const { NodeHttpHandler } = await import('@smithy/node-http-handler')
    const s = await silent()
    for (const requestHandler of [new NodeHttpHandler({ requestTimeout: 150 }), { requestTimeout: 150 }]) {
      const e = await clientFor(s.port, { requestHandler, maxAttempts: 1 }).getRoom({ identifier }).catch((x) => x)
      assert.equal(e.name, 'TimeoutError')
      assert.match(e.message, /the attempt did not complete within 150ms/)
    }
    const idle = await clientFor(s.port, { requestHandler: { socketTimeout: 150 }, maxAttempts: 1 }).getRoom({ identifier }).catch((x) => x)
    assert.match(idle.message, /no response bytes arrived for 150ms \(read timeout\)/)
    const https = await import('node:https')
    const agent = new https.Agent({ maxSockets: 5 })
    const e = await clientFor(s.port, { requestHandler: new NodeHttpHandler({ httpsAgent: agent }) }).getRoom({ identifier }).catch((x) => x)
    assert.ok(e instanceof TypeError && /httpsAgent cannot be used/.test(e.message), e.message)
    agent.destroy()
    assert.throws(() => clientFor(s.port, { requestHandler: { handle: async () => ({}) } }), /its own HTTP client/)
    assert.throws(() => clientFor(s.port).middlewareStack.add(() => {}), /no middlewareStack/)
  })

  it('a refused connection fails after 3 attempts with v3-sized backoff (100 ms base)', async () => {
    const closed = net.createServer()
    await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = closed.address().port
    await new Promise((resolve) => closed.close(resolve))
    const e = await clientFor(port).getRoom({ identifier }).catch((x) => x)
    assert.equal(e.name, 'ConnectionError')
    assert.equal(e.$metadata.attempts, 3)
    assert.ok(e.$metadata.totalRetryDelay <= 300, `${e.$metadata.totalRetryDelay} ms of backoff (full jitter under 100 + 200 ms)`)
  })

  it('a timed-out attempt is retried on a new connection', async () => {
    const s = await started((socket, index) => {
      if (index > 0) socket.write(ok())
    })
    const out = await clientFor(s.port, { requestTimeout: 150, maxAttempts: 2, retryBackoffMs: 1 }).getRoom({ identifier })
    assert.equal(out.$metadata.attempts, 2)
    assert.equal(s.connections, 2)
  })

  it('abort closes the connection carrying the call', async () => {
    const s = await silent()
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    const e = await clientFor(s.port).getRoom({ identifier }, { abortSignal: controller.signal }).catch((x) => x)
    assert.equal(e.name, 'AbortError')
    for (let i = 0; i < 100 && s.closed < 1; i++) await new Promise((r) => setTimeout(r, 10))
    assert.equal(s.closed, 1, 'the server saw the connection close')
  })
})

describe('concurrency', () => {
  it('50 calls in flight answer the same, on a pool of connections', async () => {
    const s = await started((socket) => setTimeout(() => socket.write(ok()), 5))
    const client = clientFor(s.port)
    const outs = await Promise.all(Array.from({ length: 50 }, () => client.getRoom({ identifier })))
    for (const out of outs) {
      assert.equal(out.id, 'abcdEFGH1234')
      assert.equal(out.$metadata.attempts, 1)
      assert.equal(out.$metadata.httpStatusCode, 200)
    }
    assert.equal(s.requests, 50)
    assert.ok(s.connections >= 1 && s.connections <= 50, `${s.connections} connections`)
  })
})

describe('bounds', () => {
  const head = (length, extra = '') =>
    `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${extra}${length == null ? '' : `content-length: ${length}\r\n`}\r\n`
  // Writes `chunk` every `ms` until the connection closes; counts the bytes written.
  const pour = (socket, chunk, ms, sent = { bytes: 0 }) => {
    const timer = setInterval(() => {
      if (socket.destroyed) return clearInterval(timer)
      socket.write(chunk)
      sent.bytes += chunk.length
    }, ms)
    socket.on('close', () => clearInterval(timer))
    return sent
  }

  it('attemptTimeout ends a body trickling a byte at a time (the read timeout never fires)', async () => {
    const s = await started((socket) => {
      socket.write(head(1000))
      pour(socket, ' ', 50)
    })
    const started_ = Date.now()
    const e = await clientFor(s.port, { attemptTimeout: 300, maxAttempts: 1 }).getRoom({ identifier }).catch((x) => x)
    assert.equal(e.name, 'TimeoutError')
    assert.match(e.message, /the attempt did not complete within 300ms/)
    assert.ok(Date.now() - started_ < 10_000, 'did not hang')
  })

  it('operationTimeout ends a call whose attempts all stall, retries and backoff included', async () => {
    const s = await started((socket) => socket.write(head(1000)))
    const e = await clientFor(s.port, { attemptTimeout: 200, operationTimeout: 500, maxAttempts: 10, retryBackoffMs: 1 })
      .getRoom({ identifier })
      .catch((x) => x)
    assert.equal(e.name, 'TimeoutError')
    assert.match(e.message, /the operation did not complete within 500ms/)
    assert.ok(s.requests >= 2 && s.requests <= 3, `${s.requests} attempts`)
  })

  it('maxResponseBytes refuses a huge body, naming the limit, without reading it', async () => {
    let sent
    const s = await started((socket) => {
      socket.write(head(200 * 2 ** 20))
      sent = pour(socket, Buffer.alloc(2 ** 16, 0x20), 1)
    })
    const e = await clientFor(s.port, { maxResponseBytes: 2 ** 20, maxAttempts: 3 }).getRoom({ identifier }).catch((x) => x)
    assert.equal(e.name, 'ResponseParseError')
    assert.match(e.message, /1048576-byte limit/)
    assert.equal(s.requests, 1, 'not retried')
    assert.ok(sent.bytes < 100 * 2 ** 20, `the client stopped reading (${sent.bytes} bytes sent)`)
  })

  it('an endless chunked body stops at the default 16 MiB limit', async () => {
    const chunk = Buffer.alloc(2 ** 16, 0x20)
    const s = await started((socket) => {
      socket.write(head(null, 'transfer-encoding: chunked\r\n'))
      pour(socket, Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]), 1)
    })
    const e = await clientFor(s.port, { maxAttempts: 1 }).getRoom({ identifier }).catch((x) => x)
    assert.equal(e.name, 'ResponseParseError')
    assert.match(e.message, /16777216-byte limit/)
  })
})

describe('panics', () => {
  const native = createRequire(import.meta.url)('../native.js')
  const probe = new native.NativeClient('{}', null, () => {})
  const skip = (() => { try { probe.panicForTest(0, true) } catch { return 'a release build has no panic hook' } return false })()

  it('a panic in an entry point throws a JS Error; a call whose task panics still settles', { skip }, async () => {
    const settled = []
    const keep = setInterval(() => {}, 1000)
    const n = new native.NativeClient(JSON.stringify({ region: 'us-east-1' }), null, (id, envelope) => settled.push([id, envelope]))
    assert.throws(() => n.panicForTest(1, false), (e) => e instanceof Error && /a panic on the JavaScript thread/.test(e.message))
    n.panicForTest(7, true)
    n.panicForTest(0, true)
    for (let i = 0; i < 200 && settled.length < 2; i++) await new Promise((r) => setTimeout(r, 10))
    clearInterval(keep)
    const panicked = settled.find(([id]) => id === 7)
    assert.ok(panicked, `settled: ${JSON.stringify(settled)}`)
    assert.deepEqual(JSON.parse(panicked[1]).e.code, 'InternalError')
    assert.ok(settled.some(([id, envelope]) => id === 0 && envelope === ''))
  })
})

describe('event loop', () => {
  const native = createRequire(import.meta.url)('../native.js')
  it('calls run on the JavaScript thread under Node, and on the tokio runtime when told not to', () => {
    // Linux only for now (macOS untested; Windows has no descriptor for libuv to watch).
    assert.equal(native.callsOnJavascriptThread?.() ?? false, process.platform === 'linux' && !process.env.IVSCHAT_NODE_NO_HOSTED_LOOP)
    const probe = `console.log(require(${JSON.stringify(path.join(here, '..', 'native.js'))}).callsOnJavascriptThread?.() ?? false)`
    const run = spawnSync(process.execPath, ['-e', probe], { env: { ...process.env, IVSCHAT_NODE_NO_HOSTED_LOOP: '1' } })
    assert.equal(run.stdout.toString().trim(), 'false')
  })
})

describe('lifetime', () => {
  it('an unused client is collected and its idle connections closed', async () => {
    // In a child process run with --expose-gc; its server counts the connections closed while
    // the process lives on.
    const dir = mkdtempSync(path.join(tmpdir(), 'ivschat-gc-'))
    after(() => rmSync(dir, { recursive: true, force: true }))
    const script = path.join(dir, 'gc.mjs')
    writeFileSync(script, `
      import net from 'node:net'
      import { IvschatClient } from ${JSON.stringify(path.join(here, '..', 'index.mjs'))}
      const body = ${JSON.stringify(ok())}
      let closed = 0
      const server = net.createServer((socket) => {
        socket.on('data', () => socket.write(body))
        socket.on('close', () => { closed++ })
      })
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
      let collected = 0
      const registry = new FinalizationRegistry(() => { collected++ })
      for (let i = 0; i < 20; i++) {
        const c = new IvschatClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:' + server.address().port, credentials: ${JSON.stringify(credentials)} })
        await c.getRoom({ identifier: ${JSON.stringify(identifier)} })
        registry.register(c._native, i)
      }
      for (let i = 0; i < 50 && (collected < 19 || closed < 19); i++) {
        globalThis.gc()
        await new Promise((r) => setTimeout(r, 20))
      }
      console.log(collected + ' ' + closed)
      server.close()
      process.exit(0)
    `)
    const run = await promisify(execFile)(process.execPath, ['--expose-gc', script])
    const [collected, closed] = run.stdout.trim().split(' ').map(Number)
    // The last client may still be on the stack when the loop ends.
    assert.ok(collected >= 19, `collected: ${run.stdout}`)
    assert.ok(closed >= 19, `connections closed: ${run.stdout}`)
  })

  it('clients in worker threads, one worker after another, each ending with a connection open', async () => {
    // In a child process: a crash there (the addon's allocator, handles left on a worker's
    // loop) fails this test instead of the runner. The third worker is terminated mid-call.
    const s = await started((socket, index) => {
      if (index < 2) socket.write(ok())
    })
    const dir = mkdtempSync(path.join(tmpdir(), 'ivschat-workers-'))
    after(() => rmSync(dir, { recursive: true, force: true }))
    const script = path.join(dir, 'workers.mjs')
    writeFileSync(script, `
      import { Worker } from 'node:worker_threads'
      const code = \`
        const { parentPort } = require('node:worker_threads')
        const { IvschatClient } = require(${JSON.stringify(path.join(here, '..', 'index.js'))})
        const c = new IvschatClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:${s.port}', credentials: ${JSON.stringify(credentials)}, maxAttempts: 1 })
        parentPort.postMessage('calling')
        c.getRoom({ identifier: ${JSON.stringify(identifier)} }).then((r) => parentPort.postMessage(r.id))
      \`
      for (let i = 0; i < 3; i++) {
        const w = new Worker(code, { eval: true })
        w.on('message', (m) => {
          if (m !== 'calling') console.log(m)
          else if (i === 2) setTimeout(() => w.terminate(), 100)
        })
        await new Promise((resolve) => w.on('exit', resolve))
      }
      console.log('done')
    `)
    const run = await promisify(execFile)(process.execPath, [script])
    assert.deepEqual(run.stdout.trim().split('\n'), ['abcdEFGH1234', 'abcdEFGH1234', 'done'])
  })
})

describe('proxy', () => {
  it('with HTTP_PROXY set, every call goes through the proxy', async () => {
    // The proxy answers every request and records its (absolute-form) target.
    const targets = []
    const recorder = net.createServer((socket) => {
      socket.on('data', (chunk) => {
        const line = chunk.toString('latin1').split('\r\n')[0]
        if (/^[A-Z]+ /.test(line)) {
          targets.push(line.split(' ')[1])
          socket.write(ok())
        }
      })
      socket.on('error', () => {})
    })
    await new Promise((resolve) => recorder.listen(0, '127.0.0.1', resolve))
    after(() => new Promise((resolve) => recorder.close(resolve)))
    const dir = mkdtempSync(path.join(tmpdir(), 'ivschat-proxy-'))
    after(() => rmSync(dir, { recursive: true, force: true }))
    const script = path.join(dir, 'call.mjs')
    writeFileSync(script, `
      import { IvschatClient } from ${JSON.stringify(path.join(here, '..', 'index.mjs'))}
      const c = new IvschatClient({ region: 'us-east-1', endpoint: 'http://ivschat.proxied.invalid', credentials: ${JSON.stringify(credentials)} })
      console.log((await c.getRoom({ identifier: ${JSON.stringify(identifier)} })).id)
      const all = await Promise.all([1, 2, 3].map(() => c.getRoom({ identifier: ${JSON.stringify(identifier)} })))
      console.log(all.map((o) => o.id).join(','))
    `)
    const run = await promisify(execFile)(process.execPath, [script], {
      env: { ...process.env, HTTP_PROXY: `http://127.0.0.1:${recorder.address().port}`, NO_PROXY: '' },
    })
    assert.deepEqual(run.stdout.trim().split('\n'), ['abcdEFGH1234', 'abcdEFGH1234,abcdEFGH1234,abcdEFGH1234'])
    assert.equal(targets.length, 4)
    for (const target of targets) assert.equal(target, 'http://ivschat.proxied.invalid/GetRoom')
  })
})

describe('TLS', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ivschat-tls-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  // A private CA and a server certificate it signed (the CA is what NODE_EXTRA_CA_CERTS names).
  const file = (name) => path.join(dir, name)
  const openssl = (...args) => spawnSync('openssl', args).status === 0
  writeFileSync(file('leaf.ext'), 'subjectAltName=DNS:localhost\nbasicConstraints=critical,CA:FALSE\n')
  const made =
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', file('ca-key.pem'), '-out', file('ca.pem'), '-days', '1', '-subj', '/CN=ivschat test CA') &&
    openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', file('key.pem'), '-out', file('leaf.csr'), '-subj', '/CN=localhost') &&
    openssl('x509', '-req', '-in', file('leaf.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca-key.pem'),
      '-CAcreateserial', '-out', file('cert.pem'), '-days', '1', '-extfile', file('leaf.ext'))
  const skip = made ? false : 'openssl could not make the certificates'

  it('https verifies the certificate: trusted succeeds on one connection, untrusted fails', { skip }, async () => {
    const tls = await import('node:tls')
    const options = { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) }
    const s = await started((socket) => socket.write(ok()), (handler) => tls.createServer(options, handler))
    // NODE_EXTRA_CA_CERTS is read at start-up: the trusting client runs in a child process.
    const script = path.join(dir, 'call.mjs')
    writeFileSync(script, `
      import { IvschatClient } from ${JSON.stringify(path.join(here, '..', 'index.mjs'))}
      const c = new IvschatClient({ region: 'us-east-1', endpoint: 'https://localhost:${s.port}', credentials: ${JSON.stringify(credentials)} })
      for (let i = 0; i < 3; i++) console.log((await c.getRoom({ identifier: ${JSON.stringify(identifier)} })).id)
    `)
    // Asynchronously: this process's server must keep answering meanwhile.
    const run = await promisify(execFile)(process.execPath, [script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: file('ca.pem') },
    })
    assert.deepEqual(run.stdout.trim().split('\n'), ['abcdEFGH1234', 'abcdEFGH1234', 'abcdEFGH1234'])
    assert.equal(s.connections, 1, 'one TLS connection, kept alive')

    const e = await clientFor(s.port, { maxAttempts: 1 }, 'https', 'localhost').getRoom({ identifier }).catch((x) => x)
    assert.equal(e.name, 'ConnectionError')
    assert.match(e.message, /could not connect to localhost:\d+: .*certificate/)
  })
})
