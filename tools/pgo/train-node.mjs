// The workload behind the Node addon's profile-guided build (tools/pgo-node.sh), run with the
// instrumented addon against its in-process ivschat-local: first what bench/node measures
// (sequential and 64-in-flight GetRoom), then every control-plane operation, errors, pagination
// and a chat room, so that no path a user takes is laid out as cold.
//   node tools/pgo/train-node.mjs PACKAGE_DIR
import { createRequire } from 'node:module'
import path from 'node:path'

const dir = path.resolve(process.argv[2])
const require = createRequire(import.meta.url)
const { IvschatClient, startLocalServer, paginateListRooms, paginateListLoggingConfigurations } = require(path.join(dir, 'index.js'))
const { ChatRoom, SendMessageRequest, DeleteMessageRequest, DisconnectUserRequest } = require(path.join(dir, 'messaging.js'))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const ignore = () => {}

const server = await startLocalServer()
const client = new IvschatClient({ region: 'us-east-1', endpoint: server.endpoint, credentials: server.credentials })
const room = await client.createRoom({ name: 'pgo', maximumMessageRatePerSecond: 100 })

for (let i = 0; i < 5000; i++) await client.getRoom({ identifier: room.arn })
let left = 5000
const caller = async () => {
  while (left-- > 0) await client.getRoom({ identifier: room.arn })
}
await Promise.all(Array.from({ length: 64 }, caller))

for (let i = 0; i < 40; i++) {
  const r = await client.createRoom({ name: `pgo-${i}`, tags: { a: '1' } })
  await client.updateRoom({ identifier: r.arn, name: `renamed-${i}`, maximumMessageRatePerSecond: 5 })
  await client.tagResource({ resourceArn: r.arn, tags: { b: '2' } })
  await client.listTagsForResource({ resourceArn: r.arn })
  await client.untagResource({ resourceArn: r.arn, tagKeys: ['a'] })
  await client.createChatToken({ roomIdentifier: r.arn, userId: 'u', capabilities: ['SEND_MESSAGE'], attributes: { name: 'u' } })
  await client.sendEvent({ roomIdentifier: r.arn, eventName: 'app:ping', attributes: { a: '1' } })
  await client.deleteMessage({ roomIdentifier: r.arn, id: 'ABCDEFGHIJKL', reason: 'spam' })
  await client.disconnectUser({ roomIdentifier: r.arn, userId: 'u', reason: 'bye' })
  const log = await client.createLoggingConfiguration({ name: `log-${i}`, destinationConfiguration: { s3: { bucketName: 'bucket' } } })
  await client.getLoggingConfiguration({ identifier: log.arn })
  await client.updateLoggingConfiguration({ identifier: log.arn, destinationConfiguration: { cloudWatchLogs: { logGroupName: 'group' } } })
  await client.listRooms({ maxResults: 5 })
  await client.listLoggingConfigurations({})
  await client.deleteLoggingConfiguration({ identifier: log.arn })
  await client.deleteRoom({ identifier: r.arn })
  await client.getRoom({ identifier: r.arn }).catch(ignore) // ResourceNotFoundException
  await client.createRoom({ maximumMessageLength: 0 }).catch(ignore) // ValidationException
}
for (let i = 0; i < 5; i++) await client.createRoom({ name: `page-${i}` })
for await (const page of paginateListRooms({ client, pageSize: 2 }, {})) void page
for await (const page of paginateListLoggingConfigurations({ client, pageSize: 2 }, {})) void page

const capabilities = ['SEND_MESSAGE', 'DELETE_MESSAGE', 'DISCONNECT_USER']
const tokens = (userId) => async () => {
  const t = await client.createChatToken({ roomIdentifier: room.arn, userId, capabilities, attributes: { name: userId } })
  return { token: t.token, sessionExpirationTime: t.sessionExpirationTime, tokenExpirationTime: t.tokenExpirationTime }
}
const url = server.endpoint.replace(/^http/, 'ws')
const [alice, bob] = ['alice', 'bob'].map((userId) => new ChatRoom({ regionOrUrl: url, tokenProvider: tokens(userId) }))
let received = 0
bob.addListener('message', () => received++)
const joined = (chat) => new Promise((resolve) => chat.addListener('connect', resolve))
alice.connect()
bob.connect()
await Promise.all([joined(alice), joined(bob)])
for (let i = 0; i < 300; i++) {
  const message = await alice.sendMessage(new SendMessageRequest(`message ${i}`, { i: String(i) }))
  if (i % 10 === 0) await alice.deleteMessage(new DeleteMessageRequest(message.id, 'pgo'))
  if (i % 50 === 0) await client.sendEvent({ roomIdentifier: room.arn, eventName: 'app:tick', attributes: { i: String(i) } })
  await sleep(10)
}
for (let i = 0; i < 200 && received < 300; i++) await sleep(10)
await alice.disconnectUser(new DisconnectUserRequest('bob', 'pgo')).catch(ignore)
alice.disconnect()
bob.disconnect()
await server.close()
if (received === 0) throw new Error('training: the chat room delivered no message')
console.log(`training: ${received} of 300 messages received`)
