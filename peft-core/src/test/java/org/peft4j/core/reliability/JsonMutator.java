package org.peft4j.core.reliability;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;

/**
 * Seeded mutations of a valid JSON document (a config or an index file): byte flips, truncations, inserted,
 * deleted and duplicated bytes; and, on the parsed tree, values of the wrong type, huge and special numbers, hostile
 * strings, deep nesting, missing, duplicated, renamed and unknown fields. {@link #everyFieldEveryType} gives every
 * top-level field every JSON type in turn.
 */
public final class JsonMutator {

    /**
     * One mutated document.
     *
     * @param label what was done
     * @param bytes the document
     */
    public record Mutation(String label, byte[] bytes) {
    }

    /** One value of each JSON type (and the empty and one-element containers). */
    public static final List<String> TYPE_PALETTE = List.of("\"text\"", "\"\"", "0", "-1", "1.5", "true", "false",
            "null", "[]", "[1]", "[\"x\"]", "[null]", "{}", "{\"x\":1}", "{\"x\":\"y\"}");

    /** Numbers at and beyond every limit a reader might have, and the non-JSON literals lenient parsers take. */
    public static final List<String> NUMBER_PALETTE = List.of("1e309", "-1e309", "1e-400", "9223372036854775807",
            "9223372036854775808", "-9223372036854775809", "2147483647", "2147483648", "-2147483649", "4294967297",
            "1e10", "-0", "-0.0", "0.5", "2.5", "1e9999", "1e10000", "-1e99999", "1e2147483648",
            "123456789012345678901234567890", "0.1e-2147483647", "NaN", "Infinity", "-Infinity", "0x10", "01",
            "1" + "0".repeat(20_000), "0." + "0".repeat(20_000) + "1");

    /** Strings that break regexes, paths, encodings and sizes. */
    public static final List<String> STRING_PALETTE = List.of("\"a\\u0000b\"", "\"\\ud800\"", "\"\\udfff\\ud800\"",
            "\"(\"", "\"[\"", "\"*\"", "\"(a+)+$\"", "\"\\\\\"", "\"../x\"", "\"/etc/passwd\"", "\"\u65e5\u672c\"",
            "\"ALL-LINEAR\"", "\"all-linear\"", "\".*\"", "\"\\n\"", "\" \"", "\"LORA\"", "\"lora\"",
            "\"" + "x".repeat(100_000) + "\"", "[" + "\"q\",".repeat(20_000) + "\"q\"]");

    private static final int[] NESTING_DEPTHS = {64, 256, 300, 5_000, 100_000};
    private static final byte[][] TOKENS = {bytes("{"), bytes("}"), bytes("["), bytes("]"), bytes("\""), bytes(","),
        bytes(":"), bytes("\\"), bytes("null"), bytes("-"), bytes("1e999"), {0}, bytes("\uFEFF"), {(byte) 0xC0},
        {(byte) 0xFF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, bytes("/*"), bytes("'")};
    private static final String MARKER = "@@fuzz-slot@@";
    private static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

    private JsonMutator() {
    }

    /**
     * Every top-level field replaced, one at a time, by every value of {@link #TYPE_PALETTE} (most of them a wrong
     * type for that field).
     *
     * @param json a valid JSON object
     * @return the documents, labelled by field and value
     */
    public static List<Mutation> everyFieldEveryType(String json) {
        List<Mutation> out = new ArrayList<>();
        JsonObject root = JsonParser.parseString(json).getAsJsonObject();
        for (String field : new ArrayList<>(root.keySet())) {
            for (String value : TYPE_PALETTE) {
                JsonObject copy = root.deepCopy();
                copy.add(field, new JsonPrimitive(MARKER));
                out.add(new Mutation(field + " set to " + value, render(copy, value)));
            }
        }
        return out;
    }

    /**
     * One random mutation of a valid document.
     *
     * @param json a valid JSON object
     * @param random the source of choices
     * @return the mutated document
     */
    public static Mutation mutate(String json, Random random) {
        byte[] valid = bytes(json);
        JsonElement root = JsonParser.parseString(json);
        switch (random.nextInt(15)) {
            case 0: {
                byte[] b = valid.clone();
                int flips = 1 + random.nextInt(4);
                for (int i = 0; i < flips; i++) {
                    b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
                }
                return new Mutation(flips + " bit flips", b);
            }
            case 1: {
                int length = random.nextInt(valid.length);
                return new Mutation("truncated to " + length + " bytes", Arrays.copyOf(valid, length));
            }
            case 2: {
                int at = random.nextInt(valid.length + 1);
                byte[] token = TOKENS[random.nextInt(TOKENS.length)];
                byte[] b = new byte[valid.length + token.length];
                System.arraycopy(valid, 0, b, 0, at);
                System.arraycopy(token, 0, b, at, token.length);
                System.arraycopy(valid, at, b, at + token.length, valid.length - at);
                return new Mutation("token " + Arrays.toString(token) + " inserted at " + at, b);
            }
            case 3: {
                int from = random.nextInt(valid.length);
                int to = Math.min(valid.length, from + 1 + random.nextInt(16));
                byte[] b = new byte[valid.length - (to - from)];
                System.arraycopy(valid, 0, b, 0, from);
                System.arraycopy(valid, to, b, from, valid.length - to);
                return new Mutation("bytes [" + from + ", " + to + ") deleted", b);
            }
            case 4: {
                int from = random.nextInt(valid.length);
                int to = Math.min(valid.length, from + 1 + random.nextInt(16));
                byte[] b = new byte[valid.length + (to - from)];
                System.arraycopy(valid, 0, b, 0, to);
                System.arraycopy(valid, from, b, to, valid.length - from);
                return new Mutation("bytes [" + from + ", " + to + ") duplicated", b);
            }
            case 5:
                return replaceRandomSlot(root, random, pick(TYPE_PALETTE, random), path -> true);
            case 6:
                return replaceRandomSlot(root, random, pick(NUMBER_PALETTE, random), path -> true);
            case 7:
                return replaceRandomSlot(root, random, pick(STRING_PALETTE, random), path -> true);
            case 8: {
                int depth = NESTING_DEPTHS[random.nextInt(NESTING_DEPTHS.length)];
                String nested = random.nextBoolean() ? "[".repeat(depth) + "1" + "]".repeat(depth)
                        : "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
                Mutation m = replaceRandomSlot(root, random, nested, path -> true);
                return new Mutation("nesting " + depth + " deep: " + m.label(), m.bytes());
            }
            case 9:
                return removeRandomField(root, random);
            case 10: {
                if (!root.isJsonObject() || root.getAsJsonObject().isEmpty()) {
                    return new Mutation("unchanged", valid);
                }
                List<String> keys = new ArrayList<>(root.getAsJsonObject().keySet());
                String key = keys.get(random.nextInt(keys.size()));
                String value = pick(TYPE_PALETTE, random);
                String text = "{" + GSON.toJson(key) + ":" + value + "," + GSON.toJson(root).substring(1);
                return new Mutation("duplicate key " + key + " (first value " + value + ")", bytes(text));
            }
            case 11: {
                JsonObject copy = root.getAsJsonObject().deepCopy();
                String value = pick(TYPE_PALETTE, random);
                copy.add("fuzz_field_" + random.nextInt(1000), new JsonPrimitive(MARKER));
                return new Mutation("unknown field with " + value, render(copy, value));
            }
            case 12: {
                List<String> documents = List.of("", " ", "[]", "null", "\"x\"", "1", "{", "}", "[{}]", "{}",
                        "{\"\":null}", "\uFEFF{}", "{}{}");
                String doc = pick(documents, random);
                return new Mutation("whole document replaced by " + doc, bytes(doc));
            }
            case 13:
                return renameRandomKey(root, random);
            default: {
                int copies = 1 + random.nextInt(20_000);
                String list = "[" + "\"q\",".repeat(copies - 1) + "\"q\"]";
                Mutation m = replaceRandomSlot(root, random, list, path -> true);
                return new Mutation(copies + "-element list: " + m.label(), m.bytes());
            }
        }
    }

    /**
     * Replaces one value of the tree, chosen at random among those whose path passes {@code where}, by raw JSON
     * text (which may be invalid JSON, e.g. {@code NaN}).
     *
     * @param root the parsed document
     * @param random the source of choices
     * @param raw the replacement text
     * @param where which value paths (keys and indices from the root) may be replaced
     * @return the document; unchanged (and labelled so) if no path qualifies
     */
    public static Mutation replaceRandomSlot(JsonElement root, Random random, String raw,
            Predicate<List<String>> where) {
        List<List<String>> slots = new ArrayList<>();
        collect(root, new ArrayList<>(), slots);
        slots.removeIf(where.negate());
        if (slots.isEmpty()) {
            return new Mutation("unchanged", bytes(GSON.toJson(root)));
        }
        List<String> path = slots.get(random.nextInt(slots.size()));
        JsonElement copy = root.deepCopy();
        set(copy, path, new JsonPrimitive(MARKER));
        return new Mutation(path + " set to " + abbreviate(raw), render(copy, raw));
    }

    private static Mutation removeRandomField(JsonElement root, Random random) {
        List<List<String>> slots = new ArrayList<>();
        collect(root, new ArrayList<>(), slots);
        JsonElement copy = root.deepCopy();
        slots.removeIf(p -> !(parent(copy, p) instanceof JsonObject));
        if (slots.isEmpty()) {
            return new Mutation("unchanged", bytes(GSON.toJson(root)));
        }
        List<String> path = slots.get(random.nextInt(slots.size()));
        ((JsonObject) parent(copy, path)).remove(path.get(path.size() - 1));
        return new Mutation(path + " removed", bytes(GSON.toJson(copy)));
    }

    private static Mutation renameRandomKey(JsonElement root, Random random) {
        List<List<String>> slots = new ArrayList<>();
        collect(root, new ArrayList<>(), slots);
        JsonElement copy = root.deepCopy();
        slots.removeIf(p -> !(parent(copy, p) instanceof JsonObject));
        if (slots.isEmpty()) {
            return new Mutation("unchanged", bytes(GSON.toJson(root)));
        }
        List<String> path = slots.get(random.nextInt(slots.size()));
        String key = path.get(path.size() - 1);
        String renamed;
        switch (random.nextInt(5)) {
            case 0:
                renamed = key.toUpperCase(java.util.Locale.ROOT);
                break;
            case 1:
                renamed = "";
                break;
            case 2:
                renamed = key + "\u0000";
                break;
            case 3:
                renamed = key.isEmpty() ? "x" : key.substring(1);
                break;
            default:
                renamed = key + " ";
        }
        JsonObject parent = (JsonObject) parent(copy, path);
        JsonElement value = parent.remove(key);
        parent.add(renamed, value);
        return new Mutation(path + " renamed to " + GSON.toJson(renamed), bytes(GSON.toJson(copy)));
    }

    private static void collect(JsonElement e, List<String> path, List<List<String>> out) {
        if (e.isJsonObject()) {
            for (Map.Entry<String, JsonElement> entry : e.getAsJsonObject().entrySet()) {
                List<String> p = new ArrayList<>(path);
                p.add(entry.getKey());
                out.add(p);
                collect(entry.getValue(), p, out);
            }
        } else if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            for (int i = 0; i < a.size(); i++) {
                List<String> p = new ArrayList<>(path);
                p.add(Integer.toString(i));
                out.add(p);
                collect(a.get(i), p, out);
            }
        }
    }

    private static JsonElement parent(JsonElement root, List<String> path) {
        JsonElement e = root;
        for (int i = 0; i < path.size() - 1; i++) {
            e = e.isJsonObject() ? e.getAsJsonObject().get(path.get(i))
                    : e.getAsJsonArray().get(Integer.parseInt(path.get(i)));
        }
        return e;
    }

    private static void set(JsonElement root, List<String> path, JsonElement value) {
        JsonElement p = parent(root, path);
        String last = path.get(path.size() - 1);
        if (p.isJsonObject()) {
            p.getAsJsonObject().add(last, value);
        } else {
            p.getAsJsonArray().set(Integer.parseInt(last), value);
        }
    }

    /** Serializes {@code tree}, putting {@code raw} where the marker string is. */
    private static byte[] render(JsonElement tree, String raw) {
        return bytes(GSON.toJson(tree).replace("\"" + MARKER + "\"", raw));
    }

    private static String pick(List<String> values, Random random) {
        return values.get(random.nextInt(values.size()));
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...(" + s.length() + " chars)";
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
