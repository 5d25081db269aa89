package dev.harness.sample

import org.json.JSONArray
import org.json.JSONException
import org.json.JSONObject

/** A control call's arguments were missing or had the wrong type: answered as `bad_arguments`. */
class BadArguments(message: String) : Exception(message)

/**
 * Typed access to the JSON arguments of a control call.
 *
 * Every accessor names the key in its error, so the harness can say which argument was wrong.
 * Keys that a method does not read are ignored, as the contract says.
 */
class Args(val json: JSONObject) {

    fun has(key: String): Boolean = json.has(key) && !json.isNull(key)

    fun string(key: String): String =
        optString(key) ?: throw BadArguments("'$key' is required (a string)")

    fun optString(key: String): String? {
        if (!has(key)) return null
        val value = json.get(key)
        if (value !is String) throw BadArguments("'$key' must be a string, not ${typeName(value)}")
        return value
    }

    fun string(key: String, default: String): String = optString(key) ?: default

    fun optLong(key: String): Long? {
        if (!has(key)) return null
        return when (val value = json.get(key)) {
            is Int -> value.toLong()
            is Long -> value
            is Double -> {
                if (value.isNaN() || value.isInfinite() || value != Math.floor(value)) {
                    throw BadArguments("'$key' must be an integer, not $value")
                }
                value.toLong()
            }
            else -> throw BadArguments("'$key' must be an integer, not ${typeName(value)}")
        }
    }

    fun long(key: String): Long = optLong(key) ?: throw BadArguments("'$key' is required (an integer)")

    fun long(key: String, default: Long): Long = optLong(key) ?: default

    fun nonNegativeLong(key: String, default: Long): Long {
        val value = long(key, default)
        if (value < 0) throw BadArguments("'$key' must not be negative, not $value")
        return value
    }

    fun optInt(key: String): Int? {
        val value = optLong(key) ?: return null
        if (value < Int.MIN_VALUE || value > Int.MAX_VALUE) {
            throw BadArguments("'$key' is out of range for an int: $value")
        }
        return value.toInt()
    }

    fun int(key: String): Int = optInt(key) ?: throw BadArguments("'$key' is required (an integer)")

    fun int(key: String, default: Int): Int = optInt(key) ?: default

    fun bool(key: String, default: Boolean): Boolean {
        if (!has(key)) return default
        val value = json.get(key)
        if (value !is Boolean) throw BadArguments("'$key' must be true or false, not ${typeName(value)}")
        return value
    }

    fun optObject(key: String): Args? {
        if (!has(key)) return null
        val value = json.get(key)
        if (value !is JSONObject) throw BadArguments("'$key' must be an object, not ${typeName(value)}")
        return Args(value)
    }

    fun optArray(key: String): JSONArray? {
        if (!has(key)) return null
        val value = json.get(key)
        if (value !is JSONArray) throw BadArguments("'$key' must be a list, not ${typeName(value)}")
        return value
    }

    fun stringList(key: String): List<String> {
        val array = optArray(key) ?: return emptyList()
        return (0 until array.length()).map { i ->
            val item = array.get(i)
            if (item !is String) throw BadArguments("'$key' must hold strings; item $i is ${typeName(item)}")
            item
        }
    }

    fun objectList(key: String): List<Args> {
        val array = optArray(key) ?: throw BadArguments("'$key' is required (a list of objects)")
        return (0 until array.length()).map { i ->
            val item = array.get(i)
            if (item !is JSONObject) throw BadArguments("'$key' must hold objects; item $i is ${typeName(item)}")
            Args(item)
        }
    }

    /** One of [choices] (the keys), mapped to its value; [default] when the key is absent. */
    fun <T> choice(key: String, default: String?, choices: Map<String, T>): T {
        val name = optString(key) ?: default ?: throw BadArguments("'$key' is required")
        return choices[name]
            ?: throw BadArguments("'$key' must be one of ${choices.keys.joinToString()}, not '$name'")
    }

    companion object {
        fun parse(arg: String?): Args {
            if (arg.isNullOrBlank()) return Args(JSONObject())
            return try {
                Args(JSONObject(arg))
            } catch (e: JSONException) {
                throw BadArguments("the argument is not a JSON object: ${e.message}")
            }
        }

        fun typeName(value: Any?): String = when (value) {
            null, JSONObject.NULL -> "null"
            is String -> "a string"
            is Boolean -> "a boolean"
            is Int, is Long -> "an integer"
            is Double -> "a number"
            is JSONObject -> "an object"
            is JSONArray -> "a list"
            else -> value.javaClass.simpleName
        }
    }
}

/** Results of control calls: JSON objects with `ok`, and `error` and `message` on failure. */
object Results {
    fun ok(vararg fields: Pair<String, Any?>): JSONObject {
        val result = JSONObject().put("ok", true)
        for ((key, value) in fields) result.put(key, JSONObject.wrap(value) ?: JSONObject.NULL)
        return result
    }

    fun error(code: String, message: String? = null, vararg fields: Pair<String, Any?>): JSONObject {
        val result = JSONObject().put("ok", false).put("error", code)
        if (message != null) result.put("message", message)
        for ((key, value) in fields) result.put(key, JSONObject.wrap(value) ?: JSONObject.NULL)
        return result
    }
}

/** A JSON object from pairs; lists, maps and nested objects are wrapped. */
fun jsonOf(vararg fields: Pair<String, Any?>): JSONObject {
    val json = JSONObject()
    for ((key, value) in fields) {
        if (value != null) json.put(key, JSONObject.wrap(value) ?: JSONObject.NULL)
    }
    return json
}
