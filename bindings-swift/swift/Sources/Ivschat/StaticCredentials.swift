import Foundation

/// Credentials that never change: the simple `CredentialsProvider`.
///
///     let client = try IvschatClient(config: IvschatConfig(
///         region: "us-east-1", credentialsProvider: StaticCredentials(accessKeyId: "AKIA...", secretAccessKey: "...")))
public final class StaticCredentials: CredentialsProvider, @unchecked Sendable {
    private let credentials: Credentials

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        credentials = Credentials(
            accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, sessionToken: sessionToken, expiration: nil)
    }

    public func provideCredentials() async throws -> Credentials {
        credentials
    }
}
