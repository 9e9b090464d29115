// End-to-end tests of every operation and of the client's behaviour, against startLocalServer().
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import * as ivschat from '../index.mjs'

const {
  IvschatClient,
  IvschatServiceException,
  ResourceNotFoundException,
  ValidationException,
  paginateListRooms,
  paginateListLoggingConfigurations,
  startLocalServer,
  GetRoomCommand,
  ChatTokenCapability,
} = ivschat

let server
let client
before(async () => {
  server = await startLocalServer()
  client = new IvschatClient({ region: 'us-east-1', endpoint: server.endpoint, credentials: server.credentials })
})
after(() => server.close())

function assertMetadata(out, status = 200) {
  assert.equal(out.$metadata.httpStatusCode, status)
  assert.match(out.$metadata.requestId, /^[0-9a-f-]{36}$/)
  assert.equal(out.$metadata.attempts, 1)
  assert.equal(out.$metadata.totalRetryDelay, 0)
}

describe('operations', () => {
  it('rooms: create, get, update, list, delete', async () => {
    const room = await client.createRoom({ name: 'e2e-room', maximumMessageLength: 200, tags: { env: 'dev' } })
    assertMetadata(room)
    assert.match(room.arn, /^arn:aws:ivschat:us-east-1:000000000000:room\//)
    assert.ok(room.createTime instanceof Date && room.updateTime instanceof Date)
    assert.equal(room.maximumMessageLength, 200)
    assert.deepEqual(room.tags, { env: 'dev' })
    const got = await client.getRoom({ identifier: room.arn })
    assertMetadata(got)
    assert.equal(got.id, room.id)
    assert.equal(got.createTime.getTime(), room.createTime.getTime())
    const updated = await client.updateRoom({ identifier: room.arn, name: 'renamed', maximumMessageRatePerSecond: 5 })
    assert.equal(updated.name, 'renamed')
    assert.equal(updated.maximumMessageRatePerSecond, 5)
    const list = await client.listRooms({ name: 'renamed' })
    assertMetadata(list)
    assert.ok(list.rooms.some((r) => r.id === room.id && r.createTime instanceof Date))
    const del = await client.deleteRoom({ identifier: room.arn })
    assertMetadata(del, 204)
    assert.deepEqual(Object.keys(del), ['$metadata'])
    await assert.rejects(client.getRoom({ identifier: room.arn }), ResourceNotFoundException)
  })

  it('logging configurations: create, get, update, list, delete', async () => {
    const cfg = await client.createLoggingConfiguration({
      name: 'e2e-log',
      destinationConfiguration: { s3: { bucketName: 'my-bucket' } },
      tags: { team: 'chat' },
    })
    assertMetadata(cfg)
    assert.equal(cfg.state, 'ACTIVE')
    assert.deepEqual(cfg.destinationConfiguration, { s3: { bucketName: 'my-bucket' } })
    const got = await client.getLoggingConfiguration({ identifier: cfg.arn })
    assert.equal(got.id, cfg.id)
    assert.ok(got.createTime instanceof Date)
    const up = await client.updateLoggingConfiguration({
      identifier: cfg.arn,
      destinationConfiguration: { cloudWatchLogs: { logGroupName: 'group' } },
    })
    assert.deepEqual(up.destinationConfiguration, { cloudWatchLogs: { logGroupName: 'group' } })
    const list = await client.listLoggingConfigurations({})
    assert.ok(list.loggingConfigurations.some((c) => c.id === cfg.id))
    const room = await client.createRoom({ loggingConfigurationIdentifiers: [cfg.arn] })
    assert.deepEqual(room.loggingConfigurationIdentifiers, [cfg.arn])
    await client.deleteRoom({ identifier: room.arn })
    assertMetadata(await client.deleteLoggingConfiguration({ identifier: cfg.arn }), 204)
  })

  it('tokens, events, messages, users', async () => {
    const room = await client.createRoom({})
    const token = await client.createChatToken({
      roomIdentifier: room.arn,
      userId: 'alice',
      capabilities: [ChatTokenCapability.SEND_MESSAGE, 'DELETE_MESSAGE'],
      sessionDurationInMinutes: 30,
      attributes: { display: 'Alice' },
    })
    assertMetadata(token)
    assert.equal(typeof token.token, 'string')
    assert.ok(token.tokenExpirationTime instanceof Date && token.sessionExpirationTime instanceof Date)
    assert.ok(token.sessionExpirationTime > new Date() && token.tokenExpirationTime > new Date())
    const ev = await client.sendEvent({ roomIdentifier: room.arn, eventName: 'app:ping', attributes: { a: '1' } })
    assertMetadata(ev)
    assert.equal(typeof ev.id, 'string')
    const dm = await client.deleteMessage({ roomIdentifier: room.arn, id: 'ABCDEFGHIJKL', reason: 'spam' })
    assertMetadata(dm)
    assert.equal(typeof dm.id, 'string')
    const du = await client.disconnectUser({ roomIdentifier: room.arn, userId: 'alice', reason: 'bye' })
    assertMetadata(du)
    await client.deleteRoom({ identifier: room.arn })
  })

  it('tags: tag, list, untag', async () => {
    const room = await client.createRoom({ tags: { a: '1' } })
    assertMetadata(await client.tagResource({ resourceArn: room.arn, tags: { b: '2', c: '3' } }))
    assert.deepEqual((await client.listTagsForResource({ resourceArn: room.arn })).tags, { a: '1', b: '2', c: '3' })
    assertMetadata(await client.untagResource({ resourceArn: room.arn, tagKeys: ['a', 'c'] }))
    const tags = await client.listTagsForResource({ resourceArn: room.arn })
    assertMetadata(tags)
    assert.deepEqual(tags.tags, { b: '2' })
    await client.deleteRoom({ identifier: room.arn })
  })

  it('send(command) as v3', async () => {
    const room = await client.createRoom({})
    const got = await client.send(new GetRoomCommand({ identifier: room.arn }))
    assert.equal(got.arn, room.arn)
    await client.deleteRoom({ identifier: room.arn })
  })
})

describe('pagination', () => {
  it('paginateListRooms and paginateListLoggingConfigurations yield every page', async () => {
    const rooms = []
    for (let i = 0; i < 5; i++) rooms.push(await client.createRoom({ name: `page-${i}` }))
    const pages = []
    for await (const page of paginateListRooms({ client, pageSize: 2 }, {})) pages.push(page)
    assert.ok(pages.length >= 3)
    assert.ok(pages.every((p) => p.rooms.length <= 2 && p.$metadata.httpStatusCode === 200))
    const ids = pages.flatMap((p) => p.rooms.map((r) => r.id))
    for (const r of rooms) assert.ok(ids.includes(r.id))
    for (const r of rooms) await client.deleteRoom({ identifier: r.arn })
    const cfgs = []
    for (let i = 0; i < 3; i++) {
      cfgs.push(await client.createLoggingConfiguration({ destinationConfiguration: { firehose: { deliveryStreamName: 's' } } }))
    }
    let n = 0
    for await (const page of paginateListLoggingConfigurations({ client, pageSize: 1 }, {})) n += page.loggingConfigurations.length
    assert.ok(n >= 3)
    for (const c of cfgs) await client.deleteLoggingConfiguration({ identifier: c.arn })
  })
})

describe('errors', () => {
  it('modeled errors are classes with name, message, $fault, $metadata and fields', async () => {
    const arn = 'arn:aws:ivschat:us-east-1:000000000000:room/AAAAAAAAAAAA'
    const e = await client.getRoom({ identifier: arn }).catch((x) => x)
    assert.ok(e instanceof ResourceNotFoundException)
    assert.ok(e instanceof IvschatServiceException)
    assert.ok(e instanceof Error)
    assert.equal(e.name, 'ResourceNotFoundException')
    assert.equal(e.$fault, 'client')
    assert.equal(e.$metadata.httpStatusCode, 404)
    assert.match(e.$metadata.requestId, /^[0-9a-f-]{36}$/)
    assert.equal(e.resourceId, 'AAAAAAAAAAAA')
    assert.equal(e.resourceType, 'ROOM')
    assert.match(e.message, /not found/i)
  })

  it('ValidationException carries reason and fieldList', async () => {
    const e = await client.createRoom({ maximumMessageLength: 501 }).catch((x) => x)
    // the core checks the model's ranges before sending (as botocore), or the emulator rejects
    if (e instanceof ValidationException) {
      assert.equal(e.reason, 'FIELD_VALIDATION_FAILED')
      assert.ok(Array.isArray(e.fieldList))
    } else {
      assert.ok(e instanceof Error)
      assert.match(e.message, /maximumMessageLength/)
    }
  })

  it('an unknown code gives an IvschatServiceException named after it', async () => {
    await fetch(`${server.endpoint}/_emulator/script`, {
      method: 'POST',
      body: JSON.stringify({
        responses: [{ status: 418, headers: { 'x-amzn-errortype': 'TeapotException', 'x-amzn-requestid': 'rid-1' }, body: '{"message":"short and stout"}' }],
        credentials: [{ accessKeyId: 'test', secretAccessKey: 'test' }],
      }),
    })
    const e = await client.listRooms({}).catch((x) => x)
    await fetch(`${server.endpoint}/_emulator/script`, { method: 'DELETE' })
    assert.equal(e.constructor, IvschatServiceException)
    assert.equal(e.name, 'TeapotException')
    assert.equal(e.message, 'short and stout')
    assert.equal(e.$metadata.httpStatusCode, 418)
    assert.equal(e.$metadata.requestId, 'rid-1')
  })

  it('a wrong input type rejects with a TypeError naming the field', async () => {
    await assert.rejects(client.createRoom({ maximumMessageLength: '500' }), (e) => e instanceof TypeError && /maximumMessageLength/.test(e.message))
    await assert.rejects(client.createRoom({ tags: { a: 1 } }), (e) => e instanceof TypeError && /tags\.a/.test(e.message))
    await assert.rejects(client.untagResource({ resourceArn: 'x', tagKeys: 'a' }), (e) => e instanceof TypeError && /tagKeys/.test(e.message))
    await assert.rejects(
      client.createLoggingConfiguration({ destinationConfiguration: { s3: { bucketName: 5 } } }),
      (e) => e instanceof TypeError && /destinationConfiguration\.s3\.bucketName/.test(e.message),
    )
    await assert.rejects(client.getRoom('nope'), TypeError)
  })

  it('connection refused is a ConnectionError', async () => {
    const dead = new IvschatClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: server.credentials, maxAttempts: 1 })
    const e = await dead.listRooms({}).catch((x) => x)
    assert.equal(e.name, 'ConnectionError')
    assert.ok(!(e instanceof IvschatServiceException))
  })

  it('a missing region rejects at call time', async () => {
    const saved = [process.env.AWS_REGION, process.env.AWS_DEFAULT_REGION]
    delete process.env.AWS_REGION
    delete process.env.AWS_DEFAULT_REGION
    const c = new IvschatClient({ endpoint: server.endpoint, credentials: server.credentials, profile: 'no-such-profile' })
    if (saved[0] !== undefined) process.env.AWS_REGION = saved[0]
    if (saved[1] !== undefined) process.env.AWS_DEFAULT_REGION = saved[1]
    await assert.rejects(c.listRooms({}), { name: 'ConfigurationError', message: /missing region: set it with new IvschatClient\(\{ region: 'us-east-1' \}\)/ })
  })
})

describe('abort', () => {
  it('abortSignal cancels an in-flight request', async () => {
    await fetch(`${server.endpoint}/_emulator/script`, {
      method: 'POST',
      body: JSON.stringify({
        responses: [{ action: 'stall', ms: 3000, status: 200, headers: {}, body: '{"rooms":[]}' }],
        credentials: [{ accessKeyId: 'test', secretAccessKey: 'test' }],
      }),
    })
    const controller = new AbortController()
    const started = Date.now()
    setTimeout(() => controller.abort(), 100)
    const e = await client.listRooms({}, { abortSignal: controller.signal }).catch((x) => x)
    await fetch(`${server.endpoint}/_emulator/script`, { method: 'DELETE' })
    assert.equal(e.name, 'AbortError')
    assert.ok(Date.now() - started < 2000, 'aborted promptly')
  })

  it('an already-aborted signal rejects without sending', async () => {
    const e = await client.listRooms({}, { abortSignal: AbortSignal.abort() }).catch((x) => x)
    assert.equal(e.name, 'AbortError')
  })
})

describe('concurrency', () => {
  it('1,000 concurrent calls on one client', async () => {
    const room = await client.createRoom({ name: 'busy' })
    let ticks = 0
    const timer = setInterval(() => ticks++, 1)
    const results = await Promise.all(Array.from({ length: 1000 }, () => client.getRoom({ identifier: room.arn })))
    clearInterval(timer)
    assert.equal(results.length, 1000)
    assert.ok(results.every((r) => r.id === room.id))
    assert.ok(ticks > 0, 'the event loop kept running while the calls were in flight')
    await client.deleteRoom({ identifier: room.arn })
  })
})

describe('credentials', () => {
  it('an async provider is called (and cached) and does not keep the process alive', async () => {
    let calls = 0
    const c = new IvschatClient({
      region: 'us-east-1',
      endpoint: server.endpoint,
      credentials: async () => {
        calls++
        return { accessKeyId: 'test', secretAccessKey: 'test', expiration: new Date(Date.now() + 3600_000) }
      },
    })
    await c.listRooms({})
    await c.listRooms({})
    assert.equal(calls, 1)
  })

  it('a client with a provider does not keep the process alive', async () => {
    const { spawnSync } = await import('node:child_process')
    const code = `
      const { IvschatClient } = require(${JSON.stringify(createRequire(import.meta.url).resolve('../index.js'))});
      const c = new IvschatClient({ region: 'us-east-1', endpoint: ${JSON.stringify(server.endpoint)},
        credentials: async () => ({ accessKeyId: 'test', secretAccessKey: 'test' }) });
      c.listRooms({}).then((r) => console.log('rooms', r.rooms.length));`
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 20_000 })
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /^rooms \d+/)
  })

  it('a failing provider rejects the call', async () => {
    const c = new IvschatClient({
      region: 'us-east-1',
      endpoint: server.endpoint,
      credentials: async () => {
        throw new Error('no creds today')
      },
    })
    const e = await c.listRooms({}).catch((x) => x)
    assert.equal(e.name, 'CredentialsProviderError')
    assert.match(e.message, /no creds today/)
  })

  it('wrong credentials give the service error', async () => {
    const c = new IvschatClient({ region: 'us-east-1', endpoint: server.endpoint, credentials: { accessKeyId: 'nobody', secretAccessKey: 'x' }, maxAttempts: 1 })
    const e = await c.listRooms({}).catch((x) => x)
    assert.ok(e instanceof IvschatServiceException)
    assert.equal(e.$metadata.httpStatusCode, 403)
  })

  it('lazy region / endpoint providers, as v3', async () => {
    const c = new IvschatClient({ region: async () => 'us-east-1', endpoint: async () => server.endpoint, credentials: server.credentials })
    assert.ok(Array.isArray((await c.listRooms({})).rooms))
    assert.equal(await c.config.region(), 'us-east-1')
    assert.equal(await c.config.maxAttempts(), 3)
  })
})

describe('packaging', () => {
  it('require and import give the same module', () => {
    const cjs = createRequire(import.meta.url)('../index.js')
    assert.equal(cjs.IvschatClient, IvschatClient)
    for (const k of Object.keys(cjs)) assert.ok(k in ivschat, `ESM export ${k}`)
  })
})
