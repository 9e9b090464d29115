'use strict'
// CommonJS quickstart of the installed ivschat package against ENDPOINT (ivschat-local):
// a room, a chat token, the listing, deletion, the typed error; ivschat/messaging loads.
//   node quickstart.cjs ENDPOINT
const assert = require('node:assert/strict')
const { IvschatClient, CreateRoomCommand, ResourceNotFoundException, paginateListRooms } = require('ivschat')
const { ChatRoom } = require('ivschat/messaging')

async function main(endpoint) {
  const client = new IvschatClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })
  const room = await client.send(new CreateRoomCommand({ name: 'dist-cjs', maximumMessageLength: 500 }))
  assert.equal(room.name, 'dist-cjs')
  assert.equal(room.$metadata.httpStatusCode, 200)
  const token = await client.createChatToken({ roomIdentifier: room.arn, userId: 'alice', capabilities: ['SEND_MESSAGE'] })
  assert.ok(token.token.length > 0 && token.sessionExpirationTime instanceof Date)
  const names = []
  for await (const page of paginateListRooms({ client, pageSize: 10 }, {})) names.push(...page.rooms.map((r) => r.name))
  assert.ok(names.includes('dist-cjs'), `listed ${names}`)
  await client.deleteRoom({ identifier: room.arn })
  await assert.rejects(client.getRoom({ identifier: room.arn }), ResourceNotFoundException)
  assert.equal(typeof ChatRoom, 'function')
  console.log(`CommonJS quickstart: room ${room.id} created, token issued, listed, deleted`)
}

main(process.argv[2]).catch((e) => { console.error(e); process.exit(1) })
