package dev.ivschat.test

import dev.ivschat.ChatTokenCapability
import dev.ivschat.CloudWatchLogsDestinationConfiguration
import dev.ivschat.CreateChatTokenInput
import dev.ivschat.CreateLoggingConfigurationInput
import dev.ivschat.CreateLoggingConfigurationState
import dev.ivschat.CreateRoomInput
import dev.ivschat.DeleteLoggingConfigurationInput
import dev.ivschat.DeleteMessageInput
import dev.ivschat.DeleteRoomInput
import dev.ivschat.DestinationConfiguration
import dev.ivschat.DisconnectUserInput
import dev.ivschat.FallbackResult
import dev.ivschat.FirehoseDestinationConfiguration
import dev.ivschat.GetLoggingConfigurationInput
import dev.ivschat.GetRoomInput
import dev.ivschat.IvschatClient
import dev.ivschat.ListLoggingConfigurationsInput
import dev.ivschat.ListRoomsInput
import dev.ivschat.ListTagsForResourceInput
import dev.ivschat.LoggingConfigurationState
import dev.ivschat.MessageReviewHandler
import dev.ivschat.S3DestinationConfiguration
import dev.ivschat.SendEventInput
import dev.ivschat.TagResourceInput
import dev.ivschat.UntagResourceInput
import dev.ivschat.UpdateLoggingConfigurationInput
import dev.ivschat.UpdateLoggingConfigurationState
import dev.ivschat.UpdateRoomInput
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.time.Duration
import java.time.Instant

/** Every operation end to end against ivschat-local, through the generated records. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperationsTest {
    private lateinit var emulator: Emulator
    private lateinit var client: IvschatClient

    @BeforeAll
    fun start() {
        emulator = Emulator.start()
        client = emulator.client()
    }

    @AfterAll
    fun stop() = emulator.close()

    @Test
    fun rooms() = runBlocking<Unit> {
        val before = Instant.now().minusSeconds(5)
        val room = client.createRoom(
            CreateRoomInput(
                name = "demo",
                maximumMessageLength = 500,
                maximumMessageRatePerSecond = 5,
                tags = mapOf("env" to "dev"),
            ),
        )
        val arn = room.arn!!
        assertTrue(arn.startsWith("arn:aws:ivschat:us-east-1:000000000000:room/"), arn)
        assertEquals("demo", room.name)
        assertEquals(500, room.maximumMessageLength)
        assertEquals(mapOf("env" to "dev"), room.tags)
        val created: Instant = room.createTime!!
        assertTrue(created.isAfter(before) && created.isBefore(Instant.now().plusSeconds(5)), "createTime $created")

        val got = client.getRoom(GetRoomInput(identifier = arn))
        assertEquals(room.id, got.id)
        assertEquals(created, got.createTime)

        val updated = client.updateRoom(
            UpdateRoomInput(
                identifier = arn,
                name = "renamed",
                messageReviewHandler = MessageReviewHandler(
                    uri = "arn:aws:lambda:us-east-1:000000000000:function:review",
                    fallbackResult = FallbackResult.Deny,
                ),
            ),
        )
        assertEquals("renamed", updated.name)
        assertEquals(FallbackResult.Deny, updated.messageReviewHandler?.fallbackResult)

        val listed = client.listRooms(ListRoomsInput(name = "renamed"))
        assertEquals(listOf(room.id), listed.rooms!!.map { it.id })

        client.deleteRoom(DeleteRoomInput(identifier = arn))
        assertTrue(client.listRooms(ListRoomsInput()).rooms!!.none { it.id == room.id })
    }

    @Test
    fun roomsPaginator() = runBlocking<Unit> {
        val prefix = "page-${System.nanoTime()}"
        repeat(5) { client.createRoom(CreateRoomInput(name = "$prefix-$it")) }
        val pages = client.listRoomsPaginator(ListRoomsInput(maxResults = 2))
        val names = mutableListOf<String>()
        var count = 0
        while (true) {
            val page = pages.nextPage() ?: break
            count++
            assertTrue(page.rooms!!.size <= 2)
            names += page.rooms!!.mapNotNull { it.name }
        }
        assertTrue(count >= 3, "pages: $count")
        assertEquals((0 until 5).map { "$prefix-$it" }.toSet(), names.filter { it.startsWith(prefix) }.toSet())
    }

    @Test
    fun chatTokensAndEvents() = runBlocking<Unit> {
        val arn = client.createRoom(CreateRoomInput()).arn!!
        val token = client.createChatToken(
            CreateChatTokenInput(
                roomIdentifier = arn,
                userId = "user-1",
                capabilities = listOf(ChatTokenCapability.SendMessage, ChatTokenCapability.DeleteMessage),
                sessionDurationInMinutes = 30,
                attributes = mapOf("displayName" to "Ada"),
            ),
        )
        assertTrue(token.token!!.isNotEmpty())
        val sessionEnds = token.sessionExpirationTime!!
        val expected = Instant.now().plus(Duration.ofMinutes(30))
        assertTrue(Duration.between(sessionEnds, expected).abs() < Duration.ofMinutes(1), "sessionExpirationTime $sessionEnds")
        assertNotNull(token.tokenExpirationTime)

        val event = client.sendEvent(SendEventInput(roomIdentifier = arn, eventName = "app:ping", attributes = mapOf("k" to "v")))
        assertTrue(event.id!!.isNotEmpty())
        val deleted = client.deleteMessage(DeleteMessageInput(roomIdentifier = arn, id = "abcdEFGH1234", reason = "spam"))
        assertTrue(deleted.id!!.isNotEmpty())
        client.disconnectUser(DisconnectUserInput(roomIdentifier = arn, userId = "user-1", reason = "bye"))
    }

    @Test
    fun loggingConfigurations() = runBlocking<Unit> {
        val created = client.createLoggingConfiguration(
            CreateLoggingConfigurationInput(
                name = "logs",
                destinationConfiguration = DestinationConfiguration.S3(S3DestinationConfiguration(bucketName = "my-bucket")),
                tags = mapOf("team" to "chat"),
            ),
        )
        val arn = created.arn!!
        assertEquals(CreateLoggingConfigurationState.Active, created.state)
        assertEquals(DestinationConfiguration.S3(S3DestinationConfiguration("my-bucket")), created.destinationConfiguration)

        val got = client.getLoggingConfiguration(GetLoggingConfigurationInput(identifier = arn))
        assertEquals(LoggingConfigurationState.Active, got.state)
        assertEquals("logs", got.name)

        val updated = client.updateLoggingConfiguration(
            UpdateLoggingConfigurationInput(
                identifier = arn,
                destinationConfiguration = DestinationConfiguration.CloudWatchLogs(CloudWatchLogsDestinationConfiguration("group")),
            ),
        )
        assertEquals(UpdateLoggingConfigurationState.Active, updated.state)
        assertEquals(DestinationConfiguration.CloudWatchLogs(CloudWatchLogsDestinationConfiguration("group")), updated.destinationConfiguration)

        val second = client.createLoggingConfiguration(
            CreateLoggingConfigurationInput(
                destinationConfiguration = DestinationConfiguration.Firehose(FirehoseDestinationConfiguration("stream")),
            ),
        )
        val room = client.createRoom(CreateRoomInput(loggingConfigurationIdentifiers = listOf(arn)))
        assertEquals(listOf(arn), room.loggingConfigurationIdentifiers)
        val byLogging = client.listRooms(ListRoomsInput(loggingConfigurationIdentifier = arn))
        assertEquals(listOf(room.id), byLogging.rooms!!.map { it.id })

        val all = mutableListOf<String>()
        val pages = client.listLoggingConfigurationsPaginator(ListLoggingConfigurationsInput(maxResults = 1))
        while (true) {
            val page = pages.nextPage() ?: break
            all += page.loggingConfigurations!!.mapNotNull { it.arn }
        }
        assertTrue(all.containsAll(listOf(arn, second.arn!!)), "$all")
        val listed = client.listLoggingConfigurations(ListLoggingConfigurationsInput())
        assertTrue(listed.loggingConfigurations!!.any { it.arn == arn })

        client.updateRoom(UpdateRoomInput(identifier = room.arn!!, loggingConfigurationIdentifiers = listOf()))
        client.deleteLoggingConfiguration(DeleteLoggingConfigurationInput(identifier = second.arn!!))
        client.deleteLoggingConfiguration(DeleteLoggingConfigurationInput(identifier = arn))
    }

    @Test
    fun tags() = runBlocking<Unit> {
        val arn = client.createRoom(CreateRoomInput(tags = mapOf("a" to "1"))).arn!!
        client.tagResource(TagResourceInput(resourceArn = arn, tags = mapOf("b" to "2", "c d" to "3")))
        assertEquals(mapOf("a" to "1", "b" to "2", "c d" to "3"), client.listTagsForResource(ListTagsForResourceInput(arn)).tags)
        client.untagResource(UntagResourceInput(resourceArn = arn, tagKeys = listOf("a", "c d")))
        assertEquals(mapOf("b" to "2"), client.listTagsForResource(ListTagsForResourceInput(resourceArn = arn)).tags)
        assertNull(client.getRoom(GetRoomInput(arn)).messageReviewHandler)
    }
}
