package dev.ivschat.test

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
import java.io.File
import java.nio.file.Files
import java.security.KeyStore
import javax.net.ssl.KeyManagerFactory
import javax.net.ssl.SSLContext

/**
 * `extraRootCertificates` against a TLS server whose self-signed certificate (made by the JDK's
 * keytool) is trusted only when given.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsTest {
    private lateinit var dir: File
    private lateinit var pem: String
    private lateinit var server: ScriptedServer
    private val arn = "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234"

    private fun keytool(vararg args: String): String {
        val bin = File(System.getProperty("java.home"), "bin/keytool").path
        val process = ProcessBuilder(listOf(bin) + args).directory(dir).redirectErrorStream(true).start()
        val output = process.inputStream.bufferedReader().readText()
        check(process.waitFor() == 0) { "keytool ${args.first()}: $output" }
        return output
    }

    @BeforeAll
    fun start() {
        dir = Files.createTempDirectory("ivschat-tls").toFile()
        val store = arrayOf("-keystore", "server.p12", "-storetype", "PKCS12", "-storepass", "changeit")
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
            "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", *store)
        pem = keytool("-exportcert", "-rfc", "-alias", "server", *store)
        val keys = KeyStore.getInstance("PKCS12").apply {
            File(dir, "server.p12").inputStream().use { load(it, "changeit".toCharArray()) }
        }
        val managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm()).apply {
            init(keys, "changeit".toCharArray())
        }
        val tls = SSLContext.getInstance("TLS").apply { init(managers.keyManagers, null, null) }
        server = ScriptedServer(tls) { out ->
            val body = """{"arn": "$arn", "name": "over-tls"}""".toByteArray()
            out.write(ScriptedServer.head("200 OK", "content-type: application/json", "content-length: ${body.size}"))
            out.write(body)
            out.flush()
        }
    }

    @AfterAll
    fun stop() {
        server.close()
        dir.deleteRecursively()
    }

    private fun client(roots: String?) = IvschatClient(
        IvschatConfig(
            region = "us-east-1",
            credentialsProvider = StaticCredentials("test", "test"),
            endpointUrl = server.endpointUrl,
            maxAttempts = 1u,
            extraRootCertificates = roots,
        ),
    )

    @Test
    fun selfSignedServerIsTrustedOnlyWhenGiven() = runBlocking<Unit> {
        assertTrue(pem.startsWith("-----BEGIN CERTIFICATE-----"), pem)
        val e = assertThrows<IvschatException.Transport> { runBlocking { client(null).getRoom(GetRoomInput(arn)) } }
        assertTrue(e.meta.message.contains("certificate", ignoreCase = true), e.meta.message)

        val room = client(pem).getRoom(GetRoomInput(arn))
        assertEquals("over-tls", room.name)
        assertEquals(arn, room.arn)
    }

    @Test
    fun invalidRootsSayWhy() = runBlocking<Unit> {
        val e = assertThrows<IvschatException> {
            runBlocking { client("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n").getRoom(GetRoomInput(arn)) }
        }
        assertTrue(e.errorMessage().contains("certificate", ignoreCase = true), e.errorMessage())
    }
}
