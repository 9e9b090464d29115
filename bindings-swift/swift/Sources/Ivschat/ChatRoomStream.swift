import Foundation

/// A token provider from an async closure:
///
///     let room = try ChatRoom(regionOrUrl: "us-west-2", tokenProvider: ChatTokenClosure { try await backend.chatToken() })
public final class ChatTokenClosure: ChatTokenProvider, @unchecked Sendable {
    private let fetch: @Sendable () async throws -> ChatToken

    public init(_ fetch: @escaping @Sendable () async throws -> ChatToken) {
        self.fetch = fetch
    }

    public func getChatToken() async throws -> ChatToken {
        try await fetch()
    }
}

extension ChatRoom {
    /// A room in an AWS region, as the official iOS SDK's `ChatRoom(awsRegion:tokenProvider:)`.
    public convenience init(awsRegion: String, tokenProvider: ChatTokenProvider) throws {
        try self.init(regionOrUrl: awsRegion, tokenProvider: tokenProvider)
    }

    /// The room's events from this call on, as an `AsyncStream` (one subscription per call).
    public func events() -> AsyncStream<ChatRoomEvent> {
        let subscription = subscribe()
        return AsyncStream { continuation in
            let task = Task {
                while let event = await subscription.next() {
                    continuation.yield(event)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
