package org.peft4j.core.io;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Corrupted and hostile safetensors files for robustness tests: seeded random mutations of valid files, and
 * hand-made headers that each break one rule. {@link SafetensorsCorruptionTest} runs {@link #RANDOM_CASES} cases
 * from {@link #SEED}; a longer fuzz run reuses the same generator with other values:
 *
 * <pre>
 * mvn -o -B -q -pl peft-core -am test -Dtest=SafetensorsCorruptionTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dpeft4j.fuzz.cases=100000 -Dpeft4j.fuzz.seed=12345
 * </pre>
 */
public final class CorruptSafetensorsCorpus {

    /** Seed of the default random cases. */
    public static final long SEED = 0x5AFE_7E45L;
    /** Number of default random cases per base file. */
    public static final int RANDOM_CASES = 160;
    /** System property that overrides {@link #SEED}. */
    public static final String SEED_PROPERTY = "peft4j.fuzz.seed";
    /** System property that overrides {@link #RANDOM_CASES}. */
    public static final String CASES_PROPERTY = "peft4j.fuzz.cases";

    /** What a reader must do with a case. */
    public enum Expectation {
        /** Must throw an IOException (SafetensorsException). */
        REJECT,
        /** Must open, and every tensor must read back. */
        ACCEPT,
        /** Either outcome is correct (random mutations may leave a file valid, e.g. a flip inside tensor data). */
        EITHER
    }

    /**
     * One file to feed a reader.
     *
     * @param label what was done to it
     * @param bytes the whole file
     * @param expected the required outcome
     */
    public record Case(String label, byte[] bytes, Expectation expected) {
    }

    private static final byte[] INTERESTING_BYTES = "{}[]\",:-.e09 \u0000".getBytes(StandardCharsets.ISO_8859_1);
    private static final long[] INTERESTING_LENGTHS = {0, 1, 2, 7, 8, 100_000_000, 100_000_001, Long.MAX_VALUE,
        Long.MIN_VALUE, -1, Integer.MAX_VALUE, 1L << 32};

    private CorruptSafetensorsCorpus() {
    }

    /** @return the seed: {@link #SEED} unless {@value #SEED_PROPERTY} is set */
    public static long seed() {
        return Long.getLong(SEED_PROPERTY, SEED);
    }

    /** @return the number of random cases per base file: {@link #RANDOM_CASES} unless overridden */
    public static int randomCaseCount() {
        return Integer.getInteger(CASES_PROPERTY, RANDOM_CASES);
    }

    /**
     * Seeded random mutations of a valid file: bit flips anywhere, byte changes inside the header (biased towards
     * JSON punctuation and digits), truncations, appended bytes, replaced length fields, and deleted or duplicated
     * header ranges.
     *
     * @param valid a valid safetensors file
     * @param seed the random seed
     * @param count how many cases
     * @return the cases, all {@link Expectation#EITHER}
     */
    public static List<Case> randomCases(byte[] valid, long seed, int count) {
        Random random = new Random(seed);
        long headerLength = ByteBuffer.wrap(valid, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        int headerEnd = (int) Math.min(valid.length, 8 + headerLength);
        List<Case> cases = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] bytes = valid.clone();
            String label;
            switch (random.nextInt(7)) {
                case 0: {
                    int flips = 1 + random.nextInt(4);
                    for (int f = 0; f < flips; f++) {
                        bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
                    }
                    label = flips + " random bit flips";
                    break;
                }
                case 1: {
                    int changes = 1 + random.nextInt(3);
                    for (int c = 0; c < changes; c++) {
                        int at = 8 + random.nextInt(headerEnd - 8);
                        bytes[at] = random.nextBoolean() ? INTERESTING_BYTES[random.nextInt(INTERESTING_BYTES.length)]
                                : (byte) random.nextInt(256);
                    }
                    label = changes + " header byte changes";
                    break;
                }
                case 2: {
                    int length = random.nextInt(bytes.length);
                    bytes = Arrays.copyOf(bytes, length);
                    label = "truncated to " + length + " bytes";
                    break;
                }
                case 3: {
                    int extra = 1 + random.nextInt(16);
                    bytes = Arrays.copyOf(bytes, bytes.length + extra);
                    for (int e = bytes.length - extra; e < bytes.length; e++) {
                        bytes[e] = (byte) random.nextInt(256);
                    }
                    label = extra + " bytes appended";
                    break;
                }
                case 4: {
                    long length = random.nextBoolean() ? INTERESTING_LENGTHS[random.nextInt(INTERESTING_LENGTHS.length)]
                            : headerLength + random.nextInt(33) - 16;
                    ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(length);
                    label = "header length field set to " + Long.toUnsignedString(length);
                    break;
                }
                case 5: {
                    int from = 8 + random.nextInt(headerEnd - 8);
                    int to = Math.min(headerEnd, from + 1 + random.nextInt(24));
                    byte[] cut = new byte[bytes.length - (to - from)];
                    System.arraycopy(bytes, 0, cut, 0, from);
                    System.arraycopy(bytes, to, cut, from, bytes.length - to);
                    bytes = cut;
                    label = "header bytes [" + from + ", " + to + ") deleted";
                    break;
                }
                default: {
                    int from = 8 + random.nextInt(headerEnd - 8);
                    int to = Math.min(headerEnd, from + 1 + random.nextInt(24));
                    byte[] grown = new byte[bytes.length + (to - from)];
                    System.arraycopy(bytes, 0, grown, 0, to);
                    System.arraycopy(bytes, from, grown, to, bytes.length - from);
                    bytes = grown;
                    label = "header bytes [" + from + ", " + to + ") duplicated";
                    break;
                }
            }
            cases.add(new Case("random #" + i + " (seed " + seed + "): " + label, bytes, Expectation.EITHER));
        }
        return cases;
    }

    /**
     * A valid file with one tensor of every dtype plus metadata, built by hand (not by the writer under test):
     * names {@code t.<DTYPE>}, shape [2, 3] each, data bytes 0, 1, 2, ... in order of the header.
     *
     * @return the file
     */
    public static byte[] everyDtypeFile() {
        StringBuilder json = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\",\"note\":\"every dtype\"}");
        long offset = 0;
        for (TensorDType dtype : TensorDType.values()) {
            long end = offset + 6L * dtype.byteSize();
            json.append(",\"t.").append(dtype.fileName()).append("\":{\"dtype\":\"").append(dtype.fileName())
                    .append("\",\"shape\":[2,3],\"data_offsets\":[").append(offset).append(',').append(end)
                    .append("]}");
            offset = end;
        }
        json.append('}');
        byte[] data = new byte[(int) offset];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        return file(json.toString(), data);
    }

    /** Hand-made files that each break (or, for ACCEPT cases, stretch) one rule of the format. */
    public static List<Case> hostileCases() {
        List<Case> cases = new ArrayList<>();
        String f32x2 = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        // header length field
        cases.add(reject("header length 2^63", withLength(Long.MIN_VALUE, "{}")));
        cases.add(reject("header length 2^64-1", withLength(-1, "{}")));
        cases.add(reject("header length just over the 100,000,000 limit", withLength(100_000_001, "{}")));
        cases.add(reject("header length larger than the file", withLength(1000, "{}")));
        cases.add(reject("header length one byte past the file", withLength(3, "{}")));
        cases.add(reject("header length zero", withLength(0, "")));
        cases.add(reject("empty file", new byte[0]));
        cases.add(reject("7-byte file", new byte[7]));
        // offsets
        cases.add(reject("offsets beyond the end of the file", file(f32x2, new byte[4])));
        cases.add(reject("offsets at 2^63-1", file(
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[9223372036854775806,9223372036854775807]}}",
                new byte[1])));
        cases.add(reject("offset beyond 2^63-1", file(
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,9223372036854775808]}}", new byte[1])));
        cases.add(reject("overlapping offsets", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12])));
        cases.add(reject("identical offsets (aliasing)", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                + "\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                new byte[8])));
        cases.add(reject("gap between tensors", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12])));
        cases.add(reject("gap before the first tensor", file(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8])));
        cases.add(reject("end before begin", file("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,4]}}",
                new byte[8])));
        cases.add(reject("negative offset", file("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[-4,0]}}",
                new byte[4])));
        cases.add(reject("trailing data bytes", file(f32x2, new byte[9])));
        cases.add(reject("data_offsets with 3 values", file(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", new byte[8])));
        cases.add(reject("data_offsets with 1 value", file(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8]}}", new byte[8])));
        cases.add(reject("data_offsets not an array", file(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":8}}", new byte[8])));
        // shape and size
        cases.add(reject("shape/size mismatch", file(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8])));
        cases.add(reject("negative shape", file(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", new byte[8])));
        for (String dim : List.of("1.5", "2.0", "2e0", "\"2\"", "true", "null", "[2]", "{}", "-0", "02")) {
            cases.add(reject("shape entry " + dim, file(
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[" + dim + "],\"data_offsets\":[0,8]}}", new byte[8])));
        }
        cases.add(reject("shape not an array", file(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", new byte[8])));
        cases.add(reject("shape product overflowing long", file(
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,0]}}", new byte[0])));
        cases.add(reject("shape product times dtype size overflowing long", file(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}}", new byte[0])));
        cases.add(reject("shape dimension beyond 2^64", file(
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[18446744073709551616],\"data_offsets\":[0,0]}}", new byte[0])));
        cases.add(reject("huge shape over a small file", file(
                "{\"a\":{\"dtype\":\"F64\",\"shape\":[1099511627776],\"data_offsets\":[0,8796093022208]}}",
                new byte[16])));
        // dtype
        for (String dtype : List.of("\"F8_E4M3\"", "\"f32\"", "\"Q4_0\"", "\"\"", "5", "null", "[\"F32\"]")) {
            cases.add(reject("dtype " + dtype, file(
                    "{\"a\":{\"dtype\":" + dtype + ",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8])));
        }
        // entry structure
        cases.add(reject("duplicate tensor keys", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8])));
        cases.add(reject("duplicate dtype field", file(
                "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8])));
        cases.add(reject("missing dtype", file("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8])));
        cases.add(reject("missing shape", file("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", new byte[8])));
        cases.add(reject("missing data_offsets", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", new byte[8])));
        cases.add(reject("unknown entry field", file(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"stride\":[1]}}", new byte[8])));
        cases.add(reject("entry is an array", file("{\"a\":[\"F32\",[2],[0,8]]}", new byte[8])));
        cases.add(reject("entry is a string", file("{\"a\":\"F32\"}", new byte[0])));
        // metadata
        cases.add(reject("duplicate metadata key", file("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", new byte[0])));
        cases.add(reject("duplicate __metadata__", file("{\"__metadata__\":{},\"__metadata__\":{}}", new byte[0])));
        cases.add(reject("metadata value not a string", file("{\"__metadata__\":{\"k\":1}}", new byte[0])));
        cases.add(reject("metadata value an object", file("{\"__metadata__\":{\"k\":{\"x\":\"y\"}}}", new byte[0])));
        cases.add(reject("metadata an array", file("{\"__metadata__\":[\"k\",\"v\"]}", new byte[0])));
        // JSON itself
        for (String json : List.of("[]", "\"text\"", "42", "null", "true")) {
            cases.add(reject("non-object JSON " + json, file(json, new byte[0])));
        }
        cases.add(reject("deeply nested arrays", file("{\"a\":" + "[".repeat(200_000) + "]".repeat(200_000) + "}",
                new byte[0])));
        cases.add(reject("deeply nested objects", file("{\"a\":" + "{\"b\":".repeat(100_000) + "1"
                + "}".repeat(100_001), new byte[0])));
        cases.add(reject("deeply nested metadata", file("{\"__metadata__\":" + "{\"b\":".repeat(100_000) + "\"x\""
                + "}".repeat(100_001), new byte[0])));
        cases.add(reject("unclosed object", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}",
                new byte[8])));
        cases.add(reject("content after the JSON object", file("{} x", new byte[0])));
        cases.add(reject("two JSON objects", file("{}{}", new byte[0])));
        cases.add(reject("NUL padding", withLength(8, "{}\0\0\0\0\0\0")));
        cases.add(reject("leading space before '{'", file(" {}", new byte[0])));
        cases.add(reject("UTF-8 byte order mark", file("\uFEFF{}", new byte[0])));
        cases.add(reject("single-quoted strings", file("{'a':{'dtype':'F32','shape':[2],'data_offsets':[0,8]}}",
                new byte[8])));
        cases.add(reject("unquoted key", file("{a:{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                new byte[8])));
        cases.add(reject("comment", file("{/* c */}", new byte[0])));
        cases.add(reject("trailing comma", file("{\"__metadata__\":{\"k\":\"v\",}}", new byte[0])));
        cases.add(reject("NaN literal", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[NaN],\"data_offsets\":[0,8]}}",
                new byte[8])));
        cases.add(reject("unescaped control character in a key", file("{\"a\tb\":{\"dtype\":\"F32\",\"shape\":[2],"
                + "\"data_offsets\":[0,8]}}", new byte[8])));
        cases.add(reject("lone surrogate escape in a key", file("{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[2],"
                + "\"data_offsets\":[0,8]}}", new byte[8])));
        cases.add(reject("invalid escape", file("{\"\\x41\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                new byte[8])));
        // invalid UTF-8
        cases.add(reject("invalid UTF-8: bad continuation", rawHeader(bytes("{\"", 0xC3, 0x28, "\":{}}"))));
        cases.add(reject("invalid UTF-8: overlong slash", rawHeader(bytes("{\"", 0xC0, 0xAF, "\":{}}"))));
        cases.add(reject("invalid UTF-8: encoded surrogate", rawHeader(bytes("{\"", 0xED, 0xA0, 0x80, "\":{}}"))));
        cases.add(reject("invalid UTF-8: 0xFF", rawHeader(bytes("{\"", 0xFF, "\":{}}"))));
        cases.add(reject("invalid UTF-8: truncated sequence at the end", rawHeader(bytes("{}", 0xE2, 0x82))));
        cases.add(reject("invalid UTF-8: beyond U+10FFFF", rawHeader(bytes("{\"", 0xF4, 0x90, 0x80, 0x80, "\":{}}"))));
        // valid edge cases the reader must accept
        cases.add(accept("empty header {} padded", file("{}", new byte[0])));
        cases.add(accept("unpadded header", withLength(2, "{}")));
        cases.add(accept("__metadata__ null", file("{\"__metadata__\":null}", new byte[0])));
        cases.add(accept("zero-size tensor and scalar", file("{\"e\":{\"dtype\":\"F32\",\"shape\":[3,0],"
                + "\"data_offsets\":[0,0]},\"s\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]}}",
                new byte[8])));
        cases.add(accept("entries listed out of data order", file("{\"b\":{\"dtype\":\"U8\",\"shape\":[2],"
                + "\"data_offsets\":[4,6]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                new byte[6])));
        cases.add(accept("fields in another order", file(
                "{\"a\":{\"data_offsets\":[0,8],\"shape\":[2],\"dtype\":\"F32\"}}", new byte[8])));
        cases.add(accept("JSON whitespace between tokens and as padding", file(
                "{ \"a\" :\n{\"dtype\":\"F32\",\t\"shape\":[ 2 ],\r\n\"data_offsets\":[0,8]}}\n\t ", new byte[8])));
        cases.add(accept("escaped and non-ASCII names", file("{\"\\u00e9\\n\\\"q\\\"\":{\"dtype\":\"U8\",\"shape\":[1],"
                + "\"data_offsets\":[0,1]},\"\u65e5\u672c\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}",
                new byte[2])));
        cases.add(accept("10,000 dimensions of size 1", file("{\"a\":{\"dtype\":\"F32\",\"shape\":["
                + "1,".repeat(9_999) + "1],\"data_offsets\":[0,4]}}", new byte[4])));
        return cases;
    }

    /** A file with the given header JSON (space padded to 8 bytes) and data. */
    public static byte[] file(String json, byte[] data) {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        int padded = (header.length + 7) & ~7;
        ByteBuffer out = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(header);
        for (int i = header.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        return out.put(data).array();
    }

    private static byte[] withLength(long length, String rest) {
        byte[] tail = rest.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + tail.length).order(ByteOrder.LITTLE_ENDIAN).putLong(length).put(tail).array();
    }

    private static byte[] rawHeader(byte[] header) {
        return ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length)
                .put(header).array();
    }

    /** Concatenates strings (as UTF-8) and integers (as single bytes). */
    private static byte[] bytes(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object part : parts) {
            if (part instanceof String text) {
                out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
            } else {
                out.write((Integer) part);
            }
        }
        return out.toByteArray();
    }

    private static Case reject(String label, byte[] bytes) {
        return new Case(label, bytes, Expectation.REJECT);
    }

    private static Case accept(String label, byte[] bytes) {
        return new Case(label, bytes, Expectation.ACCEPT);
    }
}
