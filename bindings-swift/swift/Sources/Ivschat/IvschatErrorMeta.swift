import Foundation

extension IvschatError {
    /// Code, message, request id, HTTP status and retryability of any case.
    public var meta: ErrorMetadata { metadata() }
}
