// The shared conformance suite (tests/conformance/cases/*.json) through the public `ivschat`
// API, against the in-process emulator's script API (/_emulator/script). Port of
// core/tests/conformance.rs. Prints "conformance: N passed, M failed, K skipped".
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import * as ivschat from '../index.mjs'

const LANGUAGE = 'node'
const TIMESTAMPS = new Set(['createTime', 'updateTime', 'tokenExpirationTime', 'sessionExpirationTime'])
const casesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../tests/conformance/cases')
const cases = readdirSync(casesDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .flatMap((f) => JSON.parse(readFileSync(path.join(casesDir, f), 'utf8')).cases)

const method = (op) => op[0].toLowerCase() + op.slice(1)
let server
const counts = { passed: 0, failed: 0, skipped: 0 }

async function script(responses, credentials) {
  const r = await fetch(`${server.endpoint}/_emulator/script`, {
    method: 'POST',
    body: JSON.stringify({ responses, credentials: [credentials] }),
  })
  assert.ok(r.ok, `script upload failed: ${r.status}`)
}

async function recorded() {
  const r = await fetch(`${server.endpoint}/_emulator/script/requests`)
  return (await r.json()).requests ?? []
}

function client(credentials, maxAttempts, readTimeoutMs) {
  return new ivschat.IvschatClient({
    region: 'us-east-1',
    endpoint: server.endpoint,
    credentials,
    maxAttempts,
    retryBackoffMs: 1,
    ...(readTimeoutMs != null ? { readTimeout: readTimeoutMs } : {}),
  })
}

// Dates → "…%06dZ" (JS Dates hold milliseconds, so the expected value is cut to milliseconds
// as well; see normTime), `$unknown` → botocore's SDK_UNKNOWN_MEMBER, `$metadata` dropped.
function neutral(v, key) {
  if (v instanceof Date) return v.toISOString()
  if (Array.isArray(v)) return v.map((x) => neutral(x))
  if (v !== null && typeof v === 'object') {
    const out = {}
    for (const [k, x] of Object.entries(v)) {
      if (k === '$metadata' || x === undefined) continue
      if (k === '$unknown') out.SDK_UNKNOWN_MEMBER = { name: x[0] }
      else out[k] = neutral(x, k)
    }
    return out
  }
  return v
}

// Expected timestamps "2024-05-01T12:34:56.789123Z" → "2024-05-01T12:34:56.789Z".
function normTime(v, key) {
  if (typeof v === 'string' && TIMESTAMPS.has(key)) return v.replace(/\.(\d{3})\d*Z$/, '.$1Z')
  if (Array.isArray(v)) return v.map((x) => normTime(x))
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normTime(x, k)]))
  }
  return v
}

async function outcome(promise) {
  try {
    return { output: neutral(await promise) }
  } catch (e) {
    const code = e instanceof ivschat.IvschatServiceException ? e.name : e.code ?? e.name
    const error = { code, message: e.message, status: e.$metadata?.httpStatusCode ?? 0, fields: {} }
    if (e instanceof ivschat.IvschatServiceException) {
      for (const k of Object.keys(e)) {
        if (!['name', '$fault', '$metadata', '$retryable', 'message'].includes(k) && e[k] !== undefined) {
          error.fields[k] = e[k]
        }
      }
    }
    if (e.$metadata?.requestId) error.requestId = e.$metadata.requestId
    return { error }
  }
}

function compare(expected, actual) {
  if ('output' in expected) {
    assert.deepStrictEqual(actual, { output: normTime(expected.output) })
    return
  }
  const e = expected.error
  const a = actual.error
  assert.ok(a, `expected error ${JSON.stringify(e)}, got ${JSON.stringify(actual)}`)
  for (const key of ['code', 'status', 'fields']) assert.deepStrictEqual(a[key], e[key], key)
  if (e.requestId != null) assert.equal(a.requestId, e.requestId, 'requestId')
  if (!['Timeout', 'ConnectionError', 'ResponseParseError'].includes(e.code)) {
    assert.equal(a.message, e.message, 'message')
  }
}

function body(r) {
  if (typeof r.body !== 'string' || r.body === '') return null
  try {
    return JSON.parse(r.body)
  } catch {
    return r.body
  }
}

function checkRequest(r, e) {
  assert.equal(r.method, e.method, 'method')
  assert.equal(r.path, e.path, 'path')
  assert.deepStrictEqual(r.query, e.query, 'query')
  for (const [name, value] of Object.entries(e.headers)) assert.equal(r.headers[name], value, `header ${name}`)
  for (const name of e.forbidHeaders) assert.equal(r.headers[name], undefined, `header ${name} must be absent`)
  assert.equal(r.signature?.valid, true, `signature rejected: ${JSON.stringify(r.signature)}`)
  assert.equal(r.signature.signedHeaders, e.signedHeaders, 'signedHeaders')
  assert.deepStrictEqual(body(r), e.body, 'body')
}

async function run(c) {
  const credentials = c.credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' }
  const m = method(c.operation)
  switch (c.kind) {
    case 'request': {
      await script([{ status: 200, headers: { 'content-type': 'application/json' }, body: '{}' }], credentials)
      await client(credentials, 3)[m](c.params).catch(() => {})
      const requests = await recorded()
      assert.ok(requests.length > 0, 'no request arrived')
      checkRequest(requests[0], c.expect)
      return
    }
    case 'response': {
      await script([c.response], credentials)
      compare(c.then, await outcome(client(credentials, 1)[m](c.params)))
      return
    }
    case 'behaviour': {
      await script(c.responses, credentials)
      const cfg = c.config ?? {}
      const cl = client(credentials, cfg.maxAttempts ?? 3, cfg.readTimeoutMs)
      compare(c.then, await outcome(cl[m](c.params)))
      assert.equal((await recorded()).length, c.then.attempts, 'attempts')
      return
    }
    case 'pagination': {
      await script(c.pages.map((p) => p.response), credentials)
      const cl = client(credentials, 1)
      const paginate = ivschat[`paginate${c.operation}`]
      const key = c.operation === 'ListRooms' ? 'rooms' : 'loggingConfigurations'
      const items = []
      for await (const page of paginate({ client: cl, pageSize: c.params.maxResults }, c.params)) {
        items.push(...(page[key] ?? []))
      }
      assert.deepStrictEqual(neutral(items), normTime(c.then.items), 'items')
      const requests = await recorded()
      assert.equal(requests.length, c.then.requests, 'requests')
      requests.forEach((r, i) => assert.deepStrictEqual(body(r), c.pages[i].params, `page ${i} request body`))
      return
    }
    default:
      throw new Error(`unknown kind ${c.kind}`)
  }
}

describe('conformance', () => {
  before(async () => {
    server = await ivschat.startLocalServer()
  })
  after(async () => {
    await server.close()
    console.log(`conformance: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`)
  })
  for (const c of cases) {
    const reason = c.skip?.[LANGUAGE]
    if (reason) {
      counts.skipped++
      it.skip(`${c.id} (${reason})`, () => {})
      continue
    }
    it(c.id, async () => {
      try {
        await run(c)
        counts.passed++
      } catch (e) {
        counts.failed++
        throw e
      }
    })
  }
})
