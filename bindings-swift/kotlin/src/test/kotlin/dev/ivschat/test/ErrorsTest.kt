package dev.ivschat.test

import dev.ivschat.CreateRoomInput
import dev.ivschat.CredentialsProvider
import dev.ivschat.CredentialsProviderException
import dev.ivschat.GetRoomInput
import dev.ivschat.IvschatClient
import dev.ivschat.IvschatConfig
import dev.ivschat.IvschatException
import dev.ivschat.ResourceType
import dev.ivschat.StaticCredentials
import dev.ivschat.ValidationExceptionReason
import dev.ivschat.operationInputFromJson
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.time.Duration

/** Each error case with its fields: from the emulator, scripted responses and the client itself. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ErrorsTest {
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

    private val missingRoom = "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234"

    private fun script(status: Int, headers: String, body: String) {
        val escaped = body.replace("\\", "\\\\").replace("\"", "\\\"")
        val code = scripted.post("/_emulator/script", """{"responses": [{"status": $status, "headers": $headers, "body": "$escaped"}]}""")
        assertEquals(200, code)
    }

    @Test
    fun resourceNotFound() = runBlocking<Unit> {
        val e = assertThrows<IvschatException.ResourceNotFound> {
            runBlocking { emulator.client().getRoom(GetRoomInput(identifier = missingRoom)) }
        }
        assertEquals("ResourceNotFoundException", e.meta.code)
        assertEquals("ResourceNotFoundException", e.code())
        assertEquals(404.toUShort(), e.meta.httpStatus)
        assertEquals(e.meta.httpStatus, e.httpStatus())
        assertNotNull(e.meta.requestId)
        assertTrue(e.meta.message.isNotEmpty())
        assertEquals("abcdEFGH1234", e.resourceId)
        assertEquals(ResourceType.Room, e.resourceType)
        assertFalse(e.isRetryable())
        assertEquals("""{"resourceId":"abcdEFGH1234","resourceType":"ROOM"}""", e.fieldsJson())
    }

    @Test
    fun validation() = runBlocking<Unit> {
        val e = assertThrows<IvschatException.Validation> {
            runBlocking { emulator.client().createRoom(CreateRoomInput(maximumMessageLength = 0)) }
        }
        assertEquals(400.toUShort(), e.meta.httpStatus)
        assertEquals(ValidationExceptionReason.FieldValidationFailed, e.reason)
        val fields = e.fieldList!!
        assertEquals(listOf("maximumMessageLength"), fields.map { it.name })
        assertTrue(fields[0].message.isNotEmpty())
    }

    @Test
    fun scriptedModeledErrors() = runBlocking<Unit> {
        val client = scripted.client(maxAttempts = 1u)
        script(429, """{"x-amzn-errortype": "ThrottlingException", "x-amzn-requestid": "req-1", "content-type": "application/json"}""",
            """{"message": "slow down", "resourceId": "r1", "resourceType": "ROOM", "limit": 10}""")
        val t = assertThrows<IvschatException.Throttling> { runBlocking { client.getRoom(GetRoomInput(missingRoom)) } }
        assertEquals("slow down", t.meta.message)
        assertEquals("req-1", t.meta.requestId)
        assertEquals(10, t.limit)
        assertEquals("r1", t.resourceId)
        assertTrue(t.meta.retryable)

        script(402, """{"x-amzn-errortype": "ServiceQuotaExceededException", "content-type": "application/json"}""",
            """{"message": "quota", "resourceId": "r2", "resourceType": "ROOMS_PER_ACCOUNT", "limit": 50000}""")
        val q = assertThrows<IvschatException.ServiceQuotaExceeded> { runBlocking { client.createRoom(CreateRoomInput()) } }
        assertEquals(ResourceType.Unknown("ROOMS_PER_ACCOUNT"), q.resourceType)
        assertEquals("ROOMS_PER_ACCOUNT", q.resourceType!!.wireValue())
        assertEquals(50000, q.limit)

        script(409, """{"x-amzn-errortype": "ConflictException", "content-type": "application/json"}""",
            """{"message": "busy", "resourceId": "r3", "resourceType": "ROOM"}""")
        val c = assertThrows<IvschatException.Conflict> { runBlocking { client.createRoom(CreateRoomInput()) } }
        assertEquals("r3", c.resourceId)

        script(403, """{"content-type": "application/json"}""", """{"__type": "PendingVerification", "message": "verify"}""")
        assertThrows<IvschatException.PendingVerification> { runBlocking { client.createRoom(CreateRoomInput()) } }
        script(403, """{"x-amzn-errortype": "AccessDeniedException"}""", """{"message": "no"}""")
        assertThrows<IvschatException.AccessDenied> { runBlocking { client.createRoom(CreateRoomInput()) } }
        script(500, """{"x-amzn-errortype": "InternalServerException"}""", """{"message": "oops"}""")
        val i = assertThrows<IvschatException.InternalServer> { runBlocking { client.createRoom(CreateRoomInput()) } }
        assertTrue(i.isRetryable())

        script(418, """{"x-amzn-errortype": "TeapotException"}""", """{"message": "short and stout"}""")
        val u = assertThrows<IvschatException.Unhandled> { runBlocking { client.createRoom(CreateRoomInput()) } }
        assertEquals("TeapotException", u.meta.code)
        assertEquals("short and stout", u.meta.message)
        assertEquals(418.toUShort(), u.meta.httpStatus)

        script(200, """{"content-type": "application/json"}""", "[1, 2]")
        val r = assertThrows<IvschatException.InvalidResponse> { runBlocking { client.createRoom(CreateRoomInput()) } }
        assertEquals("ResponseParseError", r.meta.code)
        scripted.delete("/_emulator/script")
    }

    @Test
    fun timeout() = runBlocking<Unit> {
        val client = scripted.client(maxAttempts = 1u, readTimeout = Duration.ofMillis(200))
        assertEquals(200, scripted.post("/_emulator/script",
            """{"responses": [{"action": "stall", "ms": 2000, "status": 200, "headers": {}, "body": "{}"}]}"""))
        val e = assertThrows<IvschatException.Timeout> { runBlocking { client.getRoom(GetRoomInput(missingRoom)) } }
        assertEquals("Timeout", e.meta.code)
        assertNull(e.meta.httpStatus)
        scripted.delete("/_emulator/script")
    }

    @Test
    fun transport() = runBlocking<Unit> {
        val client = IvschatClient(IvschatConfig(region = "us-east-1", credentialsProvider = StaticCredentials("test", "test"),
            endpointUrl = "http://127.0.0.1:1", maxAttempts = 1u))
        val e = assertThrows<IvschatException.Transport> { runBlocking { client.getRoom(GetRoomInput(missingRoom)) } }
        assertEquals("ConnectionError", e.meta.code)
        assertNull(e.meta.httpStatus)
        assertNull(e.meta.requestId)
    }

    @Test
    fun credentials() = runBlocking<Unit> {
        val failing = object : CredentialsProvider {
            override suspend fun provideCredentials(): dev.ivschat.Credentials =
                throw CredentialsProviderException.Failed("no Cognito session")
        }
        val e = assertThrows<IvschatException.Credentials> { runBlocking { emulator.client(provider = failing).getRoom(GetRoomInput(missingRoom)) } }
        assertEquals("CredentialsError", e.meta.code)
        assertTrue(e.meta.message.contains("no Cognito session"), e.meta.message)

        val crashing = object : CredentialsProvider {
            override suspend fun provideCredentials(): dev.ivschat.Credentials = error("provider bug")
        }
        assertThrows<IvschatException.Credentials> { runBlocking { emulator.client(provider = crashing).getRoom(GetRoomInput(missingRoom)) } }

        val wrong = StaticCredentials("nobody", "wrong")
        val denied = assertThrows<IvschatException> { runBlocking { emulator.client(provider = wrong).getRoom(GetRoomInput(missingRoom)) } }
        assertEquals(403.toUShort(), denied.httpStatus())
    }

    @Test
    fun invalidInputAndConstruction() {
        val e = assertThrows<IvschatException.InvalidInput> { operationInputFromJson("CreateRoom", """{"name": 5}""") }
        assertEquals("name", e.member)
        assertEquals("InvalidInput", e.meta.code)
        assertThrows<IvschatException.InvalidInput> { operationInputFromJson("Nope", "{}") }

        val c = assertThrows<IvschatException.Construction> {
            IvschatClient(IvschatConfig(region = "us-east-1", credentialsProvider = StaticCredentials("a", "b"), endpointUrl = "not a url"))
        }
        assertEquals("ConstructionError", c.meta.code)
    }
}
