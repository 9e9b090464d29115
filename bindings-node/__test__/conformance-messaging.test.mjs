// The messaging conformance suite (tests/conformance/messaging.json, what the official client
// did) through the public ChatRoom, as core/tests/conformance_messaging.rs runs it: frame cases
// against a scripted `ws` server, each frame followed by a sync event, and what the room did in
// between (an event, a logged rejection or ERROR, a duplicate drop, a settled request, a
// reconnect) compared; request cases compare the frame the room sent; endpoint cases the URL.
// Prints "messaging conformance: ran N, failed M".
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { WebSocketServer, WebSocket } from 'ws'
import { ChatRoom, SendMessageRequest, DeleteMessageRequest, DisconnectUserRequest } from '../messaging.mjs'

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../tests/conformance/messaging.json')
const { cases } = JSON.parse(readFileSync(file, 'utf8'))
const plain = (v) => JSON.parse(JSON.stringify(v))
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

let wss
let url
let sockets = []
let received = []
before(async () => {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (protocols) => [...protocols][0] })
  await new Promise((resolve) => wss.once('listening', resolve))
  url = `ws://127.0.0.1:${wss.address().port}/`
  wss.on('connection', (ws) => {
    sockets.push(ws)
    ws.on('message', (data) => received.push(data.toString()))
    ws.on('close', () => {
      sockets = sockets.filter((s) => s !== ws)
    })
  })
})
const counts = { ran: 0, failed: 0 }
after(() => {
  console.log(`messaging conformance: ran ${counts.ran}, failed ${counts.failed}`)
  return new Promise((resolve) => wss.close(resolve))
})

const open = () => sockets.filter((s) => s.readyState === WebSocket.OPEN)

async function until(condition, what) {
  for (let i = 0; i < 500 && !condition(); i++) await sleep(10)
  assert.ok(condition(), what)
}

// A room under observation: what it emitted and logged since the last sync.
async function observe() {
  sockets = []
  received = []
  const room = new ChatRoom({ regionOrUrl: url, tokenProvider: async () => ({ token: 'conformance-token' }) })
  const seen = []
  let syncs = 0
  let synced = null
  room.logger = {
    debug: () => {},
    info: () => {},
    error: (message, detail) => {
      if (/did fail to parse/.test(message)) seen.push({ rejected: { field: detail.field ?? null, message: detail.message } })
      else if (/received error/.test(message)) seen.push({ error: plain(detail) })
    },
  }
  for (const name of ['message', 'messageDelete', 'userDisconnect']) room.addListener(name, (data) => seen.push({ accepted: name, data: plain(data) }))
  room.addListener('event', (data) => {
    if (data.eventName !== 'oracle:sync') seen.push({ accepted: 'event', data: plain(data) })
    else if (data.id === synced) synced = null
  })
  room.addListener('connecting', () => seen.push({ state: 'connecting' }))
  room.addListener('connect', () => seen.push({ state: 'connect' }))
  const connected = new Promise((resolve) => room.addListener('connect', resolve))
  room.connect()
  await connected
  // Events up to the next sync event (sent to every open socket until it arrives).
  const settle = async () => {
    const id = `oracle-sync-${++syncs}`
    synced = id
    const text = JSON.stringify({ Type: 'EVENT', Id: id, EventName: 'oracle:sync', SendTime: '2022-01-01T00:00:00.000Z' })
    for (let i = 0; synced === id; i++) {
      assert.ok(i < 200, 'sync timeout')
      if (i % 3 === 0) for (const s of open()) s.send(text)
      await sleep(10)
    }
    return seen.splice(0)
  }
  await settle()
  return { room, settle }
}

function outcome(events, settled) {
  const out = {}
  const states = []
  for (const e of events) {
    if (e.state) states.push(e.state)
    else if (e.accepted) {
      assert.ok(!out.accepted, 'several events')
      Object.assign(out, e)
    } else Object.assign(out, e)
  }
  for (const [requestId, ok, value] of settled) {
    if (ok) {
      assert.deepStrictEqual(value, out.data, 'resolved value')
      out.resolves = requestId
    } else {
      assert.ok(!(value instanceof Error), `${requestId} failed: ${value?.message}`)
      Object.assign(out, { error: plain(value), rejects: requestId })
    }
  }
  if (states.length) {
    assert.deepStrictEqual(states, ['connecting', 'connect'])
    out.reconnects = true
  }
  if (Object.keys(out).length === 0) out.duplicate = true
  return out
}

// A rejection's message is the official client's wording: only the field it names is compared.
function same(expected, actual) {
  const keys = (o) => Object.keys(o).sort().join()
  if (keys(expected) !== keys(actual)) return false
  return Object.keys(expected).every((k) =>
    k === 'rejected' ? expected[k].field === actual[k].field : JSON.stringify(sorted(expected[k])) === JSON.stringify(sorted(plain(actual[k]))),
  )
}
const sorted = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])])) : v

const REQUESTS = { SEND_MESSAGE: ['sendMessage', SendMessageRequest, 'pending'], DELETE_MESSAGE: ['deleteMessage', DeleteMessageRequest, 'm'], DISCONNECT_USER: ['disconnectUser', DisconnectUserRequest, 'u'] }

async function runFrames(c) {
  const { room, settle } = await observe()
  try {
    await framesIn(c, room, settle)
  } finally {
    room.disconnect()
  }
}

async function framesIn(c, room, settle) {
  const settled = []
  const pending = c.pending ?? []
  for (const p of pending) {
    const [method, Request, subject] = REQUESTS[p.action]
    const request = Object.assign(new Request(subject), { requestId: p.requestId })
    room[method](request).then(
      (v) => settled.push([p.requestId, true, plain(v)]),
      (e) => settled.push([p.requestId, false, e]),
    )
  }
  await until(() => received.length >= pending.length, 'pending requests sent')
  const settledIds = []
  const actual = []
  for (const frame of c.frames) {
    open().at(-1).send(frame)
    let events = await settle()
    if (events.at(-1)?.state === 'connecting') events = events.concat(await settle()) // ERROR 401: the reconnect began after the sync
    await sleep(5)
    const now = settled.splice(0)
    settledIds.push(...now.map((s) => s[0]))
    actual.push(outcome(events, now))
  }
  const expected = (c.ivschat ?? c).then
  const ok = expected.length === actual.length && expected.every((e, i) => same(e, actual[i]))
  assert.ok(ok, `expected ${JSON.stringify(expected)}\n  actual ${JSON.stringify(actual)}`)
  if (c.unsettled) {
    const ours = pending.map((p) => p.requestId).filter((r) => !settledIds.includes(r))
    assert.deepStrictEqual(ours, c.unsettled, 'unsettled')
  }
}

async function runRequest(c) {
  const { room } = await observe()
  const input = c.input
  const [method, Request] = REQUESTS[input.action]
  const args = { SEND_MESSAGE: [input.content, input.attributes], DELETE_MESSAGE: [input.id, input.reason], DISCONNECT_USER: [input.userId, input.reason] }[input.action]
  const request = new Request(...args)
  if (input.requestId) request.requestId = input.requestId
  room[method](request).catch(() => {})
  try {
    await until(() => received.length >= 1, 'the request was sent')
  } finally {
    room.disconnect()
  }
  let sent = received[0]
  if (c.expect.requestId) {
    assert.match(request.requestId, UUID4)
    sent = sent.replace(request.requestId, '{uuid4}')
  }
  assert.equal(sent, c.expect.frame)
}

function runEndpoint(c) {
  let actual
  try {
    actual = { url: new ChatRoom({ regionOrUrl: c.regionOrUrl, tokenProvider: async () => ({ token: 't' }) })._native.url }
  } catch (e) {
    actual = { error: e.message }
  }
  assert.deepStrictEqual(actual, (c.ivschat ?? c).expect)
}

describe('messaging conformance', () => {
  for (const c of cases) {
    it(c.id, async () => {
      counts.ran++
      try {
        if (c.kind === 'frames') await runFrames(c)
        else if (c.kind === 'request') await runRequest(c)
        else if (c.kind === 'endpoint') runEndpoint(c)
        else throw new Error(`unknown kind ${c.kind}`)
      } catch (e) {
        counts.failed++
        throw e
      }
    })
  }
})
