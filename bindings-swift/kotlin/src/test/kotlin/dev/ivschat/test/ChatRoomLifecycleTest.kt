package dev.ivschat.test

import dev.ivschat.ChatRoom
import dev.ivschat.ChatRoomEvent
import dev.ivschat.ChatRoomException
import dev.ivschat.ChatRoomOptions
import dev.ivschat.ChatRoomState
import dev.ivschat.ChatToken
import dev.ivschat.ChatTokenCapability
import dev.ivschat.CreateChatTokenInput
import dev.ivschat.CreateRoomInput
import dev.ivschat.DisconnectReason
import dev.ivschat.SendMessageRequest
import dev.ivschat.events
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.util.concurrent.atomic.AtomicInteger

/** A session that expires, and a server that goes away, seen through the events `Flow`. */
class ChatRoomLifecycleTest {
    private val wait = 10_000L

    private fun CoroutineScope.record(room: ChatRoom): Channel<ChatRoomEvent> {
        val channel = Channel<ChatRoomEvent>(Channel.UNLIMITED)
        val events = room.events()
        launch(Dispatchers.Default) { events.collect { channel.send(it) } }
        return channel
    }

    private suspend inline fun <reified T : ChatRoomEvent> Channel<ChatRoomEvent>.next(): T = withTimeout(wait) {
        var event = receive()
        while (event !is T) event = receive()
        event
    }

    private suspend fun Emulator.tokens(user: String, calls: AtomicInteger): suspend () -> ChatToken {
        val client = client()
        val arn = client.createRoom(CreateRoomInput(name = "lifecycle")).arn!!
        return {
            calls.incrementAndGet()
            val out = client.createChatToken(
                CreateChatTokenInput(roomIdentifier = arn, userId = user,
                    capabilities = listOf(ChatTokenCapability.SendMessage), sessionDurationInMinutes = 1),
            )
            ChatToken(out.token!!, out.sessionExpirationTime, out.tokenExpirationTime)
        }
    }

    @Test
    fun anExpiredSessionReconnectsWithAFreshTokenOrEndsWhenToldTo() = runBlocking {
        // --time-scale 60: the one-minute session lasts one second, then ERROR 401.
        Emulator.start("--time-scale", "60").use { emulator ->
            val ws = emulator.endpointUrl.replaceFirst("http://", "ws://")
            val calls = AtomicInteger()
            val room = ChatRoom(ws, emulator.tokens("erin", calls))
            val events = record(room)
            room.connect()
            assertEquals(401L, events.next<ChatRoomEvent.Error>().error.code)
            events.next<ChatRoomEvent.Connecting>()
            events.next<ChatRoomEvent.Connected>()
            assertEquals(2, calls.get(), "a fresh token for the new connection")
            assertEquals("after the refresh", room.sendMessage(SendMessageRequest("after the refresh")).content)
            room.disconnect()
            room.close()

            val once = ChatRoom(ws, emulator.tokens("erin", AtomicInteger()),
                ChatRoomOptions(reconnectOnSessionExpiry = false))
            val onceEvents = record(once)
            once.connect()
            assertEquals(DisconnectReason.SessionExpired, onceEvents.next<ChatRoomEvent.Disconnected>().reason)
            assertEquals(ChatRoomState.DISCONNECTED, once.state())
            once.close()
        }
    }

    @Test
    fun aServerGoingAwayDisconnectsAndANewConnectFails() = runBlocking {
        val emulator = Emulator.start()
        val ws = emulator.endpointUrl.replaceFirst("http://", "ws://")
        val room = ChatRoom(ws, emulator.tokens("frank", AtomicInteger()))
        val events = record(room)
        room.connect()
        events.next<ChatRoomEvent.Connected>()
        emulator.close()
        val gone = events.next<ChatRoomEvent.Disconnected>()
        assertTrue(gone.reason is DisconnectReason.ServerDisconnect || gone.reason is DisconnectReason.SocketError,
            "the room learns the server left: ${gone.reason}")
        assertEquals(ChatRoomState.DISCONNECTED, room.state())
        assertThrows<ChatRoomException> { runBlocking { withTimeout(wait) { room.connect() } } }
        room.close()
    }
}
