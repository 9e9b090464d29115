// XCTest mirror of the Kotlin JUnit tests (bindings-swift/kotlin/src/test): every operation end to
// end against ivschat-local, errors with their fields, a Swift CredentialsProvider, cancellation,
// a ChatRoom.
import Foundation
import XCTest

@testable import Ivschat

/// `ivschat-local --port 0` as a child process.
final class Emulator {
    let process = Process()
    let endpointUrl: String

    init() throws {
        let env = ProcessInfo.processInfo.environment
        let bin = env["IVSCHAT_LOCAL_BIN"] ?? "\(#filePath)/../../../../../target/debug/ivschat-local"
        process.executableURL = URL(fileURLWithPath: bin)
        process.arguments = ["--port", "0"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data([0x0A]) { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "http://") else { throw NSError(domain: "emulator: \(text)", code: 1) }
        endpointUrl = String(text[range.lowerBound...]).trimmingCharacters(in: .whitespaces)
    }

    deinit { process.terminate() }

    func client(maxAttempts: UInt32? = nil, readTimeout: TimeInterval? = nil,
                provider: CredentialsProvider = StaticCredentials(accessKeyId: "test", secretAccessKey: "test")) throws -> IvschatClient {
        try IvschatClient(config: IvschatConfig(
            region: "us-east-1", credentialsProvider: provider, endpointUrl: endpointUrl,
            maxAttempts: maxAttempts, initialBackoff: 0.001, readTimeout: readTimeout))
    }

    func post(_ path: String, _ body: String) async throws -> Int {
        var request = URLRequest(url: URL(string: endpointUrl + path)!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as! HTTPURLResponse).statusCode
    }
}

final class IvschatTests: XCTestCase {
    let missingRoom = "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234"

    func testRooms() async throws {
        let emulator = try Emulator()
        let client = try emulator.client()
        let room = try await client.createRoom(input: CreateRoomInput(
            name: "demo", maximumMessageLength: 500, tags: ["env": "dev"]))
        let arn = try XCTUnwrap(room.arn)
        XCTAssertTrue(arn.hasPrefix("arn:aws:ivschat:us-east-1:000000000000:room/"))
        XCTAssertEqual(room.maximumMessageLength, 500)
        let created = try XCTUnwrap(room.createTime)
        XCTAssertLessThan(abs(created.timeIntervalSinceNow), 60)
        let got = try await client.getRoom(input: GetRoomInput(identifier: arn))
        XCTAssertEqual(got.id, room.id)
        let updated = try await client.updateRoom(input: UpdateRoomInput(identifier: arn, name: "renamed"))
        XCTAssertEqual(updated.name, "renamed")
        let pages = try client.listRoomsPaginator(input: ListRoomsInput(maxResults: 1))
        var ids: [String] = []
        while let page = try await pages.nextPage() { ids += (page.rooms ?? []).compactMap { $0.id } }
        XCTAssertTrue(ids.contains(room.id!))
        try await client.deleteRoom(input: DeleteRoomInput(identifier: arn))
    }

    func testChatTokensEventsAndTags() async throws {
        let emulator = try Emulator()
        let client = try emulator.client()
        let arn = try XCTUnwrap(try await client.createRoom(input: CreateRoomInput()).arn)
        let token = try await client.createChatToken(input: CreateChatTokenInput(
            roomIdentifier: arn, userId: "user-1", capabilities: [.sendMessage], sessionDurationInMinutes: 30))
        XCTAssertFalse(try XCTUnwrap(token.token).isEmpty)
        XCTAssertNotNil(token.sessionExpirationTime)
        _ = try await client.sendEvent(input: SendEventInput(roomIdentifier: arn, eventName: "app:ping"))
        _ = try await client.deleteMessage(input: DeleteMessageInput(roomIdentifier: arn, id: "abcdEFGH1234"))
        try await client.disconnectUser(input: DisconnectUserInput(roomIdentifier: arn, userId: "user-1"))
        try await client.tagResource(input: TagResourceInput(resourceArn: arn, tags: ["a": "1", "b": "2"]))
        try await client.untagResource(input: UntagResourceInput(resourceArn: arn, tagKeys: ["a"]))
        let tags = try await client.listTagsForResource(input: ListTagsForResourceInput(resourceArn: arn))
        XCTAssertEqual(tags.tags, ["b": "2"])
    }

    func testLoggingConfigurations() async throws {
        let emulator = try Emulator()
        let client = try emulator.client()
        let created = try await client.createLoggingConfiguration(input: CreateLoggingConfigurationInput(
            name: "logs", destinationConfiguration: .s3(config: S3DestinationConfiguration(bucketName: "b"))))
        let arn = try XCTUnwrap(created.arn)
        XCTAssertEqual(created.destinationConfiguration, .s3(config: S3DestinationConfiguration(bucketName: "b")))
        let got = try await client.getLoggingConfiguration(input: GetLoggingConfigurationInput(identifier: arn))
        XCTAssertEqual(got.state, .active)
        _ = try await client.updateLoggingConfiguration(input: UpdateLoggingConfigurationInput(
            identifier: arn, destinationConfiguration: .firehose(config: FirehoseDestinationConfiguration(deliveryStreamName: "s"))))
        let listed = try await client.listLoggingConfigurations(input: ListLoggingConfigurationsInput())
        XCTAssertTrue((listed.loggingConfigurations ?? []).contains { $0.arn == arn })
        try await client.deleteLoggingConfiguration(input: DeleteLoggingConfigurationInput(identifier: arn))
    }

    func testErrors() async throws {
        let emulator = try Emulator()
        let client = try emulator.client()
        do {
            _ = try await client.getRoom(input: GetRoomInput(identifier: missingRoom))
            XCTFail("expected ResourceNotFound")
        } catch let IvschatError.ResourceNotFound(meta, resourceId, resourceType) {
            XCTAssertEqual(meta.code, "ResourceNotFoundException")
            XCTAssertEqual(meta.httpStatus, 404)
            XCTAssertNotNil(meta.requestId)
            XCTAssertEqual(resourceId, "abcdEFGH1234")
            XCTAssertEqual(resourceType, .room)
        }
        do {
            _ = try await client.createRoom(input: CreateRoomInput(maximumMessageLength: 0))
            XCTFail("expected Validation")
        } catch let IvschatError.Validation(meta, reason, fieldList) {
            XCTAssertEqual(meta.httpStatus, 400)
            XCTAssertEqual(reason, .fieldValidationFailed)
            XCTAssertEqual(fieldList?.map { $0.name }, ["maximumMessageLength"])
        }
        let refused = try IvschatClient(config: IvschatConfig(
            region: "us-east-1", credentialsProvider: StaticCredentials(accessKeyId: "test", secretAccessKey: "test"),
            endpointUrl: "http://127.0.0.1:1", maxAttempts: 1))
        do {
            _ = try await refused.getRoom(input: GetRoomInput(identifier: missingRoom))
            XCTFail("expected Transport")
        } catch let IvschatError.Transport(meta) {
            XCTAssertEqual(meta.code, "ConnectionError")
        }
        XCTAssertThrowsError(try operationInputFromJson(operation: "CreateRoom", json: #"{"name": 5}"#)) { error in
            guard case let IvschatError.InvalidInput(_, member) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(member, "name")
        }
    }

    final class FailingProvider: CredentialsProvider, @unchecked Sendable {
        func provideCredentials() async throws -> Credentials {
            throw CredentialsProviderError.Failed(reason: "no Cognito session")
        }
    }

    final class CountingProvider: CredentialsProvider, @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        var calls: Int { lock.lock(); defer { lock.unlock() }; return count }
        func provideCredentials() async throws -> Credentials {
            lock.lock(); count += 1; lock.unlock()
            try await Task.sleep(nanoseconds: 10_000_000)
            return Credentials(accessKeyId: "test", secretAccessKey: "test", sessionToken: "token",
                               expiration: Date().addingTimeInterval(3600))
        }
    }

    func testCredentialsProvider() async throws {
        let emulator = try Emulator()
        let provider = CountingProvider()
        let client = try emulator.client(provider: provider)
        _ = try await client.listRooms(input: ListRoomsInput())
        _ = try await client.listRooms(input: ListRoomsInput())
        XCTAssertEqual(provider.calls, 1)
        do {
            _ = try await emulator.client(provider: FailingProvider()).listRooms(input: ListRoomsInput())
            XCTFail("expected Credentials")
        } catch let IvschatError.Credentials(meta) {
            XCTAssertTrue(meta.message.contains("no Cognito session"))
        }
    }

    /// UniFFI 0.32's Swift async calls do not react to `Task.cancel()` (uniffiRustCallAsync waits
    /// on an unsafe continuation without a cancellation handler), unlike Kotlin where cancelling the
    /// coroutine drops the Rust future. A Swift app bounds a call with `readTimeout` /
    /// `operationTimeout` instead; this checks that bound.
    func testTimeoutBoundsAStalledCall() async throws {
        let emulator = try Emulator()
        let status = try await emulator.post("/_emulator/script",
            #"{"responses": [{"action": "stall", "ms": 10000, "status": 200, "headers": {}, "body": "{}"}]}"#)
        XCTAssertEqual(status, 200)
        let client = try emulator.client(maxAttempts: 1, readTimeout: 0.3)
        let started = Date()
        do {
            _ = try await client.getRoom(input: GetRoomInput(identifier: missingRoom))
            XCTFail("expected Timeout")
        } catch let IvschatError.Timeout(meta) {
            XCTAssertEqual(meta.code, "Timeout")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)
    }

    /// ChatRoom against ivschat-local: join, send, receive through the AsyncStream, refusals.
    func testChatRoom() async throws {
        let emulator = try Emulator()
        let client = try emulator.client()
        let arn = try XCTUnwrap(try await client.createRoom(input: CreateRoomInput(maximumMessageLength: 20)).arn)
        func tokens(_ user: String, _ capabilities: [ChatTokenCapability]) -> ChatTokenClosure {
            ChatTokenClosure {
                let out = try await client.createChatToken(input: CreateChatTokenInput(
                    roomIdentifier: arn, userId: user, capabilities: capabilities))
                return ChatToken(token: out.token!, sessionExpirationTime: out.sessionExpirationTime,
                                 tokenExpirationTime: out.tokenExpirationTime)
            }
        }
        let url = emulator.endpointUrl.replacingOccurrences(of: "http://", with: "ws://")
        let alice = try ChatRoom(regionOrUrl: url, tokenProvider: tokens("alice", [.sendMessage]))
        let bob = try ChatRoom(regionOrUrl: url, tokenProvider: tokens("bob", []))
        let bobEvents = bob.events()
        try await alice.connect()
        try await bob.connect()
        XCTAssertEqual(alice.state(), .connected)
        let sent = try await alice.sendMessage(request: SendMessageRequest(content: "hi bob", attributes: ["k": "v"]))
        XCTAssertEqual(sent.sender.userId, "alice")
        var received: ChatMessage?
        for await event in bobEvents {
            if case let .message(message) = event { received = message; break }
        }
        XCTAssertEqual(received?.id, sent.id)
        XCTAssertEqual(received?.attributes, ["k": "v"])
        do {
            _ = try await bob.sendMessage(request: SendMessageRequest(content: "no capability"))
            XCTFail("expected a refusal")
        } catch let ChatRoomError.Chat(error) {
            XCTAssertEqual(error.code, 403)
        }
        do {
            _ = try await alice.sendMessage(request: SendMessageRequest(content: String(repeating: "x", count: 21)))
            XCTFail("expected a refusal")
        } catch let ChatRoomError.Chat(error) {
            XCTAssertEqual(error.code, 413)
        }
        await alice.disconnect()
        await bob.disconnect()
        XCTAssertEqual(alice.lastDisconnectReason(), .clientDisconnect)
    }
}
