package dev.ivschat.test

import dev.ivschat.Credentials
import dev.ivschat.CredentialsProvider
import dev.ivschat.GetRoomInput
import dev.ivschat.IvschatClient
import dev.ivschat.IvschatConfig
import dev.ivschat.IvschatException
import dev.ivschat.StaticCredentials
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.time.Duration

/**
 * `attemptTimeout`, `operationTimeout`, `maxResponseBytes` and `credentialsTimeout` bound what a
 * server (or a provider) can make a call wait for or hold in memory; every call settles.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LimitsTest {
    private lateinit var scripted: Emulator
    private val room = "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234"

    @BeforeAll
    fun start() {
        scripted = Emulator.start()
    }

    @AfterAll
    fun stop() = scripted.close()

    private fun client(
        endpointUrl: String,
        attemptTimeout: Duration? = null,
        operationTimeout: Duration? = null,
        maxResponseBytes: ULong? = null,
        maxAttempts: UInt = 1u,
        provider: CredentialsProvider = StaticCredentials("test", "test"),
        credentialsTimeout: Duration? = null,
    ) = IvschatClient(
        IvschatConfig(
            region = "us-east-1",
            credentialsProvider = provider,
            endpointUrl = endpointUrl,
            maxAttempts = maxAttempts,
            initialBackoff = Duration.ofMillis(1),
            attemptTimeout = attemptTimeout,
            operationTimeout = operationTimeout,
            maxResponseBytes = maxResponseBytes,
            credentialsTimeout = credentialsTimeout,
        ),
    )

    /** Runs [call], returning what it threw and how long it took (ms). */
    private inline fun <reified E : Throwable> timed(crossinline call: suspend () -> Unit): Pair<E, Long> {
        val started = System.nanoTime()
        val e = assertThrows<E> { runBlocking { call() } }
        return e to (System.nanoTime() - started) / 1_000_000
    }

    /** Headers, then one JSON whitespace byte every 50 ms, for ever: the read timeout never fires. */
    private fun trickle() = ScriptedServer { out ->
        out.write(ScriptedServer.head("200 OK", "content-type: application/json", "transfer-encoding: chunked"))
        while (true) {
            out.write("1\r\n \r\n".toByteArray())
            out.flush()
            Thread.sleep(50)
        }
    }

    @Test
    fun attemptTimeoutEndsAStalledResponse() {
        assertEquals(200, scripted.post("/_emulator/script",
            """{"responses": [{"action": "stall", "ms": 30000, "status": 200, "headers": {}, "body": "{}"}]}"""))
        val (e, ms) = timed<IvschatException.Timeout> {
            client(scripted.endpointUrl, attemptTimeout = Duration.ofMillis(300)).getRoom(GetRoomInput(room))
        }
        assertEquals("Timeout", e.meta.code)
        assertTrue(ms < 10_000, "settled after $ms ms")
        scripted.delete("/_emulator/script")
    }

    @Test
    fun attemptTimeoutEndsATricklingBody() = trickle().use { server ->
        val (e, ms) = timed<IvschatException.Timeout> {
            client(server.endpointUrl, attemptTimeout = Duration.ofMillis(500)).getRoom(GetRoomInput(room))
        }
        assertTrue(e.meta.message.isNotEmpty())
        assertTrue(ms < 10_000, "settled after $ms ms")
    }

    @Test
    fun operationTimeoutEndsEndlessBodiesAcrossRetries() = trickle().use { server ->
        val (e, ms) = timed<IvschatException.Timeout> {
            client(server.endpointUrl, operationTimeout = Duration.ofMillis(700), maxAttempts = 3u).getRoom(GetRoomInput(room))
        }
        assertTrue(e.meta.message.contains("operation"), e.meta.message)
        assertTrue(ms < 10_000, "settled after $ms ms")
    }

    @Test
    fun maxResponseBytesRefusesAnEndlessBody() = ScriptedServer { out ->
        out.write(ScriptedServer.head("200 OK", "content-type: application/json", "transfer-encoding: chunked"))
        val chunk = "4000\r\n".toByteArray() + ByteArray(0x4000) { ' '.code.toByte() } + "\r\n".toByteArray()
        while (true) out.write(chunk)
    }.use { server ->
        val (e, ms) = timed<IvschatException.InvalidResponse> {
            client(server.endpointUrl, maxResponseBytes = 65_536u).getRoom(GetRoomInput(room))
        }
        assertTrue(e.meta.message.contains("65536"), e.meta.message)
        assertTrue(ms < 10_000, "settled after $ms ms")
    }

    @Test
    fun maxResponseBytesRefusesAHugeContentLength() = ScriptedServer { out ->
        out.write(ScriptedServer.head("200 OK", "content-type: application/json", "content-length: 4000000000"))
        out.flush()
        Thread.sleep(30_000)
    }.use { server ->
        val (e, _) = timed<IvschatException.InvalidResponse> {
            client(server.endpointUrl, maxResponseBytes = 1_000_000u).getRoom(GetRoomInput(room))
        }
        assertTrue(e.meta.message.contains("1000000"), e.meta.message)
    }

    @Test
    fun aProviderThatThrowsAnErrorStillSettles() {
        // UniFFI's callback handler catches kotlin.Exception only: `TODO()` (an Error) would leave
        // the Rust future waiting for ever without credentialsTimeout.
        val todo = object : CredentialsProvider {
            override suspend fun provideCredentials(): Credentials = TODO("a provider not written yet")
        }
        val (e, ms) = timed<IvschatException.Credentials> {
            client(scripted.endpointUrl, provider = todo, credentialsTimeout = Duration.ofMillis(500)).getRoom(GetRoomInput(room))
        }
        assertTrue(e.meta.message.contains("credentialsTimeout"), e.meta.message)
        assertTrue(ms < 10_000, "settled after $ms ms")

        val throwing = object : CredentialsProvider {
            override suspend fun provideCredentials(): Credentials = throw IllegalStateException("vault locked")
        }
        val thrown = assertThrows<IvschatException.Credentials> {
            runBlocking { client(scripted.endpointUrl, provider = throwing).getRoom(GetRoomInput(room)) }
        }
        assertTrue(thrown.meta.message.contains("vault locked"), thrown.meta.message)
    }
}
