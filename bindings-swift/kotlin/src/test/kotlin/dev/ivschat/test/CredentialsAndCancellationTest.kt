package dev.ivschat.test

import dev.ivschat.CreateRoomInput
import dev.ivschat.Credentials
import dev.ivschat.CredentialsProvider
import dev.ivschat.GetRoomInput
import dev.ivschat.IvschatException
import dev.ivschat.ListRoomsInput
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.time.Instant
import java.util.concurrent.atomic.AtomicInteger

/** A Kotlin `CredentialsProvider` (suspending, cached by expiry) and coroutine cancellation. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CredentialsAndCancellationTest {
    private lateinit var emulator: Emulator
    private lateinit var scripted: Emulator

    @BeforeAll
    fun start() {
        emulator = Emulator.start()
        scripted = Emulator.start()
    }

    @AfterAll
    fun stop() {
        emulator.close()
        scripted.close()
    }

    /** Like a Cognito identity pool: suspends, returns temporary credentials with an expiry. */
    class CountingProvider(private val expiresIn: java.time.Duration) : CredentialsProvider {
        val calls = AtomicInteger()
        override suspend fun provideCredentials(): Credentials {
            calls.incrementAndGet()
            delay(20)
            return Credentials(
                accessKeyId = "test",
                secretAccessKey = "test",
                sessionToken = "session-token",
                expiration = Instant.now().plus(expiresIn),
            )
        }
    }

    @Test
    fun kotlinProviderIsCalledAndCached() = runBlocking<Unit> {
        val provider = CountingProvider(java.time.Duration.ofHours(1))
        val client = emulator.client(provider = provider)
        val room = client.createRoom(CreateRoomInput(name = "with-provider"))
        client.getRoom(GetRoomInput(room.arn!!))
        client.listRooms(ListRoomsInput())
        assertEquals(1, provider.calls.get(), "credentials valid for an hour are fetched once")

        // Expiring within the refresh window (5 min): asked again for every call.
        val short = CountingProvider(java.time.Duration.ofMinutes(1))
        val shortClient = emulator.client(provider = short)
        shortClient.listRooms(ListRoomsInput())
        shortClient.listRooms(ListRoomsInput())
        assertTrue(short.calls.get() >= 2, "calls: ${short.calls.get()}")
    }

    @Test
    fun sessionTokenIsSigned() = runBlocking<Unit> {
        val body = """{"responses": [{"status": 200, "headers": {"content-type": "application/json"}, "body": "{}"}],
            "credentials": [{"accessKeyId": "test", "secretAccessKey": "test", "sessionToken": "session-token"}]}"""
        assertEquals(200, scripted.post("/_emulator/script", body))
        scripted.client(provider = CountingProvider(java.time.Duration.ofHours(1))).getRoom(GetRoomInput("abcdEFGH1234"))
        val request = Json.parseToJsonElement(scripted.get("/_emulator/script/requests")).jsonObject["requests"]!!.jsonArray[0].jsonObject
        assertEquals("session-token", request["headers"]!!.jsonObject["x-amz-security-token"]!!.jsonPrimitive.content)
        assertEquals("true", request["signature"]!!.jsonObject["valid"]!!.jsonPrimitive.content)
        scripted.delete("/_emulator/script")
    }

    @Test
    fun cancellingTheCoroutineCancelsTheRequest() = runBlocking<Unit> {
        // The response stalls for 10 s; the coroutine gives up after 300 ms.
        assertEquals(200, scripted.post("/_emulator/script",
            """{"responses": [{"action": "stall", "ms": 10000, "status": 200, "headers": {}, "body": "{}"}]}"""))
        val client = scripted.client(maxAttempts = 1u)
        val started = System.nanoTime()
        assertThrows<TimeoutCancellationException> {
            runBlocking { withTimeout(300) { client.getRoom(GetRoomInput("abcdEFGH1234")) } }
        }
        val elapsedMs = (System.nanoTime() - started) / 1_000_000
        assertTrue(elapsedMs < 3000, "cancellation took $elapsedMs ms")
        scripted.delete("/_emulator/script")

        // Job.cancel() on a call whose credentials provider is still suspended: cancelling the
        // Kotlin coroutine drops the Rust future, which cancels the provider's coroutine in turn.
        val providerCancelled = CompletableDeferred<Boolean>()
        val entered = CompletableDeferred<Unit>()
        val hanging = object : CredentialsProvider {
            override suspend fun provideCredentials(): Credentials {
                entered.complete(Unit)
                try {
                    awaitCancellation()
                } finally {
                    providerCancelled.complete(true)
                }
            }
        }
        val hangingClient = emulator.client(provider = hanging)
        val job = launch { hangingClient.listRooms(ListRoomsInput()) }
        withTimeout(5000) { entered.await() }
        job.cancel()
        withTimeout(5000) { job.join() }
        assertTrue(job.isCancelled)
        assertTrue(withTimeout(5000) { providerCancelled.await() }, "the provider's coroutine was cancelled")

        // The client is still fine afterwards.
        val room = emulator.client().createRoom(CreateRoomInput(name = "after-cancel"))
        assertEquals("after-cancel", room.name)
        try {
            client.getRoom(GetRoomInput("arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234"))
        } catch (e: IvschatException) {
            // Script cleared: the control plane answers (the room does not exist).
            assertEquals(404.toUShort(), e.httpStatus())
        }
    }
}
