// Quickstart of the released Kotlin package against ENDPOINT (ivschat-local): a room, a chat token,
// the listing, deletion and the typed error. Run by tools/test-dist.sh:
//   java -cp target/classes:<dependencies> QuickstartKt ENDPOINT
import dev.ivschat.ChatTokenCapability
import dev.ivschat.CreateChatTokenInput
import dev.ivschat.CreateRoomInput
import dev.ivschat.DeleteRoomInput
import dev.ivschat.GetRoomInput
import dev.ivschat.IvschatClient
import dev.ivschat.IvschatConfig
import dev.ivschat.IvschatException
import dev.ivschat.ListRoomsInput
import dev.ivschat.StaticCredentials
import kotlinx.coroutines.runBlocking

fun main(args: Array<String>) = runBlocking {
    val client = IvschatClient(
        IvschatConfig(region = "us-east-1", credentialsProvider = StaticCredentials("test", "test"), endpointUrl = args[0]),
    )
    val room = client.createRoom(CreateRoomInput(name = "dist-kotlin", maximumMessageLength = 500))
    val arn = room.arn!!
    val token = client.createChatToken(
        CreateChatTokenInput(roomIdentifier = arn, userId = "alice", capabilities = listOf(ChatTokenCapability.SendMessage)),
    )
    check(token.token!!.isNotEmpty()) { "empty chat token" }
    check(client.listRooms(ListRoomsInput()).rooms!!.any { it.id == room.id }) { "room not listed" }
    client.deleteRoom(DeleteRoomInput(identifier = arn))
    try {
        client.getRoom(GetRoomInput(identifier = arn))
        error("GetRoom after DeleteRoom succeeded")
    } catch (e: IvschatException.ResourceNotFound) {
        println("Kotlin quickstart: room ${room.id} created, token issued, listed, deleted (then ${e.meta.code})")
    }
}
