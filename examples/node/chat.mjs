// Chat: a backend makes a room and chat tokens (control plane); two users join over the
// messaging WebSocket and exchange a message. `ChatRoom` has the shape of the official
// amazon-ivs-chat-messaging client: porting means changing the import to 'ivschat/messaging'.
//
//   node examples/node/chat.mjs [ENDPOINT]    # default: $IVSCHAT_ENDPOINT, else an in-process emulator
//
// Against AWS: drop `endpoint` and `credentials`, and pass the region as `regionOrUrl`.
import { IvschatClient, startLocalServer } from 'ivschat'
import { ChatRoom, SendMessageRequest } from 'ivschat/messaging'

const given = process.argv[2] ?? process.env.IVSCHAT_ENDPOINT
const local = given ? null : await startLocalServer()
const endpoint = given ?? local.endpoint
const regionOrUrl = endpoint.replace(/^http/, 'ws') // ivschat-local: the same port; on AWS: 'us-east-1'

// The backend's part: a room, and a fresh token on every call (each token is accepted once).
const backend = new IvschatClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })
const { arn } = await backend.createRoom({ name: 'chat-demo' })
const tokenProvider = (userId) => async () =>
  backend.createChatToken({ roomIdentifier: arn, userId, capabilities: ['SEND_MESSAGE'], attributes: { displayName: userId } })

// The app's part: join, listen, send.
const alice = new ChatRoom({ regionOrUrl, tokenProvider: tokenProvider('alice') })
const bob = new ChatRoom({ regionOrUrl, tokenProvider: tokenProvider('bob') })
const joined = (room) => new Promise((resolve) => room.addListener('connect', resolve))
const received = new Promise((resolve) => {
  bob.addListener('message', (message) => {
    console.log(`bob received "${message.content}" from ${message.sender.userId} at ${message.sendTime.toISOString()}`)
    resolve()
  })
})
alice.addListener('disconnect', (reason) => console.log(`alice disconnected (${reason})`))
alice.connect()
bob.connect()
await Promise.all([joined(alice), joined(bob)])
console.log(`alice and bob joined ${arn} over ${regionOrUrl}`)
const sent = await alice.sendMessage(new SendMessageRequest('hello, bob', { mood: 'cheerful' }))
console.log(`alice's message ${sent.id} was accepted`)
await received
alice.disconnect()
bob.disconnect()
await backend.deleteRoom({ identifier: arn })
await local?.close()
