package dev.ivschat.test

import dev.ivschat.ChatRoom
import dev.ivschat.ChatRoomEvent
import dev.ivschat.ChatRoomException
import dev.ivschat.ChatRoomOptions
import dev.ivschat.ChatRoomState
import dev.ivschat.ChatToken
import dev.ivschat.ChatTokenCapability
import dev.ivschat.ChatTokenProvider
import dev.ivschat.ChatTokenProviderException
import dev.ivschat.CreateChatTokenInput
import dev.ivschat.CreateRoomInput
import dev.ivschat.DeleteMessageRequest
import dev.ivschat.DisconnectReason
import dev.ivschat.DisconnectUserRequest
import dev.ivschat.IvschatClient
import dev.ivschat.SendEventInput
import dev.ivschat.SendMessageRequest
import dev.ivschat.events
import dev.ivschat.receivedMessages
import dev.ivschat.stateChanges
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.time.Duration
import java.util.concurrent.atomic.AtomicInteger

/**
 * `ChatRoom` against ivschat-local: join, send, receive, delete, disconnect and errors, the
 * events as a Kotlin `Flow`, tokens from a suspending provider backed by `CreateChatToken`.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChatRoomTest {
    private lateinit var emulator: Emulator
    private lateinit var client: IvschatClient
    private lateinit var roomArn: String
    private val wsUrl get() = emulator.endpointUrl.replaceFirst("http://", "ws://")
    private val wait = 10_000L

    @BeforeAll
    fun start() = runBlocking {
        emulator = Emulator.start()
        client = emulator.client()
        roomArn = client.createRoom(CreateRoomInput(name = "kotlin-chat", maximumMessageLength = 20)).arn!!
    }

    @AfterAll
    fun stop() = emulator.close()

    /** What an app's backend does: a fresh single-use token per connection attempt. */
    private fun tokens(user: String, vararg capabilities: ChatTokenCapability, calls: AtomicInteger = AtomicInteger()): suspend () -> ChatToken = {
        calls.incrementAndGet()
        val out = client.createChatToken(
            CreateChatTokenInput(roomIdentifier = roomArn, userId = user, capabilities = capabilities.toList(), attributes = mapOf("name" to user)),
        )
        ChatToken(out.token!!, out.sessionExpirationTime, out.tokenExpirationTime)
    }

    /** Collects a room's events into a channel from this call on. */
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

    @Test
    fun joinSendReceiveDeleteDisconnect() = runBlocking {
        val aliceCalls = AtomicInteger()
        val alice = ChatRoom(wsUrl, tokens("alice", ChatTokenCapability.SendMessage, ChatTokenCapability.DeleteMessage,
            ChatTokenCapability.DisconnectUser, calls = aliceCalls))
        val bob = ChatRoom(wsUrl, tokens("bob", ChatTokenCapability.SendMessage))
        val aliceStates = alice.stateChanges()
        val bobEvents = record(bob)
        alice.connect()
        bob.connect()
        assertEquals(ChatRoomState.CONNECTED, alice.state())
        assertEquals(1, aliceCalls.get(), "one token per connection")
        assertEquals(listOf(ChatRoomState.CONNECTING, ChatRoomState.CONNECTED), withTimeout(wait) { aliceStates.take(2).toList() })
        bobEvents.next<ChatRoomEvent.Connected>()

        // Send: alice gets the server's echo; bob receives the same message.
        val sent = alice.sendMessage(SendMessageRequest("hello bob", mapOf("color" to "blue")))
        assertEquals("hello bob", sent.content)
        assertEquals("alice", sent.sender.userId)
        assertEquals(mapOf("name" to "alice"), sent.sender.attributes)
        assertEquals(mapOf("color" to "blue"), sent.attributes)
        assertNotNull(sent.requestId)
        val received = bobEvents.next<ChatRoomEvent.Message>().message
        assertEquals(sent.id, received.id)
        assertEquals(sent.content, received.content)
        assertEquals(sent.sendTime, received.sendTime)

        // A custom event from the control plane.
        client.sendEvent(SendEventInput(roomIdentifier = roomArn, eventName = "app:poll", attributes = mapOf("q" to "1")))
        val event = bobEvents.next<ChatRoomEvent.Event>().event
        assertEquals("app:poll", event.eventName)
        assertEquals(mapOf("q" to "1"), event.attributes)

        // Delete: the answer and bob's event name the message.
        val deleted = alice.deleteMessage(DeleteMessageRequest(sent.id, reason = "spoiler"))
        assertEquals(sent.id, deleted.messageId)
        assertEquals("spoiler", deleted.reason)
        assertEquals(sent.id, bobEvents.next<ChatRoomEvent.MessageDelete>().event.messageId)

        // Disconnect bob: alice gets the event; bob sees it, then the server's close.
        val kicked = alice.disconnectUser(DisconnectUserRequest("bob", reason = "bye"))
        assertEquals("bob", kicked.userId)
        assertEquals("bye", bobEvents.next<ChatRoomEvent.UserDisconnect>().event.reason)
        val gone = bobEvents.next<ChatRoomEvent.Disconnected>()
        val reason = gone.reason as DisconnectReason.ServerDisconnect
        assertEquals(1000.toUShort(), reason.code)
        assertEquals(ChatRoomState.DISCONNECTED, bob.state())
        assertEquals("serverDisconnect (close code 1000: Disconnected by moderator)", reason.toString())

        alice.disconnect()
        assertEquals(ChatRoomState.DISCONNECTED, alice.state())
        assertEquals(DisconnectReason.ClientDisconnect, alice.lastDisconnectReason())
        alice.close()
        bob.close()
    }

    @Test
    fun errors() = runBlocking {
        val bob = ChatRoom(wsUrl, tokens("bob", ChatTokenCapability.SendMessage))

        // Not connected yet.
        val early = assertThrows<ChatRoomException.NotConnected> { runBlocking { bob.sendMessage(SendMessageRequest("hi")) } }
        assertTrue(early.toString().contains("not connected"), early.toString())

        bob.connect()
        val again = assertThrows<ChatRoomException.InvalidState> { runBlocking { bob.connect() } }
        assertEquals(ChatRoomState.CONNECTED, again.state)

        // The server refuses: missing capability (403), content too long (413).
        val refused = assertThrows<ChatRoomException.Chat> { runBlocking { bob.deleteMessage(DeleteMessageRequest("abcdEFGH1234", requestId = "r-del")) } }
        assertEquals(403L, refused.error.code)
        assertEquals("r-del", refused.error.requestId)
        assertTrue(refused.error.message.isNotEmpty())
        val tooLong = assertThrows<ChatRoomException.Chat> { runBlocking { bob.sendMessage(SendMessageRequest("x".repeat(21))) } }
        assertEquals(413L, tooLong.error.code)
        assertEquals("chat error 413: ${tooLong.error.message} (request id ${tooLong.error.requestId})", tooLong.toString())
        bob.disconnect()

        // An invalid region, a refused token, a provider that throws or never answers.
        val bad = assertThrows<ChatRoomException.Configuration> { ChatRoom("us west 2", tokens("x")) }
        assertEquals("Region contains invalid characters", bad.detail)
        val unknownToken = ChatRoom(wsUrl, { ChatToken("not-a-real-token") }, ChatRoomOptions(maxReconnectAttempts = 1u))
        val refusedToken = assertThrows<ChatRoomException.ConnectFailed> { runBlocking { unknownToken.connect() } }
        assertTrue(refusedToken.reason is DisconnectReason.SocketError, refusedToken.reason.toString())
        assertFalse(refusedToken.toString().contains("not-a-real-token"), refusedToken.toString())

        val throwing = ChatRoom(wsUrl, object : ChatTokenProvider {
            override suspend fun getChatToken(): ChatToken = throw ChatTokenProviderException.Failed("backend down")
        }, ChatRoomOptions(maxReconnectAttempts = 0u))
        val failed = assertThrows<ChatRoomException.ConnectFailed> { runBlocking { throwing.connect() } }
        assertEquals(DisconnectReason.FetchTokenError("backend down"), failed.reason)

        val todo = ChatRoom(wsUrl, { TODO("not yet") }, ChatRoomOptions(maxReconnectAttempts = 0u, tokenTimeout = Duration.ofMillis(300)))
        val hung = assertThrows<ChatRoomException.ConnectFailed> { runBlocking { withTimeout(wait) { todo.connect() } } }
        assertTrue(hung.reason is DisconnectReason.FetchTokenError, hung.reason.toString())
    }

    @Test
    fun secretsStayOutOfToString() = runBlocking {
        val token = ChatToken("SECRET-TOKEN", null, null)
        assertFalse(token.toString().contains("SECRET"), token.toString())
        val alice = ChatRoom(wsUrl, tokens("alice-secret-id", ChatTokenCapability.SendMessage))
        val messages = alice.receivedMessages()
        alice.connect()
        alice.sendMessage(SendMessageRequest("private words"))
        val message = withTimeout(wait) { messages.first() }
        assertEquals("private words", message.content)
        for (text in listOf(message.toString(), message.sender.toString(), SendMessageRequest("private words").toString(),
            DisconnectUserRequest("alice-secret-id").toString())) {
            assertFalse(text.contains("alice-secret-id") || text.contains("private words"), text)
        }
        alice.disconnect()
    }
}
