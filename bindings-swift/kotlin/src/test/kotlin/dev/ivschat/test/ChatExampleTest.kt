package dev.ivschat.test

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File

/** The README's Kotlin chat example runs against ivschat-local, and the README shows it as it is. */
class ChatExampleTest {
    private fun normalized(text: String) = text.lines().map { it.trim() }.filter { it.isNotEmpty() }

    @Test
    fun readmeExampleRuns() = Emulator.start().use { emulator ->
        val message = runBlocking { chat(emulator.endpointUrl, emulator.endpointUrl.replaceFirst("http://", "ws://")) }
        assertEquals("hello", message.content)
        assertEquals("alice", message.sender.userId)
        assertEquals(mapOf("color" to "blue"), message.attributes)
    }

    @Test
    fun readmeShowsTheExample() {
        val source = File("src/test/kotlin/dev/ivschat/test/ChatExample.kt").readText()
        val example = source.substringAfter("// README: begin\n").substringBefore("// README: end")
        val readme = File("../README.md").readText()
        val shown = Regex("```kotlin\n(.*?)```", RegexOption.DOT_MATCHES_ALL).findAll(readme).map { it.groupValues[1] }
        assertTrue(shown.any { java.util.Collections.indexOfSubList(normalized(it), normalized(example)) >= 0 },
            "bindings-swift/README.md lacks the example of ChatExample.kt")
    }
}
