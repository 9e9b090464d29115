package dev.ivschat.test

import dev.ivschat.IvschatClient
import dev.ivschat.IvschatException
import dev.ivschat.ListLoggingConfigurationsInput
import dev.ivschat.ListRoomsInput
import dev.ivschat.OperationInput
import dev.ivschat.OperationOutput
import dev.ivschat.StaticCredentials
import dev.ivschat.operationInputFromJson
import dev.ivschat.operationOutputToJson
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonArray
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.contentOrNull
import kotlinx.serialization.json.intOrNull
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.longOrNull
import kotlinx.serialization.json.put
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File
import java.time.Duration
import java.time.OffsetDateTime
import java.time.ZoneOffset
import java.time.format.DateTimeFormatter

/**
 * The shared conformance suite (tests/conformance) through the Kotlin API: params become typed
 * input records, each call goes through its operation's own `suspend` method, outputs and errors
 * come back as records / `IvschatException` cases and are compared as neutral JSON.
 */
class ConformanceTest {
    private val language = "kotlin"
    private val timestampMembers = setOf("createTime", "updateTime", "tokenExpirationTime", "sessionExpirationTime")
    private val defaultCredentials = buildJsonObject { put("accessKeyId", "test"); put("secretAccessKey", "test") }

    private fun loadCases(): List<JsonObject> {
        val dir = File(System.getProperty("ivschat.conformance.dir") ?: "../../tests/conformance/cases")
        return dir.listFiles { f -> f.name.endsWith(".json") }!!.sortedBy { it.name }.flatMap { f ->
            Json.parseToJsonElement(f.readText()).jsonObject["cases"]!!.jsonArray.map { it.jsonObject }
        }
    }

    @Test
    fun conformance() {
        var passed = 0
        var failed = 0
        var skipped = 0
        val lines = mutableListOf<String>()
        Emulator.start().use { emulator ->
            val runner = Runner(emulator)
            for (case in loadCases()) {
                val id = case["id"]!!.jsonPrimitive.content
                val skip = (case["skip"] as? JsonObject)?.get(language)
                if (skip != null) {
                    skipped++
                    lines += "skip $id: ${skip.jsonPrimitive.content}"
                    continue
                }
                val failure = try {
                    runBlocking { runner.run(case) }
                } catch (e: Throwable) {
                    "unexpected ${e::class.simpleName}: ${e.message}"
                }
                if (failure == null) passed++ else {
                    failed++
                    lines += "FAIL $id: $failure"
                }
            }
        }
        val summary = "conformance: $passed passed, $failed failed, $skipped skipped"
        lines.forEach(::println)
        println(summary)
        File("target/conformance-kotlin.txt").writeText((lines + summary).joinToString("\n") + "\n")
        assertEquals(0, failed, "conformance failures:\n" + lines.filter { it.startsWith("FAIL") }.joinToString("\n"))
        assertTrue(passed >= 250, "only $passed cases ran")
    }

    private inner class Runner(val emulator: Emulator) {
        fun script(responses: JsonElement, credentials: JsonObject) {
            val body = buildJsonObject { put("responses", responses); put("credentials", JsonArray(listOf(credentials))) }
            val status = emulator.post("/_emulator/script", body.toString())
            check(status in 200..299) { "script upload failed: $status" }
        }

        fun recorded(): List<JsonObject> =
            Json.parseToJsonElement(emulator.get("/_emulator/script/requests")).jsonObject["requests"]!!.jsonArray.map { it.jsonObject }

        fun client(credentials: JsonObject, maxAttempts: Int, readTimeoutMs: Long? = null): IvschatClient = IvschatClient(
            dev.ivschat.IvschatConfig(
                region = "us-east-1",
                credentialsProvider = StaticCredentials(
                    credentials["accessKeyId"]!!.jsonPrimitive.content,
                    credentials["secretAccessKey"]!!.jsonPrimitive.content,
                    credentials["sessionToken"]?.jsonPrimitive?.contentOrNull,
                ),
                endpointUrl = emulator.endpointUrl,
                maxAttempts = maxAttempts.toUInt(),
                initialBackoff = Duration.ofMillis(1),
                readTimeout = readTimeoutMs?.let { Duration.ofMillis(it) },
            ),
        )

        suspend fun run(case: JsonObject): String? {
            val credentials = case["credentials"] as? JsonObject ?: defaultCredentials
            val operation = case["operation"]!!.jsonPrimitive.content
            val input = operationInputFromJson(operation, case["params"].toString())
            val then = case["then"] as? JsonObject
            when (val kind = case["kind"]!!.jsonPrimitive.content) {
                "request" -> {
                    script(Json.parseToJsonElement("""[{"status": 200, "headers": {"content-type": "application/json"}, "body": "{}"}]"""), credentials)
                    try { dispatch(client(credentials, 3), input) } catch (_: IvschatException) {}
                    val request = recorded().firstOrNull() ?: return "no request arrived"
                    return checkRequest(request, case["expect"]!!.jsonObject)
                }
                "response" -> {
                    script(JsonArray(listOf(case["response"]!!)), credentials)
                    return compare(then!!, outcome(client(credentials, 1), input))
                }
                "behaviour" -> {
                    script(case["responses"]!!, credentials)
                    val config = case["config"] as? JsonObject
                    val max = config?.get("maxAttempts")?.jsonPrimitive?.intOrNull ?: 3
                    val readTimeout = config?.get("readTimeoutMs")?.jsonPrimitive?.longOrNull
                    compare(then!!, outcome(client(credentials, max, readTimeout), input))?.let { return it }
                    return expectEq("attempts", JsonPrimitive(recorded().size), then["attempts"])
                }
                "pagination" -> {
                    val pages = case["pages"]!!.jsonArray.map { it.jsonObject }
                    script(JsonArray(pages.map { it["response"]!! }), credentials)
                    val items = paginate(client(credentials, 1), input)
                    expectEq("items", JsonArray(items), then!!["items"])?.let { return it }
                    val requests = recorded()
                    expectEq("requests", JsonPrimitive(requests.size), then["requests"])?.let { return it }
                    for ((request, page) in requests.zip(pages)) {
                        expectEq("page request body", parseBody(request), page["params"])?.let { return it }
                    }
                    return null
                }
                else -> return "unknown kind $kind"
            }
        }
    }

    /** Items of every page, through the typed paginator objects, as neutral JSON. */
    private suspend fun paginate(client: IvschatClient, input: OperationInput): List<JsonElement> {
        val items = mutableListOf<JsonElement>()
        when (input) {
            is OperationInput.ListRooms -> {
                val pages = client.listRoomsPaginator(input.input)
                while (true) {
                    val page = pages.nextPage() ?: break
                    items += outputJson(OperationOutput.ListRooms(page))["rooms"]?.jsonArray.orEmpty()
                }
            }
            is OperationInput.ListLoggingConfigurations -> {
                val pages = client.listLoggingConfigurationsPaginator(input.input)
                while (true) {
                    val page = pages.nextPage() ?: break
                    items += outputJson(OperationOutput.ListLoggingConfigurations(page))["loggingConfigurations"]?.jsonArray.orEmpty()
                }
            }
            else -> error("$input does not paginate")
        }
        return items
    }

    private fun outputJson(output: OperationOutput): JsonObject =
        neutral(Json.parseToJsonElement(operationOutputToJson(output))).jsonObject

    private suspend fun outcome(client: IvschatClient, input: OperationInput): JsonObject = try {
        val output = dispatch(client, input)
        buildJsonObject { put("output", outputJson(output)) }
    } catch (e: IvschatException) {
        buildJsonObject {
            put("error", buildJsonObject {
                put("code", e.code())
                put("message", e.errorMessage())
                put("status", e.httpStatus()?.toInt() ?: 0)
                put("fields", errorFields(e))
                e.requestId()?.let { put("requestId", it) }
            })
        }
    }

    private fun parseBody(request: JsonObject): JsonElement {
        val text = request["body"]?.jsonPrimitive?.contentOrNull
        if (text.isNullOrEmpty()) return JsonNull
        return try { Json.parseToJsonElement(text) } catch (_: Exception) { JsonPrimitive(text) }
    }

    private fun checkRequest(r: JsonObject, e: JsonObject): String? {
        expectEq("method", r["method"], e["method"])?.let { return it }
        expectEq("path", r["path"], e["path"])?.let { return it }
        expectEq("query", r["query"], e["query"])?.let { return it }
        val headers = r["headers"]!!.jsonObject
        for ((name, value) in e["headers"]!!.jsonObject) {
            expectEq("header $name", headers[name], value)?.let { return it }
        }
        for (name in e["forbidHeaders"]!!.jsonArray) {
            val n = name.jsonPrimitive.content
            if (headers[n] != null && headers[n] != JsonNull) return "header $n must be absent, found ${headers[n]}"
        }
        val signature = r["signature"]!!.jsonObject
        if (signature["valid"] != JsonPrimitive(true)) return "signature rejected by the emulator: $signature"
        expectEq("signedHeaders", signature["signedHeaders"], e["signedHeaders"])?.let { return it }
        return expectEq("body", parseBody(r), e["body"])
    }

    private fun compare(expected: JsonObject, actual: JsonObject): String? {
        expected["output"]?.let { return expectEq("outcome", actual, buildJsonObject { put("output", it) }) }
        val e = expected["error"]!!.jsonObject
        val a = actual["error"] as? JsonObject ?: return "expected error $e, got $actual"
        for (key in listOf("code", "status", "fields")) expectEq(key, a[key], e[key])?.let { return it }
        if (e["requestId"] != null) expectEq("requestId", a["requestId"], e["requestId"])?.let { return it }
        val code = e["code"]!!.jsonPrimitive.content
        if (code !in setOf("Timeout", "ConnectionError", "ResponseParseError")) {
            expectEq("message", a["message"], e["message"])?.let { return it }
        }
        return null
    }

    private fun expectEq(what: String, actual: JsonElement?, expected: JsonElement?): String? =
        if (actual == expected) null else "$what: expected $expected, got $actual"

    /** Timestamps to `YYYY-MM-DDTHH:MM:SS.ffffffZ` (microseconds, truncated). */
    private fun neutral(value: JsonElement): JsonElement = when (value) {
        is JsonObject -> JsonObject(value.mapValues { (k, v) ->
            if (k in timestampMembers && v is JsonPrimitive && v.isString) JsonPrimitive(neutralTime(v.content)) else neutral(v)
        })
        is JsonArray -> buildJsonArray { value.forEach { add(neutral(it)) } }
        else -> value
    }

    private fun neutralTime(text: String): String {
        val t = OffsetDateTime.parse(text).withOffsetSameInstant(ZoneOffset.UTC)
        return DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").format(t) + "." + "%06d".format(t.nano / 1000) + "Z"
    }
}
