package dev.ivschat

import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.flow.mapNotNull
import java.util.concurrent.atomic.AtomicReference

/**
 * A room whose tokens come from a suspending function, as the official SDK's coroutines
 * extension takes them:
 *
 * ```kotlin
 * val room = ChatRoom(regionOrUrl = "us-west-2", tokenProvider = { backend.fetchChatToken() })
 * ```
 */
fun ChatRoom(
    regionOrUrl: String,
    tokenProvider: suspend () -> ChatToken,
    options: ChatRoomOptions? = null,
): ChatRoom = ChatRoom(
    regionOrUrl,
    object : ChatTokenProvider {
        override suspend fun getChatToken(): ChatToken = tokenProvider()
    },
    options,
)

/**
 * The room's events. The first collection sees every event from this call on (so
 * `val events = room.events(); room.connect()` misses nothing); later collections start when they
 * start. Cancelling the collector ends its subscription.
 */
fun ChatRoom.events(): Flow<ChatRoomEvent> {
    val first = AtomicReference(subscribe())
    return flow {
        (first.getAndSet(null) ?: subscribe()).use { events ->
            while (true) emit(events.next() ?: break)
        }
    }
}

/** `connecting`, `connected`, `disconnected` as they happen (the official `stateChanges()`). */
fun ChatRoom.stateChanges(): Flow<ChatRoomState> = events().mapNotNull {
    when (it) {
        is ChatRoomEvent.Connecting -> ChatRoomState.CONNECTING
        is ChatRoomEvent.Connected -> ChatRoomState.CONNECTED
        is ChatRoomEvent.Disconnected -> ChatRoomState.DISCONNECTED
        else -> null
    }
}

/** Chat messages, the current user's included (the official `receivedMessages()`). */
fun ChatRoom.receivedMessages(): Flow<ChatMessage> = events().mapNotNull { (it as? ChatRoomEvent.Message)?.message }

/** Custom events (the official `receivedEvents()`). */
fun ChatRoom.receivedEvents(): Flow<ChatEvent> = events().mapNotNull { (it as? ChatRoomEvent.Event)?.event }

/** Deleted messages (the official `deletedMessages()`). */
fun ChatRoom.deletedMessages(): Flow<DeleteMessageEvent> = events().mapNotNull { (it as? ChatRoomEvent.MessageDelete)?.event }

/** Disconnected users (the official `disconnectedUsers()`). */
fun ChatRoom.disconnectedUsers(): Flow<DisconnectUserEvent> = events().mapNotNull { (it as? ChatRoomEvent.UserDisconnect)?.event }

/** The official coroutines extension's name for [ChatRoom.sendMessage]. */
suspend fun ChatRoom.awaitSendMessage(request: SendMessageRequest): ChatMessage = sendMessage(request)

/** The official coroutines extension's name for [ChatRoom.deleteMessage]. */
suspend fun ChatRoom.awaitDeleteMessage(request: DeleteMessageRequest): DeleteMessageEvent = deleteMessage(request)

/** The official coroutines extension's name for [ChatRoom.disconnectUser]. */
suspend fun ChatRoom.awaitDisconnectUser(request: DisconnectUserRequest): DisconnectUserEvent = disconnectUser(request)
