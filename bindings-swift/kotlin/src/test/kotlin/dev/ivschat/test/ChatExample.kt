package dev.ivschat.test

import dev.ivschat.ChatMessage
import dev.ivschat.ChatRoom
import dev.ivschat.ChatToken
import dev.ivschat.ChatTokenCapability
import dev.ivschat.CreateChatTokenInput
import dev.ivschat.CreateRoomInput
import dev.ivschat.DeleteMessageRequest
import dev.ivschat.IvschatClient
import dev.ivschat.IvschatConfig
import dev.ivschat.SendMessageRequest
import dev.ivschat.StaticCredentials
import dev.ivschat.receivedMessages
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.withTimeout

// The README's chat example, verbatim between the markers (ChatExampleTest runs it and checks
// that the README still shows it).
// README: begin
suspend fun chat(endpointUrl: String, chatUrl: String): ChatMessage {
    // The backend's half: a room and chat tokens (AWS credentials, CreateChatToken).
    val client = IvschatClient(IvschatConfig(region = "us-east-1", credentialsProvider = StaticCredentials("test", "test"), endpointUrl = endpointUrl))
    val roomArn = client.createRoom(CreateRoomInput(name = "demo")).arn!!
    val tokenProvider: suspend () -> ChatToken = {
        val out = client.createChatToken(CreateChatTokenInput(roomIdentifier = roomArn, userId = "alice",
            capabilities = listOf(ChatTokenCapability.SendMessage, ChatTokenCapability.DeleteMessage)))
        ChatToken(out.token!!, out.sessionExpirationTime, out.tokenExpirationTime)
    }

    // The app's half: join, listen, send, delete, leave.
    val room = ChatRoom(regionOrUrl = chatUrl, tokenProvider = tokenProvider)
    val messages = room.receivedMessages()
    room.connect()
    val sent = room.sendMessage(SendMessageRequest("hello", mapOf("color" to "blue")))
    val received = withTimeout(5_000) { messages.first() }
    println("${received.sender.userId}: ${received.content}")
    room.deleteMessage(DeleteMessageRequest(sent.id, reason = "demo over"))
    room.disconnect()
    return received
}
// README: end
