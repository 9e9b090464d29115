// The real SDK as the oracle: every operation through @aws-sdk/client-ivschat v3 and through
// ivschat against the same emulator; outputs (minus the volatile ids and times of freshly created
// resources, and the $metadata fields v3 fills differently) and errors must be equal.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import * as v3 from '@aws-sdk/client-ivschat'
import * as ours from '../index.mjs'

let server
let aws
let mine
const METHODS = Object.keys(v3.Ivschat.prototype).length ? null : null
void METHODS

before(async () => {
  server = await ours.startLocalServer()
  const config = { region: 'us-east-1', endpoint: server.endpoint, credentials: server.credentials, maxAttempts: 1 }
  aws = new v3.Ivschat(config)
  mine = new ours.IvschatClient(config)
})
after(async () => {
  aws.destroy()
  await server.close()
})

const VOLATILE = new Set(['arn', 'id', 'createTime', 'updateTime', 'token', 'tokenExpirationTime', 'sessionExpirationTime'])

// Plain data: Dates to ISO strings, undefined members dropped, $metadata cut to what both fill
// the same way; `mask` replaces volatile values by their type.
function plain(v, mask, key) {
  if (mask && VOLATILE.has(key)) return v instanceof Date ? '<Date>' : `<${typeof v}>`
  if (v instanceof Date) return v.toISOString()
  if (Array.isArray(v)) return v.map((x) => plain(x, mask))
  if (v !== null && typeof v === 'object') {
    const out = {}
    for (const k of Object.keys(v).sort()) {
      if (v[k] === undefined) continue
      if (k === '$metadata') out[k] = { httpStatusCode: v[k].httpStatusCode, attempts: v[k].attempts, hasRequestId: typeof v[k].requestId === 'string' }
      else out[k] = plain(v[k], mask, k)
    }
    return out
  }
  return v
}

async function both(method, input, { mask = false, inputs } = {}) {
  const [a, b] = inputs ?? [input, input]
  const expected = await aws[method](a)
  const actual = await mine[method](b)
  assert.deepStrictEqual(plain(actual, mask), plain(expected, mask), method)
  // the types too: Dates stay Dates
  for (const k of ['createTime', 'updateTime', 'tokenExpirationTime']) {
    if (expected[k] !== undefined) assert.ok(actual[k] instanceof Date, `${method}.${k} is a Date`)
  }
  return [expected, actual]
}

function errorShape(e) {
  const out = { name: e.name, message: e.message, $fault: e.$fault, status: e.$metadata?.httpStatusCode }
  for (const k of ['resourceId', 'resourceType', 'limit', 'reason', 'fieldList']) if (e[k] !== undefined) out[k] = e[k]
  return out
}

async function bothFail(method, input, prepare) {
  if (prepare) await prepare()
  const expected = await aws[method](input).then(() => assert.fail(`v3 ${method} succeeded`), (e) => e)
  if (prepare) await prepare()
  const actual = await mine[method](input).then(() => assert.fail(`ivschat ${method} succeeded`), (e) => e)
  assert.deepStrictEqual(errorShape(actual), errorShape(expected))
  assert.ok(actual instanceof ours.IvschatServiceException)
  assert.equal(expected instanceof v3.IvschatServiceException, true)
  if (expected.constructor !== v3.IvschatServiceException) {
    assert.equal(actual.constructor.name, expected.constructor.name)
  }
}

async function script(responses) {
  await fetch(`${server.endpoint}/_emulator/script`, {
    method: 'POST',
    body: JSON.stringify({ responses, credentials: [server.credentials] }),
  })
}

describe('v3 oracle', () => {
  it('rooms', async () => {
    const input = { name: 'oracle', maximumMessageLength: 300, maximumMessageRatePerSecond: 7, tags: { k: 'v' },
      messageReviewHandler: { uri: 'arn:aws:lambda:us-east-1:123456789012:function:review', fallbackResult: 'DENY' } }
    const [r1, r2] = await both('createRoom', input, { mask: true })
    await both('getRoom', { identifier: r1.arn })
    await both('getRoom', { identifier: r2.arn })
    await both('updateRoom', null, { mask: true, inputs: [{ identifier: r1.arn, name: 'oracle2' }, { identifier: r2.arn, name: 'oracle2' }] })
    await both('listRooms', { name: 'oracle2' })
    await both('listRooms', { maxResults: 1 })
    await both('deleteRoom', null, { inputs: [{ identifier: r1.arn }, { identifier: r2.arn }] })
  })

  it('logging configurations', async () => {
    const input = { name: 'oracle-log', destinationConfiguration: { cloudWatchLogs: { logGroupName: 'g' } }, tags: { a: 'b' } }
    const [c1, c2] = await both('createLoggingConfiguration', input, { mask: true })
    await both('getLoggingConfiguration', { identifier: c1.arn })
    await both('updateLoggingConfiguration', null, {
      mask: true,
      inputs: [c1, c2].map((c) => ({ identifier: c.arn, destinationConfiguration: { s3: { bucketName: 'bucket-1' } } })),
    })
    await both('listLoggingConfigurations', {})
    await both('deleteLoggingConfiguration', null, { inputs: [{ identifier: c1.arn }, { identifier: c2.arn }] })
  })

  it('tokens, events, messages, users, tags', async () => {
    const room = await mine.createRoom({ name: 'oracle-msg' })
    await both('createChatToken', { roomIdentifier: room.arn, userId: 'u1', capabilities: ['SEND_MESSAGE'], attributes: { x: 'y' } }, { mask: true })
    await both('sendEvent', { roomIdentifier: room.arn, eventName: 'e', attributes: { a: '1' } }, { mask: true })
    await both('deleteMessage', { roomIdentifier: room.arn, id: 'ABCDEFGHIJKL', reason: 'r' }, { mask: true })
    await both('disconnectUser', { roomIdentifier: room.arn, userId: 'u1', reason: 'r' })
    await both('tagResource', { resourceArn: room.arn, tags: { t1: 'a', t2: 'b' } })
    await both('listTagsForResource', { resourceArn: room.arn })
    await both('untagResource', { resourceArn: room.arn, tagKeys: ['t1'] })
    await both('listTagsForResource', { resourceArn: room.arn })
    await mine.deleteRoom({ identifier: room.arn })
  })

  it('errors from the emulator', async () => {
    const missing = 'arn:aws:ivschat:us-east-1:000000000000:room/ZZZZZZZZZZZZ'
    await bothFail('getRoom', { identifier: missing })
    await bothFail('deleteRoom', { identifier: missing })
    await bothFail('createChatToken', { roomIdentifier: missing, userId: 'u' })
    await bothFail('getLoggingConfiguration', { identifier: 'arn:aws:ivschat:us-east-1:000000000000:logging-configuration/ZZZZZZZZZZZZ' })
    await bothFail('listTagsForResource', { resourceArn: missing })
  })

  it('errors with every modeled field, and unknown codes (scripted)', async () => {
    const headers = (type) => ({ 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': 'req-1' })
    const cases = [
      { status: 429, headers: headers('ThrottlingException'), body: '{"message":"slow down","resourceId":"abc","resourceType":"ROOM","limit":10}' },
      { status: 402, headers: headers('ServiceQuotaExceededException'), body: '{"message":"quota","resourceId":"abc","resourceType":"ROOM","limit":50}' },
      { status: 409, headers: headers('ConflictException'), body: '{"message":"conflict","resourceId":"abc","resourceType":"ROOM"}' },
      { status: 400, headers: headers('ValidationException'), body: '{"message":"bad","reason":"FIELD_VALIDATION_FAILED","fieldList":[{"name":"name","message":"too long"}]}' },
      { status: 403, headers: headers('AccessDeniedException'), body: '{"message":"denied"}' },
      { status: 403, headers: headers('PendingVerification'), body: '{"message":"verify"}' },
      { status: 500, headers: headers('InternalServerException'), body: '{"message":"boom"}' },
      { status: 418, headers: headers('TeapotException'), body: '{"message":"short and stout"}' },
    ]
    for (const response of cases) {
      await bothFail('listRooms', {}, () => script([response]))
    }
    await fetch(`${server.endpoint}/_emulator/script`, { method: 'DELETE' })
  })
})
