// Compiled with `tsc --strict --noEmit` in a fresh project that installed the packed tarball:
// every method, the paginators, the errors and the local server must type-check.
import {
  IvschatClient,
  IvschatServiceException,
  ResourceNotFoundException,
  ValidationException,
  GetRoomCommand,
  ChatTokenCapability,
  FallbackResult,
  paginateListRooms,
  paginateListLoggingConfigurations,
  startLocalServer,
  type CreateRoomCommandOutput,
  type DestinationConfiguration,
  type ListRoomsCommandOutput,
} from 'ivschat'

async function main(): Promise<void> {
  const server = await startLocalServer()
  const client = new IvschatClient({ region: 'us-east-1', endpoint: server.endpoint, credentials: server.credentials })
  const provided = new IvschatClient({
    region: 'us-east-1',
    credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b', expiration: new Date() }),
    maxAttempts: 5,
    requestTimeout: 2_000,
  })
  void provided
  const room: CreateRoomCommandOutput = await client.createRoom({
    name: 'demo',
    maximumMessageLength: 500,
    maximumMessageRatePerSecond: 10,
    tags: { env: 'dev' },
    messageReviewHandler: { uri: '', fallbackResult: FallbackResult.ALLOW },
  })
  const created: Date | undefined = room.createTime
  const status: number | undefined = room.$metadata.httpStatusCode
  void created, status
  const identifier = room.arn!
  const controller = new AbortController()
  await client.getRoom({ identifier }, { abortSignal: controller.signal })
  await client.updateRoom({ identifier, name: 'renamed', loggingConfigurationIdentifiers: [] })
  const rooms: ListRoomsCommandOutput = await client.listRooms({ maxResults: 10 })
  rooms.rooms?.forEach((r) => r.createTime?.getTime())
  const destination: DestinationConfiguration = { s3: { bucketName: 'bucket' } }
  const cfg = await client.createLoggingConfiguration({ name: 'log', destinationConfiguration: destination })
  await client.getLoggingConfiguration({ identifier: cfg.arn! })
  await client.updateLoggingConfiguration({ identifier: cfg.arn!, destinationConfiguration: { firehose: { deliveryStreamName: 's' } } })
  await client.listLoggingConfigurations({})
  const token = await client.createChatToken({
    roomIdentifier: identifier,
    userId: 'alice',
    capabilities: [ChatTokenCapability.SEND_MESSAGE],
    sessionDurationInMinutes: 60,
    attributes: { a: 'b' },
  })
  const expires: Date | undefined = token.tokenExpirationTime
  void expires
  await client.sendEvent({ roomIdentifier: identifier, eventName: 'x', attributes: {} })
  await client.deleteMessage({ roomIdentifier: identifier, id: 'ABCDEFGHIJKL', reason: 'r' })
  await client.disconnectUser({ roomIdentifier: identifier, userId: 'alice', reason: 'r' })
  await client.tagResource({ resourceArn: identifier, tags: { a: 'b' } })
  const tags: Record<string, string> | undefined = (await client.listTagsForResource({ resourceArn: identifier })).tags
  void tags
  await client.untagResource({ resourceArn: identifier, tagKeys: ['a'] })
  await client.deleteLoggingConfiguration({ identifier: cfg.arn! })
  await client.deleteRoom({ identifier })
  await client.send(new GetRoomCommand({ identifier })).catch(() => undefined)
  for await (const page of paginateListRooms({ client, pageSize: 10 }, {})) {
    page.rooms?.map((r) => r.id)
  }
  for await (const page of paginateListLoggingConfigurations({ client }, {})) {
    page.loggingConfigurations?.map((c) => c.state)
  }
  try {
    await client.getRoom({ identifier })
  } catch (e) {
    if (e instanceof ResourceNotFoundException) {
      const id: string | undefined = e.resourceId
      void id
    } else if (e instanceof ValidationException) {
      e.fieldList?.map((f) => f.name)
    } else if (e instanceof IvschatServiceException) {
      const fault: 'client' | 'server' = e.$fault
      void fault, e.$metadata.requestId
    }
  }
  await server.close()
}

void main
