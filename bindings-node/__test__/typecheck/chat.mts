// The TypeScript of amazon-ivs-chat-messaging's README (1.1.1) with only its import changed
// (and `async` on the token provider, which the README's snippet needs with either package):
// `tsc --strict` in the fresh project must accept it.
import { ChatRoom, SendMessageRequest, DeleteMessageRequest, DisconnectUserRequest, type ChatToken, type ChatError } from 'ivschat/messaging';

// You will need to fetch a fresh token each time this method is called by
// the IVS Chat Messaging SDK, since each token is only accepted once.
async function tokenProvider(): Promise<ChatToken> {
  return {
    token: "<token>",
    sessionExpirationTime: new Date("<date-time>"),
    tokenExpirationTime: new Date("<date-time>")
  }
}

const room = new ChatRoom({
  regionOrUrl: 'us-west-2',
  tokenProvider,
});

const unsubscribeOnConnecting = room.addListener('connecting', () => { });
const unsubscribeOnConnected = room.addListener('connect', () => { });
const unsubscribeOnDisconnected = room.addListener('disconnect', (reason) => { const r: 'clientDisconnect' | 'serverDisconnect' | 'socketError' | 'fetchTokenError' = reason; void r });
const unsubscribeOnMessageReceived = room.addListener('message', (message) => { const at: Date = message.sendTime; void at; void message.sender.userId });
const unsubscribeOnEventReceived = room.addListener('event', (event) => { void event.eventName });
const unsubscribeOnMessageDelete = room.addListener('messageDelete', (deleteMessageEvent) => { void deleteMessageEvent.messageId });
const unsubscribeOnUserDisconnect = room.addListener('userDisconnect', (disconnectUserEvent) => { void disconnectUserEvent.userId });

room.connect();

async function actions(messageId: string, userId: string): Promise<void> {
  const request = new SendMessageRequest('Test Echo');
  try {
    const message = await room.sendMessage(request);
    void message.id
  } catch (error) {
    const chatError = error as ChatError;
    void chatError.errorCode
  }
  const deleteMessageEvent = await room.deleteMessage(new DeleteMessageRequest(messageId, 'Reason for deletion'));
  const disconnectUserEvent = await room.disconnectUser(new DisconnectUserRequest(userId, 'Reason for disconnecting user'));
  void deleteMessageEvent.reason, disconnectUserEvent.reason
  room.disconnect();
}
void actions
for (const u of [unsubscribeOnConnecting, unsubscribeOnConnected, unsubscribeOnDisconnected, unsubscribeOnMessageReceived,
  unsubscribeOnEventReceived, unsubscribeOnMessageDelete, unsubscribeOnUserDisconnect]) u();
