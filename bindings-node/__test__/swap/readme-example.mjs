// The example of amazon-ivs-chat-messaging's README (1.1.1, sections 1.1.3 to 2.3) as one
// runnable script. Filled in where the README leaves blanks: the backend (CreateChatToken with
// @aws-sdk/client-ivschat against CHAT_ENDPOINT, room ROOM_ARN), regionOrUrl (CHAT_URL, the
// WebSocket URL of ivschat-local), and listener bodies that print what they get (ids and times
// replaced by their type, so two runs compare). messaging.test.mjs runs it as is and with only
// the first import changed to 'ivschat/messaging'.
import { ChatRoom, SendMessageRequest, DeleteMessageRequest, DisconnectUserRequest } from 'amazon-ivs-chat-messaging';
import { IvschatClient, CreateChatTokenCommand } from '@aws-sdk/client-ivschat';

const { CHAT_ENDPOINT, CHAT_URL, ROOM_ARN } = process.env;
const backend = new IvschatClient({ region: 'us-east-1', endpoint: CHAT_ENDPOINT, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const appBackend = {
  getChatToken: () => backend.send(new CreateChatTokenCommand({
    roomIdentifier: ROOM_ARN, userId: 'user1', capabilities: ['SEND_MESSAGE', 'DELETE_MESSAGE', 'DISCONNECT_USER'],
  })),
};
const VOLATILE = new Set(['id', 'messageId', 'requestId', 'sendTime', 'MessageID', 'MessageId']);
const print = (what, value) =>
  console.log('EXAMPLE', what, JSON.stringify(value ?? null, (k, v) => (VOLATILE.has(k) ? `<${typeof v}>` : v)));

// You will need to fetch a fresh token each time this method is called by
// the IVS Chat Messaging SDK, since each token is only accepted once.
async function tokenProvider() {
  const token = await appBackend.getChatToken();
  return {
    token: token.token,
    sessionExpirationTime: new Date(token.sessionExpirationTime),
    tokenExpirationTime: new Date(token.tokenExpirationTime),
  };
}

const room = new ChatRoom({
  regionOrUrl: CHAT_URL,
  tokenProvider,
});

let connected;
const unsubscribeOnConnecting = room.addListener('connecting', () => print('connecting'));
const unsubscribeOnConnected = room.addListener('connect', () => { print('connect'); connected(); });
const unsubscribeOnDisconnected = room.addListener('disconnect', (reason) => print('disconnect', reason));
const unsubscribeOnMessageReceived = room.addListener('message', (message) => print('message', message));
const unsubscribeOnEventReceived = room.addListener('event', (event) => print('event', event));
const unsubscribeOnMessageDelete = room.addListener('messageDelete', (deleteMessageEvent) => print('messageDelete', deleteMessageEvent));
const unsubscribeOnUserDisconnect = room.addListener('userDisconnect', (disconnectUserEvent) => print('userDisconnect', disconnectUserEvent));

await new Promise((resolve) => { connected = resolve; room.connect(); });

const request = new SendMessageRequest('Test Echo');
let messageId;
try {
  const message = await room.sendMessage(request);
  // Message has been successfully send to chat room
  messageId = message.id;
  print('sendMessage resolved', message);
} catch (error) {
  // Message request has been rejected, inspect `error` parameter for details.
  print('sendMessage rejected', error);
}

try {
  const deleteMessageEvent = await room.deleteMessage(new DeleteMessageRequest(messageId, 'Reason for deletion'));
  print('deleteMessage resolved', deleteMessageEvent);
} catch (error) {
  print('deleteMessage rejected', error);
}

try {
  const disconnectUserEvent = await room.disconnectUser(new DisconnectUserRequest('user2', 'Reason for disconnecting user'));
  print('disconnectUser resolved', disconnectUserEvent);
} catch (error) {
  print('disconnectUser rejected', error);
}

room.disconnect();
for (const unsubscribe of [unsubscribeOnConnecting, unsubscribeOnConnected, unsubscribeOnMessageReceived,
  unsubscribeOnEventReceived, unsubscribeOnMessageDelete, unsubscribeOnUserDisconnect]) unsubscribe();
unsubscribeOnDisconnected();
