// TypeScript quickstart (compiled with tsc --strict against the installed package's types, then
// run): v3's command style, typed outputs and errors, against ENDPOINT (ivschat-local).
//   node quickstart.js ENDPOINT
import {
  IvschatClient,
  CreateRoomCommand,
  GetRoomCommand,
  DeleteRoomCommand,
  ResourceNotFoundException,
  type CreateRoomCommandOutput,
  type GetRoomCommandOutput,
} from 'ivschat'

async function main(endpoint: string): Promise<void> {
  const client = new IvschatClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })
  const room: CreateRoomCommandOutput = await client.send(new CreateRoomCommand({ name: 'dist-ts', tags: { env: 'dist' } }))
  const arn: string = room.arn ?? ''
  const got: GetRoomCommandOutput = await client.send(new GetRoomCommand({ identifier: arn }))
  if (got.id !== room.id || got.tags?.env !== 'dist') throw new Error(`GetRoom returned ${JSON.stringify(got)}`)
  await client.send(new DeleteRoomCommand({ identifier: arn }))
  try {
    await client.send(new GetRoomCommand({ identifier: arn }))
    throw new Error('GetRoom after DeleteRoom succeeded')
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException)) throw e
  }
  console.log(`TypeScript quickstart: room ${room.id} created, read back, deleted`)
}

main(process.argv[2] ?? '').catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
