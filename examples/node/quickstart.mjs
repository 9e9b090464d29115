// Quickstart: a logging configuration, a room, a chat token and an event, then clean up.
//
//   node examples/node/quickstart.mjs [ENDPOINT]    # default: $IVSCHAT_ENDPOINT, else an in-process emulator
//
// The calls are those of @aws-sdk/client-ivschat v3 (`new Ivschat(...)`): porting means changing
// the import. Against AWS: drop `endpoint` and `credentials` (the default chain is used).
import { IvschatClient, ChatTokenCapability, ResourceNotFoundException, paginateListRooms, startLocalServer } from 'ivschat'

const given = process.argv[2] ?? process.env.IVSCHAT_ENDPOINT
const local = given ? null : await startLocalServer()
const endpoint = given ?? local.endpoint

const client = new IvschatClient({
  region: 'us-east-1',
  endpoint,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
})
console.log(`ivschat (Node ${process.version}) -> ${endpoint}`)

const logging = await client.createLoggingConfiguration({
  name: 'demo-logs',
  destinationConfiguration: { s3: { bucketName: 'demo-chat-logs' } },
})
console.log(`created logging configuration ${logging.arn} (${logging.state})`)

const room = await client.createRoom({
  name: 'demo',
  maximumMessageLength: 500,
  tags: { env: 'dev' },
  loggingConfigurationIdentifiers: [logging.arn],
})
console.log(`created room ${room.arn}: ${room.maximumMessageRatePerSecond} msg/s, ${room.maximumMessageLength} chars, at ${room.createTime.toISOString()}`)
console.log(`  ($metadata: HTTP ${room.$metadata.httpStatusCode}, request id ${room.$metadata.requestId})`)

for await (const page of paginateListRooms({ client, pageSize: 10 }, {})) {
  for (const summary of page.rooms) console.log(`  listed room ${summary.name} (${summary.id})`)
}

await client.tagResource({ resourceArn: room.arn, tags: { team: 'chat' } })
const { tags } = await client.listTagsForResource({ resourceArn: room.arn })
console.log(`tags: ${JSON.stringify(tags, Object.keys(tags).sort())}`)

const token = await client.createChatToken({
  roomIdentifier: room.arn,
  userId: 'alice',
  capabilities: [ChatTokenCapability.SEND_MESSAGE],
  attributes: { displayName: 'Alice' },
})
console.log(`chat token for alice (${token.token.length} characters), session ends ${token.sessionExpirationTime.toISOString()}`)

const event = await client.sendEvent({ roomIdentifier: room.arn, eventName: 'app:welcome' })
console.log(`sent event ${event.id}`)

await client.deleteRoom({ identifier: room.arn })
await client.deleteLoggingConfiguration({ identifier: logging.arn })
try {
  await client.getRoom({ identifier: room.arn })
} catch (e) {
  if (!(e instanceof ResourceNotFoundException)) throw e
  console.log(`cleaned up: room and logging configuration deleted (GetRoom now fails: ${e.name}, resourceType ${e.resourceType})`)
}
await local?.close()
