// ChatRoom against ivschat-local (startLocalServer): join, send, receive, delete, disconnect a
// user, errors, an expired session, the server going away, the process lifetime; the official
// client (amazon-ivs-chat-messaging with the `ws` polyfill) and ours in one room seeing the same
// events; and the official README example run with only its import changed.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { WebSocket } from 'ws'
import * as official from 'amazon-ivs-chat-messaging'
import { IvschatClient, startLocalServer } from '../index.mjs'
import { ChatRoom, SendMessageRequest, DeleteMessageRequest, DisconnectUserRequest } from '../messaging.mjs'

globalThis.WebSocket = WebSocket // for the official client on Node 20 (spec/messaging.md §8)
const here = path.dirname(fileURLToPath(import.meta.url))
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const quiet = { debug() {}, info() {}, error() {} }
const ALL = ['SEND_MESSAGE', 'DELETE_MESSAGE', 'DISCONNECT_USER']

async function local(options) {
  const server = await startLocalServer(options)
  const client = new IvschatClient({ region: 'us-east-1', endpoint: server.endpoint, credentials: server.credentials })
  const room = await client.createRoom({})
  // A token provider for `userId`, counting its calls.
  const tokens = (userId, capabilities = ALL, sessionDurationInMinutes = 60) => {
    const provider = async () => {
      provider.calls++
      const t = await client.createChatToken({ roomIdentifier: room.arn, userId, capabilities, sessionDurationInMinutes, attributes: { name: userId } })
      return { token: t.token, sessionExpirationTime: t.sessionExpirationTime, tokenExpirationTime: t.tokenExpirationTime }
    }
    provider.calls = 0
    return provider
  }
  return { server, client, room, tokens }
}

const NAMES = ['connecting', 'connect', 'disconnect', 'message', 'event', 'messageDelete', 'userDisconnect']
// A room of `Room` (ours or the official one) with every event recorded as [name, data].
function join(Room, url, tokenProvider, options = {}) {
  const room = new Room({ regionOrUrl: url, tokenProvider, ...options })
  room.logger = quiet
  const events = []
  for (const name of NAMES) room.addListener(name, (data) => events.push([name, data]))
  const until = async (predicate, what = 'event') => {
    for (let i = 0; i < 500 && !events.some(predicate); i++) await sleep(10)
    const found = events.find(predicate)
    assert.ok(found, `no ${what} in ${JSON.stringify(events.map((e) => e[0]))}`)
    return found
  }
  return { room, events, until, connected: () => until(([n]) => n === 'connect', 'connect') }
}

describe('ChatRoom against ivschat-local', () => {
  let env
  before(async () => {
    env = await local()
  })
  after(() => env.server.close())

  it('joins, sends and receives: the message event and the answer have the official shape', async () => {
    const alice = join(ChatRoom, env.server.wsUrl, env.tokens('alice'))
    const bob = join(ChatRoom, env.server.wsUrl, env.tokens('bob'))
    alice.room.connect()
    bob.room.connect()
    assert.equal(alice.room.state, 'connecting')
    await Promise.all([alice.connected(), bob.connected()])
    assert.equal(alice.room.state, 'connected')
    const sent = await alice.room.sendMessage(new SendMessageRequest('hello', { color: 'blue' }))
    assert.deepEqual(Object.keys(sent), ['id', 'sender', 'content', 'sendTime', 'requestId', 'attributes'])
    assert.deepEqual(sent.sender, { userId: 'alice', attributes: { name: 'alice' } })
    assert.equal(sent.content, 'hello')
    assert.ok(sent.sendTime instanceof Date && Math.abs(sent.sendTime - Date.now()) < 60_000)
    assert.deepEqual(sent.attributes, { color: 'blue' })
    const [, mine] = await alice.until(([n]) => n === 'message')
    assert.deepStrictEqual(mine, sent)
    const [, theirs] = await bob.until(([n]) => n === 'message')
    assert.deepStrictEqual(theirs, sent)
    const plain = await alice.room.sendMessage(new SendMessageRequest('no attributes'))
    assert.equal(plain.attributes, undefined)
    assert.ok('attributes' in plain, 'the key is there, undefined, as in the official client')
    alice.room.disconnect()
    bob.room.disconnect()
    assert.deepEqual(alice.events.at(-1), ['disconnect', 'clientDisconnect'])
    assert.equal(alice.room.state, 'disconnected')
  })

  it('deletes a message and disconnects a user (who is then disconnected by the server)', async () => {
    const mod = join(ChatRoom, env.server.wsUrl, env.tokens('mod'))
    const bob = join(ChatRoom, env.server.wsUrl, env.tokens('bob'))
    mod.room.connect()
    bob.room.connect()
    await Promise.all([mod.connected(), bob.connected()])
    const m = await bob.room.sendMessage(new SendMessageRequest('spam'))
    const deleted = await mod.room.deleteMessage(new DeleteMessageRequest(m.id, 'spam'))
    assert.deepEqual(Object.keys(deleted), ['id', 'messageId', 'reason', 'sendTime', 'requestId', 'attributes'])
    assert.equal(deleted.messageId, m.id)
    assert.equal(deleted.reason, 'spam')
    const [, seen] = await bob.until(([n]) => n === 'messageDelete')
    assert.equal(seen.messageId, m.id)
    const kicked = await mod.room.disconnectUser(new DisconnectUserRequest('bob', 'bye'))
    assert.equal(kicked.userId, 'bob')
    assert.equal(kicked.reason, 'bye')
    await bob.until(([n]) => n === 'userDisconnect')
    await bob.until(([n, reason]) => n === 'disconnect' && reason === 'serverDisconnect', 'serverDisconnect')
    await sleep(200)
    assert.equal(bob.room.state, 'disconnected', 'no reconnect after a server close')
    assert.equal(bob.events.filter(([n]) => n === 'connecting').length, 1)
    mod.room.disconnect()
  })

  it('errors: a refused request rejects with a plain ChatError; misuse throws as the official client', async () => {
    const reader = join(ChatRoom, env.server.wsUrl, env.tokens('reader', []))
    assert.throws(() => reader.room.sendMessage(new SendMessageRequest('x')), { message: 'Room is not connected' })
    reader.room.connect()
    assert.throws(() => reader.room.connect(), { message: 'State must be "disconnected" but is connecting' })
    await reader.connected()
    const request = new SendMessageRequest('not allowed')
    const refused = reader.room.sendMessage(request)
    assert.throws(() => reader.room.sendMessage(request), { message: 'Duplicate request id' })
    const e = await refused.then(() => assert.fail('resolved'), (x) => x)
    assert.ok(!(e instanceof Error), 'a plain object, as the official ChatError')
    assert.deepEqual(Object.keys(e), ['id', 'errorCode', 'errorMessage', 'requestId'])
    assert.equal(e.errorCode, 403)
    assert.equal(e.requestId, request.requestId)
    assert.throws(() => reader.room.sendMessage(new SendMessageRequest(42)), { message: 'Request serialization failed' })
    reader.room.disconnect()
    assert.throws(() => new ChatRoom({ regionOrUrl: 'us west 2', tokenProvider: async () => ({ token: 't' }) }), { message: 'Region contains invalid characters' })
  })

  it('a failing token provider ends in fetchTokenError after maxReconnectAttempts retries', async () => {
    let calls = 0
    const provider = async () => {
      calls++
      throw new Error('backend down')
    }
    const r = join(ChatRoom, env.server.wsUrl, provider, { maxReconnectAttempts: 2 })
    r.room.connect()
    await r.until(([n, reason]) => n === 'disconnect' && reason === 'fetchTokenError', 'fetchTokenError')
    assert.equal(calls, 3)
    assert.deepEqual(r.events.map(([n]) => n), ['connecting', 'disconnect'])
  })

  it('the server going away disconnects the room; a request racing it settles', async () => {
    const gone = await local()
    const r = join(ChatRoom, gone.server.wsUrl, gone.tokens('alice'), { maxReconnectAttempts: 1 })
    r.room.connect()
    await r.connected()
    const late = r.room.sendMessage(new SendMessageRequest('racing the shutdown')).then(() => 'resolved', () => 'rejected')
    await gone.server.close()
    const [, reason] = await r.until(([n]) => n === 'disconnect', 'disconnect')
    assert.ok(['resolved', 'rejected'].includes(await late))
    assert.equal(reason, 'serverDisconnect', 'close 1001 "server shutting down" is a clean close')
    assert.equal(r.room.state, 'disconnected')
    assert.throws(() => r.room.sendMessage(new SendMessageRequest('late')), { message: 'Room is not connected' })
  })
})

describe('an expired session', () => {
  it('ERROR 401 reconnects with a fresh token, as the official client', async () => {
    // Time runs 120x: a one-minute session lasts half a second.
    const env = await local({ timeScale: 120 })
    const tokens = env.tokens('alice', ALL, 1)
    const r = join(ChatRoom, env.server.wsUrl, async () => ({ token: (await tokens()).token }))
    r.room.connect()
    await r.connected()
    for (let i = 0; i < 300 && r.events.filter(([n]) => n === 'connect').length < 2; i++) await sleep(10)
    r.room.disconnect()
    await env.server.close()
    assert.deepEqual(r.events.slice(0, 4).map(([n]) => n), ['connecting', 'connect', 'connecting', 'connect'])
    assert.ok(tokens.calls >= 2)
  })
})

describe('the official client and ours in one room', () => {
  it('see identical events for the same traffic', async () => {
    const env = await local()
    const theirs = join(official.ChatRoom, env.server.wsUrl, env.tokens('watcher-a', []))
    const ours = join(ChatRoom, env.server.wsUrl, env.tokens('watcher-b', []))
    const actor = join(ChatRoom, env.server.wsUrl, env.tokens('actor'))
    const victim = join(official.ChatRoom, env.server.wsUrl, env.tokens('victim', []))
    for (const r of [theirs, ours, actor, victim]) r.room.connect()
    await Promise.all([theirs, ours, actor, victim].map((r) => r.connected()))
    const m1 = await actor.room.sendMessage(new SendMessageRequest('hello', { lang: 'en' }))
    await actor.room.sendMessage(new SendMessageRequest('plain'))
    await env.client.sendEvent({ roomIdentifier: env.room.arn, eventName: 'app:poll', attributes: { q: 'tea?' } })
    await env.client.sendEvent({ roomIdentifier: env.room.arn, eventName: 'app:bare' })
    await actor.room.deleteMessage(new DeleteMessageRequest(m1.id))
    await env.client.deleteMessage({ roomIdentifier: env.room.arn, id: m1.id, reason: 'by the backend' })
    await actor.room.disconnectUser(new DisconnectUserRequest('victim', 'bye'))
    await victim.until(([n]) => n === 'disconnect', 'the victim disconnected')
    const last = ([n, e]) => n === 'userDisconnect' && e.userId === 'victim'
    await theirs.until(last)
    await ours.until(last)
    theirs.room.disconnect()
    ours.room.disconnect()
    actor.room.disconnect()
    assert.equal(ours.events.length, 10)
    assert.deepStrictEqual(ours.events, theirs.events)
    // Refused requests reject alike: same keys and types, same code.
    const refusal = async (r) => {
      const e = await r.room.sendMessage(new SendMessageRequest('x')).catch((x) => x)
      return [Object.keys(e), e instanceof Error, e.errorCode, typeof e.id, typeof e.errorMessage]
    }
    const a = join(official.ChatRoom, env.server.wsUrl, env.tokens('ro-a', []))
    const b = join(ChatRoom, env.server.wsUrl, env.tokens('ro-b', []))
    a.room.connect()
    b.room.connect()
    await Promise.all([a.connected(), b.connected()])
    assert.deepStrictEqual(await refusal(b), await refusal(a))
    a.room.disconnect()
    b.room.disconnect()
    await env.server.close()
  })
})

describe('the swap', () => {
  it("the official README example runs against ivschat-local with only its import changed", async () => {
    const env = await local()
    const dir = mkdtempSync(path.join(here, 'swap', 'run-'))
    after(() => rmSync(dir, { recursive: true, force: true }))
    const source = readFileSync(path.join(here, 'swap', 'readme-example.mjs'), 'utf8')
    const changed = source.replace("from 'amazon-ivs-chat-messaging';", "from 'ivschat/messaging';")
    assert.equal(changed.split('\n').filter((line, i) => line !== source.split('\n')[i]).length, 1)
    const polyfill = path.join(dir, 'polyfill.mjs')
    writeFileSync(polyfill, "import { WebSocket } from 'ws'\nglobalThis.WebSocket = WebSocket\n")
    const run = async (text, name) => {
      const file = path.join(dir, name)
      writeFileSync(file, text)
      const env_ = { ...process.env, CHAT_ENDPOINT: env.server.endpoint, CHAT_URL: env.server.wsUrl, ROOM_ARN: env.room.arn }
      const out = await promisify(execFile)(process.execPath, ['--import', polyfill, file], { env: env_, timeout: 30_000 })
      return out.stdout.split('\n').filter((line) => line.startsWith('EXAMPLE '))
    }
    const theirs = await run(source, 'official.mjs')
    const ours = await run(changed, 'ours.mjs')
    await env.server.close()
    assert.ok(theirs.some((l) => l.startsWith('EXAMPLE sendMessage resolved')), theirs.join('\n'))
    assert.ok(theirs.some((l) => l.startsWith('EXAMPLE disconnect "clientDisconnect"')), theirs.join('\n'))
    assert.deepEqual(ours, theirs)
  })
})

describe('lifetime', () => {
  it('a connected room keeps the process alive; once disconnected it exits by itself', async () => {
    const env = await local()
    const dir = mkdtempSync(path.join(here, 'swap', 'life-'))
    after(() => rmSync(dir, { recursive: true, force: true }))
    const token = (await env.client.createChatToken({ roomIdentifier: env.room.arn, userId: 'u', capabilities: ALL })).token
    const script = path.join(dir, 'life.mjs')
    writeFileSync(script, `
      import { ChatRoom, SendMessageRequest } from ${JSON.stringify(path.join(here, '..', 'messaging.mjs'))}
      const never = new ChatRoom({ regionOrUrl: ${JSON.stringify(env.server.wsUrl)}, tokenProvider: async () => ({ token: 'x' }) })
      const room = new ChatRoom({ regionOrUrl: ${JSON.stringify(env.server.wsUrl)}, tokenProvider: async () => ({ token: ${JSON.stringify(token)} }) })
      room.addListener('connect', () => setTimeout(async () => {
        console.log((await room.sendMessage(new SendMessageRequest('still here'))).content)
        room.disconnect()
      }, 300))
      room.connect()
    `)
    const started = Date.now()
    const out = await promisify(execFile)(process.execPath, [script], { timeout: 20_000 })
    await env.server.close()
    assert.equal(out.stdout.trim(), 'still here', 'alive until the message came back')
    assert.ok(Date.now() - started < 15_000, 'exited by itself')
  })
})
