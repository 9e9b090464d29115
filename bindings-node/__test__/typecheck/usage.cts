// The CommonJS entry point, type-checked too.
import ivschat = require('ivschat')

async function main(): Promise<void> {
  const server = await ivschat.startLocalServer()
  const client = new ivschat.IvschatClient({ region: 'us-east-1', endpoint: server.endpoint, credentials: server.credentials })
  const room = await client.createRoom({ name: 'cjs' })
  const when: Date | undefined = room.createTime
  void when
  await server.close()
}
void main
