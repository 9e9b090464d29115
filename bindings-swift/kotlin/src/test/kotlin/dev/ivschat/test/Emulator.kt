package dev.ivschat.test

import dev.ivschat.IvschatClient
import dev.ivschat.IvschatConfig
import dev.ivschat.StaticCredentials
import java.io.BufferedReader
import java.io.File
import java.io.InputStreamReader
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.concurrent.TimeUnit

/** `ivschat-local --port 0` as a child process, stopped by [close]. */
class Emulator private constructor(private val process: Process, val endpointUrl: String) : AutoCloseable {
    private val http = HttpClient.newHttpClient()

    fun client(
        maxAttempts: UInt? = null,
        readTimeout: Duration? = null,
        provider: dev.ivschat.CredentialsProvider = StaticCredentials("test", "test"),
    ): IvschatClient = IvschatClient(
        IvschatConfig(
            region = "us-east-1",
            credentialsProvider = provider,
            endpointUrl = endpointUrl,
            maxAttempts = maxAttempts,
            initialBackoff = Duration.ofMillis(1),
            readTimeout = readTimeout,
        ),
    )

    fun post(path: String, body: String): Int =
        http.send(
            HttpRequest.newBuilder(URI.create(endpointUrl + path)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString(),
        ).statusCode()

    fun get(path: String): String =
        http.send(HttpRequest.newBuilder(URI.create(endpointUrl + path)).GET().build(), HttpResponse.BodyHandlers.ofString()).body()

    fun delete(path: String): Int =
        http.send(HttpRequest.newBuilder(URI.create(endpointUrl + path)).DELETE().build(), HttpResponse.BodyHandlers.ofString()).statusCode()

    override fun close() {
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly()
    }

    companion object {
        /** Started with extra arguments, e.g. `--time-scale 60` (a one-minute session lasts a second). */
        fun start(vararg args: String): Emulator {
            val bin = System.getProperty("ivschat.local.bin") ?: System.getenv("IVSCHAT_LOCAL_BIN")
                ?: error("set -Divschat.local.bin or IVSCHAT_LOCAL_BIN to target/debug/ivschat-local")
            require(File(bin).canExecute()) { "$bin is not an executable: cargo build -p ivschat-emulator --bin ivschat-local" }
            val process = ProcessBuilder(listOf(bin, "--port", "0") + args).redirectError(ProcessBuilder.Redirect.INHERIT).start()
            val reader = BufferedReader(InputStreamReader(process.inputStream))
            val line = reader.readLine() ?: error("ivschat-local exited before listening")
            val url = Regex("listening on (http://\\S+)").find(line)?.groupValues?.get(1)
                ?: error("unexpected first line from ivschat-local: $line")
            Thread { reader.useLines { it.forEach { } } }.apply { isDaemon = true }.start()
            return Emulator(process, url)
        }
    }
}
