package dev.ivschat

/**
 * Credentials that never change: the simple [CredentialsProvider].
 *
 * ```kotlin
 * val client = IvschatClient(IvschatConfig(region = "us-east-1", credentialsProvider = StaticCredentials("AKIA...", "secret")))
 * ```
 */
class StaticCredentials(
    accessKeyId: String,
    secretAccessKey: String,
    sessionToken: String? = null,
) : CredentialsProvider {
    private val credentials = Credentials(accessKeyId, secretAccessKey, sessionToken, null)

    override suspend fun provideCredentials(): Credentials = credentials

    override fun toString(): String = "StaticCredentials(accessKeyId=${credentials.accessKeyId})"
}
