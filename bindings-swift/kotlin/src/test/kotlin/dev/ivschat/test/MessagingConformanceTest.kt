package dev.ivschat.test

import dev.ivschat.ChatError
import dev.ivschat.ChatEvent
import dev.ivschat.ChatMessage
import dev.ivschat.ChatRoom
import dev.ivschat.ChatRoomEvent
import dev.ivschat.ChatRoomException
import dev.ivschat.ChatRoomOptions
import dev.ivschat.ChatToken
import dev.ivschat.DeleteMessageEvent
import dev.ivschat.DeleteMessageRequest
import dev.ivschat.DisconnectUserEvent
import dev.ivschat.DisconnectUserRequest
import dev.ivschat.SendMessageRequest
import dev.ivschat.events
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.contentOrNull
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.put
import org.java_websocket.WebSocket
import org.java_websocket.drafts.Draft_6455
import org.java_websocket.handshake.ClientHandshake
import org.java_websocket.protocols.Protocol
import org.java_websocket.server.WebSocketServer
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File
import java.net.InetAddress
import java.net.InetSocketAddress
import java.time.Duration
import java.time.Instant
import java.time.ZoneOffset
import java.time.format.DateTimeFormatter
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit

/**
 * The messaging conformance suite (tests/conformance/messaging.json, whose expectations are what
 * the official JS client did) through the Kotlin API, as the Rust runner
 * (core/tests/conformance_messaging.rs) runs it: a real `ChatRoom` against a scripted WebSocket
 * server; each frame is followed by a sync event, and what the room did in between is compared.
 */
class MessagingConformanceTest {
    private val token = "conformance-token"
    private val wait = 5_000L

    /** A WebSocket server on 127.0.0.1 that echoes the token subprotocol and records frames. */
    private inner class Server : WebSocketServer(
        InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        listOf(Draft_6455(emptyList(), listOf(Protocol(token)))),
    ) {
        val sockets = CopyOnWriteArrayList<WebSocket>()
        val received = CopyOnWriteArrayList<String>()
        private val started = CountDownLatch(1)

        override fun onOpen(conn: WebSocket, handshake: ClientHandshake) { sockets += conn }
        override fun onClose(conn: WebSocket, code: Int, reason: String, remote: Boolean) { sockets -= conn }
        override fun onMessage(conn: WebSocket, message: String) { received += message }
        override fun onError(conn: WebSocket?, ex: Exception) {}
        override fun onStart() = started.countDown()

        fun open(): String {
            start()
            check(started.await(wait, TimeUnit.MILLISECONDS)) { "server did not start" }
            return "ws://127.0.0.1:$port/"
        }

        fun sendNewest(text: String) = sockets.last().send(text)
        fun sendAll(text: String) = sockets.forEach { runCatching { it.send(text) } }

        suspend fun waitReceived(n: Int) = withTimeout(wait) { while (received.size < n) delay(2) }
    }

    /** A connected room under observation, with its events so far. */
    private inner class Observed(scope: CoroutineScope) {
        val server = Server()
        val room = ChatRoom(server.open(), { ChatToken(token) }, ChatRoomOptions(requestTimeout = Duration.ofSeconds(30)))
        private val events = Channel<ChatRoomEvent>(Channel.UNLIMITED)
        private val collector: Job
        private var syncs = 0

        init {
            val flow = room.events()
            collector = scope.launch(Dispatchers.Default) { flow.collect { events.send(it) } }
        }

        /** Events up to the next sync event (sent to every open socket until it arrives). */
        suspend fun settle(): List<ChatRoomEvent> {
            syncs++
            val id = "oracle-sync-$syncs"
            val text = """{"Type":"EVENT","Id":"$id","EventName":"oracle:sync","SendTime":"2022-01-01T00:00:00.000Z"}"""
            val seen = mutableListOf<ChatRoomEvent>()
            val deadline = System.nanoTime() + wait * 1_000_000
            var sent = System.nanoTime()
            server.sendAll(text)
            while (true) {
                check(System.nanoTime() < deadline) { "sync timeout (${server.sockets.size} open sockets, room ${room.state()})" }
                // Polled, not `withTimeout { receive() }`: a receive cancelled by its timeout can lose
                // the element it was just given.
                when (val e = events.tryReceive().getOrNull()) {
                    null -> if (System.nanoTime() - sent > 25_000_000) {
                        server.sendAll(text)
                        sent = System.nanoTime()
                    } else {
                        delay(1)
                    }
                    is ChatRoomEvent.Event -> if (e.event.eventName != "oracle:sync") seen += e else if (e.event.id == id) return seen
                    else -> seen += e
                }
            }
        }

        suspend fun close() {
            room.disconnect()
            collector.cancel()
            room.close()
            server.stop(1000)
        }
    }

    private suspend fun observe(scope: CoroutineScope): Observed = Observed(scope).also {
        it.room.connect()
        it.settle()
    }

    // ---- neutral JSON: the official client's objects as JSON.stringify prints them ----------------

    private val iso = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC)

    private fun time(t: Instant) = JsonPrimitive(iso.format(t))

    private fun attributes(a: Map<String, String>) = JsonObject(a.mapValues { JsonPrimitive(it.value) })

    private fun message(m: ChatMessage) = buildJsonObject {
        put("id", m.id)
        put("sender", buildJsonObject {
            put("userId", m.sender.userId)
            m.sender.attributes?.let { put("attributes", attributes(it)) }
        })
        put("content", m.content)
        put("sendTime", time(m.sendTime))
        m.requestId?.let { put("requestId", it) }
        m.attributes?.let { put("attributes", attributes(it)) }
    }

    private fun event(e: ChatEvent) = buildJsonObject {
        put("id", e.id)
        put("eventName", e.eventName)
        put("sendTime", time(e.sendTime))
        e.requestId?.let { put("requestId", it) }
        e.attributes?.let { put("attributes", attributes(it)) }
    }

    private fun deleted(e: DeleteMessageEvent) = buildJsonObject {
        put("id", e.id)
        put("messageId", e.messageId)
        e.reason?.let { put("reason", it) }
        put("sendTime", time(e.sendTime))
        e.requestId?.let { put("requestId", it) }
        put("attributes", attributes(e.attributes))
    }

    private fun kicked(e: DisconnectUserEvent) = buildJsonObject {
        put("id", e.id)
        put("userId", e.userId)
        e.reason?.let { put("reason", it) }
        put("sendTime", time(e.sendTime))
        e.requestId?.let { put("requestId", it) }
        put("attributes", attributes(e.attributes))
    }

    private fun chatError(e: ChatError) = buildJsonObject {
        put("id", e.id)
        put("errorCode", e.code)
        put("errorMessage", e.message)
        e.requestId?.let { put("requestId", it) }
    }

    private class Mismatch(message: String) : Exception(message)

    private fun outcome(events: List<ChatRoomEvent>, settled: List<Pair<String, Result<JsonObject>>>): JsonObject {
        val out = linkedMapOf<String, JsonElement>()
        val states = mutableListOf<String>()
        for (e in events) {
            val (kind, data) = when (e) {
                is ChatRoomEvent.Message -> "message" to message(e.message)
                is ChatRoomEvent.Event -> "event" to event(e.event)
                is ChatRoomEvent.MessageDelete -> "messageDelete" to deleted(e.event)
                is ChatRoomEvent.UserDisconnect -> "userDisconnect" to kicked(e.event)
                is ChatRoomEvent.Error -> { out["error"] = chatError(e.error); continue }
                is ChatRoomEvent.Unknown -> {
                    out["rejected"] = buildJsonObject { put("field", e.frame.field); put("message", e.frame.error) }
                    continue
                }
                is ChatRoomEvent.Connecting -> { states += "connecting"; continue }
                is ChatRoomEvent.Connected -> { states += "connect"; continue }
                else -> throw Mismatch("unexpected $e")
            }
            if ("accepted" in out) throw Mismatch("several events")
            out["accepted"] = JsonPrimitive(kind)
            out["data"] = data
        }
        for ((requestId, result) in settled) {
            val error = result.exceptionOrNull()
            when {
                error == null -> {
                    if (result.getOrThrow() != out["data"]) throw Mismatch("resolved value ${result.getOrThrow()}")
                    out["resolves"] = JsonPrimitive(requestId)
                }
                error is ChatRoomException.Chat -> {
                    out["error"] = chatError(error.error)
                    out["rejects"] = JsonPrimitive(requestId)
                }
                else -> throw Mismatch("$requestId failed: $error")
            }
        }
        if (states.isNotEmpty()) {
            if (states != listOf("connecting", "connect")) throw Mismatch("states $states")
            out["reconnects"] = JsonPrimitive(true)
        }
        if (out.isEmpty()) out["duplicate"] = JsonPrimitive(true)
        return JsonObject(out)
    }

    /** A rejection's `message` is the official client's wording: only the field it names is compared. */
    private fun same(expected: JsonElement, actual: JsonObject): Boolean {
        val e = expected.jsonObject
        if (e.keys != actual.keys) return false
        return e.all { (k, v) -> if (k == "rejected") v.jsonObject["field"] == actual[k]!!.jsonObject["field"] else v == actual[k] }
    }

    // ---- the three kinds of case ------------------------------------------------------------------

    private suspend fun request(room: ChatRoom, action: String, requestId: String): JsonObject = when (action) {
        "SEND_MESSAGE" -> message(room.sendMessage(SendMessageRequest("pending", requestId = requestId)))
        "DELETE_MESSAGE" -> deleted(room.deleteMessage(DeleteMessageRequest("m", requestId = requestId)))
        else -> kicked(room.disconnectUser(DisconnectUserRequest("u", requestId = requestId)))
    }

    private suspend fun CoroutineScope.runFrames(case: JsonObject): String? {
        val o = observe(this)
        try {
            val settledChannel = Channel<Pair<String, Result<JsonObject>>>(Channel.UNLIMITED)
            val pending = case["pending"]?.jsonArray.orEmpty().map { it.jsonObject }
            for (p in pending) {
                val action = p["action"]!!.jsonPrimitive.content
                val requestId = p["requestId"]!!.jsonPrimitive.content
                launch(Dispatchers.Default) { settledChannel.send(requestId to runCatching { request(o.room, action, requestId) }) }
            }
            o.server.waitReceived(pending.size)
            val settledIds = mutableListOf<String>()
            val actual = mutableListOf<JsonObject>()
            for (frame in case["frames"]!!.jsonArray) {
                o.server.sendNewest(frame.jsonPrimitive.content)
                val events = o.settle().toMutableList()
                if (events.lastOrNull() is ChatRoomEvent.Connecting) events += o.settle() // ERROR 401: reconnecting
                delay(5)
                val settled = generateSequence { settledChannel.tryReceive().getOrNull() }.toList()
                settledIds += settled.map { it.first }
                actual += try { outcome(events, settled) } catch (e: Mismatch) { return e.message }
            }
            val expected = ((case["ivschat"] as? JsonObject)?.get("then") ?: case["then"]!!).jsonArray
            if (expected.size != actual.size || !expected.zip(actual).all { (e, a) -> same(e, a) }) {
                return "expected $expected\n  actual $actual (${o.server.sockets.size} open sockets)"
            }
            case["unsettled"]?.let { unsettled ->
                val ours = pending.map { it["requestId"]!!.jsonPrimitive.content }.filter { it !in settledIds }
                val theirs = unsettled.jsonArray.map { it.jsonPrimitive.content }
                if (ours != theirs) return "unsettled: expected $theirs, actual $ours"
            }
            return null
        } finally {
            o.close()
        }
    }

    private val uuid4 = Regex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

    private suspend fun CoroutineScope.runRequest(case: JsonObject): String? {
        val input = case["input"]!!.jsonObject
        val expect = case["expect"]!!.jsonObject
        fun s(key: String) = input[key]?.jsonPrimitive?.contentOrNull
        val o = observe(this)
        try {
            val call = launch(Dispatchers.Default) {
                runCatching {
                    when (s("action")) {
                        "SEND_MESSAGE" -> o.room.sendMessage(SendMessageRequest(s("content")!!,
                            input["attributes"]?.jsonObject?.mapValues { it.value.jsonPrimitive.content }, s("requestId")))
                        "DELETE_MESSAGE" -> o.room.deleteMessage(DeleteMessageRequest(s("id")!!, s("reason"), s("requestId")))
                        else -> o.room.disconnectUser(DisconnectUserRequest(s("userId")!!, s("reason"), s("requestId")))
                    }
                }
            }
            o.server.waitReceived(1)
            var sent = o.server.received[0]
            if ("requestId" in expect) {
                val id = Json.parseToJsonElement(sent).jsonObject["RequestId"]!!.jsonPrimitive.content
                if (!uuid4.matches(id)) return "$id is no UUIDv4"
                sent = sent.replace(id, "{uuid4}")
            }
            o.room.disconnect()
            call.join()
            val frame = expect["frame"]!!.jsonPrimitive.content
            return if (sent == frame) null else "sent $sent\n expected $frame"
        } finally {
            o.close()
        }
    }

    private fun runEndpoint(case: JsonObject): String? {
        val actual = try {
            ChatRoom(case["regionOrUrl"]!!.jsonPrimitive.content, { ChatToken("t") }).use { buildJsonObject { put("url", it.url()) } }
        } catch (e: ChatRoomException.Configuration) {
            buildJsonObject { put("error", e.detail) }
        }
        val expected = (case["ivschat"] as? JsonObject)?.get("expect") ?: case["expect"]
        return if (actual == expected) null else "expected $expected, actual $actual"
    }

    @Test
    fun messagingConformance() = runBlocking {
        val path = System.getProperty("ivschat.conformance.messaging") ?: "../../tests/conformance/messaging.json"
        val cases = Json.parseToJsonElement(File(path).readText()).jsonObject["cases"]!!.jsonArray.map { it.jsonObject }
        var ran = 0
        var skipped = 0
        val failures = mutableListOf<String>()
        for (case in cases) {
            val id = case["id"]!!.jsonPrimitive.content
            if ((case["skip"] as? JsonObject)?.get("kotlin") != null) {
                skipped++
                continue
            }
            val failure = try {
                when (val kind = case["kind"]!!.jsonPrimitive.content) {
                    "frames" -> runFrames(case)
                    "request" -> runRequest(case)
                    "endpoint" -> runEndpoint(case)
                    else -> "unknown kind $kind"
                }
            } catch (e: Exception) {
                "${e::class.simpleName}: ${e.message}"
            }
            ran++
            failure?.let { failures += "FAIL $id: $it" }
        }
        val summary = "messaging conformance: ran $ran skipped $skipped failed ${failures.size}"
        failures.forEach(::println)
        println(summary)
        File("target/conformance-kotlin-messaging.txt").writeText((failures + summary).joinToString("\n") + "\n")
        assertEquals(emptyList<String>(), failures)
        assertTrue(ran >= 100, "only $ran cases ran")
    }
}
