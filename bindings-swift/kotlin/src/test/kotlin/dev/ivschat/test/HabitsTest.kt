package dev.ivschat.test

import dev.ivschat.ChatRoomState
import dev.ivschat.ChatTokenCapability
import dev.ivschat.GetRoomInput
import dev.ivschat.IvschatClient
import dev.ivschat.IvschatConfig
import dev.ivschat.IvschatException
import dev.ivschat.ResourceType
import dev.ivschat.StaticCredentials
import dev.ivschat.meta
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Kotlin habits: the base exception's `meta`, readable messages, enums as wire values, package. */
class HabitsTest {
    private val missingRoom = "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234"

    @Test
    fun baseExceptionCarriesMetaAndReadsWell() = Emulator.start().use { emulator ->
        val e: IvschatException = assertThrows<IvschatException> {
            runBlocking { emulator.client().getRoom(GetRoomInput(missingRoom)) }
        }
        assertTrue(e is IvschatException.ResourceNotFound)
        val meta = e.meta
        assertEquals("ResourceNotFoundException", meta.code)
        assertEquals(404.toUShort(), meta.httpStatus)
        val summary = "ResourceNotFoundException: ${meta.message} (request id ${meta.requestId}, HTTP 404)"
        assertEquals(summary, meta.toString())
        assertEquals(summary, e.toString())
        assertEquals("meta=$summary, resourceId=abcdEFGH1234, resourceType=ROOM", e.message)
    }

    @Test
    fun enumsPrintTheirWireValue() {
        assertEquals("ROOM", ResourceType.Room.toString())
        assertEquals("ROOMS_PER_ACCOUNT", ResourceType.Unknown("ROOMS_PER_ACCOUNT").toString())
        assertEquals("SEND_MESSAGE", ChatTokenCapability.SendMessage.toString())
        assertEquals("SEND_MESSAGE", "${ChatTokenCapability.SendMessage}")
        assertEquals("connected", ChatRoomState.CONNECTED.toString())
    }

    @Test
    fun missingRegionSaysHowToSetItInKotlin() {
        assumeTrue(System.getenv("AWS_REGION").isNullOrBlank() && System.getenv("AWS_DEFAULT_REGION").isNullOrBlank(),
            "AWS_REGION is set: the client would use it")
        for (config in listOf(
            IvschatConfig(credentialsProvider = StaticCredentials("a", "b")),
            IvschatConfig(region = " ", credentialsProvider = StaticCredentials("a", "b")),
        )) {
            val e = assertThrows<IvschatException.Construction> { IvschatClient(config) }
            assertTrue(e.meta.message.contains("IvschatConfig(region = \"us-east-1\")"), e.meta.message)
            assertTrue(!e.meta.message.contains("builder"), e.meta.message)
        }
    }

    @Test
    fun packageIsReverseDns() {
        assertEquals("dev.ivschat", IvschatClient::class.java.packageName)
    }
}
