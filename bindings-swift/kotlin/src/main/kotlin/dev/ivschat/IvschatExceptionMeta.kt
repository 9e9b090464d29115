package dev.ivschat

/**
 * Code, message, request id, HTTP status and retryability of any [IvschatException], so a
 * `catch (e: IvschatException)` reads `e.meta.requestId` as the cases do (UniFFI's generated
 * base class has no fields of its own).
 */
val IvschatException.meta: ErrorMetadata get() = metadata()
