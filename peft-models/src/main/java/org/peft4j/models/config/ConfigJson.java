package org.peft4j.models.config;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A Hugging Face {@code config.json} object with typed, optional field reads. Every failed read
 * throws a {@link ModelConfigException} naming the source (a file or "config"), the field and the
 * value found. Fields that are absent or JSON {@code null} take the given default; fields the model
 * does not know are never read and so are ignored.
 */
public final class ConfigJson {

    private final JsonObject object;
    private final String source;

    private ConfigJson(JsonObject object, String source) {
        this.object = object;
        this.source = source;
    }

    /**
     * Parses JSON text.
     *
     * @param json the text of a JSON object
     * @param source where it came from, for error messages (a file name)
     * @return the parsed object
     * @throws ModelConfigException if the text is not a JSON object
     */
    public static ConfigJson parse(String json, String source) {
        try {
            JsonElement element = JsonParser.parseString(json);
            if (!element.isJsonObject()) {
                throw new ModelConfigException(source + ": expected a JSON object, got " + kind(element));
            }
            return new ConfigJson(element.getAsJsonObject(), source);
        } catch (JsonParseException e) {
            throw new ModelConfigException(source + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Reads and parses a file.
     *
     * @param file a {@code config.json}
     * @return the parsed object
     * @throws ModelConfigException if the file cannot be read or is not a JSON object
     */
    public static ConfigJson read(Path file) {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new ModelConfigException("cannot read model config " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Returns the source named in error messages.
     *
     * @return a file name or label
     */
    public String source() {
        return source;
    }

    /**
     * Returns a deep copy of the underlying object.
     *
     * @return the JSON object
     */
    public JsonObject object() {
        return object.deepCopy();
    }

    /**
     * Returns whether a field is present, {@code null} included.
     *
     * @param field the field name
     * @return whether the object has the key
     */
    public boolean hasKey(String field) {
        return object.has(field);
    }

    /**
     * Returns whether a field is present and not {@code null}.
     *
     * @param field the field name
     * @return whether it has a value
     */
    public boolean has(String field) {
        return object.has(field) && !object.get(field).isJsonNull();
    }

    /**
     * Reads an integer field.
     *
     * @param field the field name
     * @param defaultValue the value when absent or null
     * @return the value
     */
    public int getInt(String field, int defaultValue) {
        if (!has(field)) {
            return defaultValue;
        }
        JsonElement e = object.get(field);
        try {
            double d = e.getAsDouble();
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber() || d != Math.rint(d)
                    || Math.abs(d) > Integer.MAX_VALUE) {
                throw new NumberFormatException();
            }
            return (int) d;
        } catch (RuntimeException ex) {
            throw invalid(field, e, "an integer");
        }
    }

    /**
     * Reads a number field.
     *
     * @param field the field name
     * @param defaultValue the value when absent or null
     * @return the value
     */
    public double getDouble(String field, double defaultValue) {
        if (!has(field)) {
            return defaultValue;
        }
        JsonElement e = object.get(field);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw invalid(field, e, "a number");
        }
        return e.getAsDouble();
    }

    /**
     * Reads a string field.
     *
     * @param field the field name
     * @param defaultValue the value when absent or null
     * @return the value
     */
    public String getString(String field, String defaultValue) {
        if (!has(field)) {
            return defaultValue;
        }
        JsonElement e = object.get(field);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw invalid(field, e, "a string");
        }
        return e.getAsString();
    }

    /**
     * Reads a boolean field.
     *
     * @param field the field name
     * @param defaultValue the value when absent or null
     * @return the value
     */
    public boolean getBoolean(String field, boolean defaultValue) {
        if (!has(field)) {
            return defaultValue;
        }
        JsonElement e = object.get(field);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw invalid(field, e, "true or false");
        }
        return e.getAsBoolean();
    }

    /**
     * Reads a field that holds one integer or an array of integers (such as {@code eos_token_id}).
     *
     * @param field the field name
     * @return the values; empty when absent or null
     */
    public List<Integer> getIntList(String field) {
        if (!has(field)) {
            return List.of();
        }
        JsonElement e = object.get(field);
        if (!e.isJsonArray()) {
            return List.of(getInt(field, 0));
        }
        List<Integer> out = new ArrayList<>();
        for (JsonElement item : e.getAsJsonArray()) {
            if (!item.isJsonPrimitive() || !item.getAsJsonPrimitive().isNumber()
                    || item.getAsDouble() != Math.rint(item.getAsDouble())) {
                throw invalid(field, e, "an integer or an array of integers");
            }
            out.add(item.getAsInt());
        }
        return List.copyOf(out);
    }

    /**
     * Reads an object field.
     *
     * @param field the field name
     * @return the object, or null when absent or null
     */
    public ConfigJson getObject(String field) {
        if (!has(field)) {
            return null;
        }
        JsonElement e = object.get(field);
        if (!e.isJsonObject()) {
            throw invalid(field, e, "a JSON object");
        }
        return new ConfigJson(e.getAsJsonObject(), source + " field '" + field + "'");
    }

    /**
     * Returns the names of the fields, in file order.
     *
     * @return the field names
     */
    public Set<String> fieldNames() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(object.keySet()));
    }

    /**
     * Builds the exception for a field whose value is out of the allowed range.
     *
     * @param field the field name
     * @param value the value found
     * @param allowed the values allowed, in words
     * @return the exception to throw
     */
    public ModelConfigException outOfRange(String field, Object value, String allowed) {
        return new ModelConfigException(source + ": field '" + field + "' is " + value + "; allowed: " + allowed);
    }

    private ModelConfigException invalid(String field, JsonElement e, String expected) {
        return new ModelConfigException(
                source + ": field '" + field + "' must be " + expected + ", got " + kind(e) + " " + e);
    }

    private static String kind(JsonElement e) {
        if (e.isJsonObject()) {
            return "an object";
        }
        if (e.isJsonArray()) {
            return "an array";
        }
        if (e.isJsonNull()) {
            return "null";
        }
        return "a " + (e.getAsJsonPrimitive().isString() ? "string" : e.getAsJsonPrimitive().isNumber() ? "number" : "boolean");
    }
}
