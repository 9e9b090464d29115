package dev.ivschat.test

import java.io.InputStream
import java.io.OutputStream
import java.net.InetAddress
import java.net.ServerSocket
import java.net.Socket
import java.net.SocketException
import javax.net.ssl.SSLContext

/**
 * A raw HTTP/1.1 server on 127.0.0.1 for what ivschat-local will not do (endless or trickling
 * bodies, TLS): each connection's request head is read, then [respond] writes whatever it likes.
 */
class ScriptedServer(
    tls: SSLContext? = null,
    private val respond: (OutputStream) -> Unit,
) : AutoCloseable {
    private val server: ServerSocket = tls?.serverSocketFactory?.createServerSocket(0, 50, InetAddress.getLoopbackAddress())
        ?: ServerSocket(0, 50, InetAddress.getLoopbackAddress())
    val endpointUrl = "${if (tls != null) "https" else "http"}://127.0.0.1:${server.localPort}"

    init {
        Thread {
            while (true) {
                val socket = try { server.accept() } catch (_: SocketException) { return@Thread }
                Thread { serve(socket) }.apply { isDaemon = true }.start()
            }
        }.apply { isDaemon = true }.start()
    }

    private fun serve(socket: Socket) = socket.use {
        try {
            readHead(it.getInputStream())
            respond(it.getOutputStream())
        } catch (_: java.io.IOException) {
            // The client gave up: what these tests expect.
        }
    }

    private fun readHead(input: InputStream) {
        var last4 = 0
        while (last4 != 0x0d0a0d0a) {
            val b = input.read()
            if (b < 0) throw java.io.EOFException()
            last4 = (last4 shl 8) or b
        }
    }

    override fun close() = server.close()

    companion object {
        fun head(status: String, vararg headers: String): ByteArray =
            (listOf("HTTP/1.1 $status") + headers + listOf("", "")).joinToString("\r\n").toByteArray()
    }
}
