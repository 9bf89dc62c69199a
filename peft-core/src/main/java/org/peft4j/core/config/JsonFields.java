package org.peft4j.core.config;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Typed reads of adapter_config.json fields. A missing or JSON-null field yields the default; a field
 * of the wrong type is an {@link IllegalArgumentException} that names the field, what was found and
 * what is expected. Every field read is recorded so that unknown fields can be reported.
 */
public final class JsonFields {

    private final JsonObject json;
    private final Set<String> read = new java.util.HashSet<>();

    /**
     * Wraps a JSON object.
     *
     * @param json the config object
     */
    public JsonFields(JsonObject json) {
        this.json = json;
    }

    private JsonElement get(String field) {
        read.add(field);
        JsonElement e = json.get(field);
        return e == null || e.isJsonNull() ? null : e;
    }

    /**
     * Marks fields as known without reading them (fields PEFT writes that we accept and ignore).
     *
     * @param fields the names
     */
    public void accept(String... fields) {
        read.addAll(List.of(fields));
    }

    /**
     * Returns whether the field is present and not null.
     *
     * @param field the name
     * @return presence
     */
    public boolean has(String field) {
        return get(field) != null;
    }

    /**
     * Returns the raw element (null when missing).
     *
     * @param field the name
     * @return the element or null
     */
    public JsonElement raw(String field) {
        return get(field);
    }

    /**
     * Reads a string.
     *
     * @param field the name
     * @param dflt the default
     * @return the value
     */
    public String string(String field, String dflt) {
        JsonElement e = get(field);
        if (e == null) {
            return dflt;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw bad(field, e, "a string");
        }
        return e.getAsString();
    }

    /**
     * Reads an integer.
     *
     * @param field the name
     * @param dflt the default
     * @return the value
     */
    public int integer(String field, int dflt) {
        JsonElement e = get(field);
        if (e == null) {
            return dflt;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw bad(field, e, "an integer");
        }
        double d = e.getAsDouble();
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw bad(field, e, "an integer");
        }
        return (int) d;
    }

    /**
     * Reads a number.
     *
     * @param field the name
     * @param dflt the default
     * @return the value
     */
    public double number(String field, double dflt) {
        JsonElement e = get(field);
        if (e == null) {
            return dflt;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw bad(field, e, "a number");
        }
        return e.getAsDouble();
    }

    /**
     * Reads a boolean.
     *
     * @param field the name
     * @param dflt the default
     * @return the value
     */
    public boolean bool(String field, boolean dflt) {
        JsonElement e = get(field);
        if (e == null) {
            return dflt;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw bad(field, e, "true or false");
        }
        return e.getAsBoolean();
    }

    /**
     * Reads a list of strings; a single string is accepted as a one-element list.
     *
     * @param field the name
     * @return the list, or null when missing
     */
    public List<String> stringList(String field) {
        JsonElement e = get(field);
        if (e == null) {
            return null;
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            return List.of(e.getAsString());
        }
        if (!e.isJsonArray()) {
            throw bad(field, e, "a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonElement x : e.getAsJsonArray()) {
            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isString()) {
                throw bad(field, e, "a list of strings");
            }
            out.add(x.getAsString());
        }
        return out;
    }

    /**
     * Reads a list of integers; a single integer is accepted as a one-element list.
     *
     * @param field the name
     * @return the list, or null when missing
     */
    public List<Integer> intList(String field) {
        JsonElement e = get(field);
        if (e == null) {
            return null;
        }
        JsonArray arr;
        if (e.isJsonPrimitive()) {
            arr = new JsonArray();
            arr.add(e);
        } else if (e.isJsonArray()) {
            arr = e.getAsJsonArray();
        } else {
            throw bad(field, e, "an integer or a list of integers");
        }
        List<Integer> out = new ArrayList<>();
        for (JsonElement x : arr) {
            // range-checked as a double: getAsInt() would wrap 1e10 to 1410065408 and 1e9999 to 0
            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber() || x.getAsDouble() != Math.rint(x.getAsDouble())
                    || Math.abs(x.getAsDouble()) > Integer.MAX_VALUE) {
                throw bad(field, e, "an integer or a list of integers");
            }
            out.add((int) x.getAsDouble());
        }
        return out;
    }

    /**
     * Reads an object of numbers, keeping key order.
     *
     * @param field the name
     * @return the map (empty when missing)
     */
    public Map<String, Double> numberMap(String field) {
        JsonElement e = get(field);
        Map<String, Double> out = new LinkedHashMap<>();
        if (e == null) {
            return out;
        }
        if (!e.isJsonObject()) {
            throw bad(field, e, "an object of numbers");
        }
        for (Map.Entry<String, JsonElement> x : e.getAsJsonObject().entrySet()) {
            if (!x.getValue().isJsonPrimitive() || !x.getValue().getAsJsonPrimitive().isNumber()) {
                throw new IllegalArgumentException(field + "." + x.getKey() + ": expected a number, got " + x.getValue());
            }
            out.put(x.getKey(), x.getValue().getAsDouble());
        }
        return out;
    }

    /**
     * Returns the fields present in the JSON that no read or {@link #accept} has named.
     *
     * @return unknown field names, sorted
     */
    public List<String> unknownFields() {
        List<String> out = new ArrayList<>();
        for (String k : json.keySet()) {
            if (!read.contains(k)) {
                out.add(k);
            }
        }
        out.sort(null);
        return out;
    }

    private static IllegalArgumentException bad(String field, JsonElement e, String expected) {
        return new IllegalArgumentException(field + ": expected " + expected + ", got " + e);
    }

    /**
     * Helper for writers: a JSON number that prints integers without a fraction.
     *
     * @param v the value
     * @return the primitive
     */
    public static JsonPrimitive number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return new JsonPrimitive((long) v);
        }
        return new JsonPrimitive(v);
    }
}
