package org.peft4j.core.io;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.EOFException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parsed and validated JSON header of a safetensors file, and its encoder.
 *
 * <p>Validation mirrors, and where noted tightens, the reference reader ({@code SafeTensors::read_metadata} and
 * {@code Metadata::validate} in huggingface/safetensors, safetensors/src/tensor.rs): header length at most
 * 100,000,000 bytes and within the file; valid UTF-8 starting with {@code '{'}; a JSON object whose entries are
 * {@code {"dtype", "shape", "data_offsets"}} plus an optional {@code "__metadata__"} string map; element count x
 * dtype size computed with overflow checks and equal to the offset span; offsets sorted by begin contiguous from 0
 * and ending exactly at the end of the file. Tighter than the reference: duplicate keys (anywhere), unknown or
 * missing entry fields and non-canonical integers ({@code -0}, {@code 1.0}, {@code 1e2}) are rejected.
 */
final class SafetensorsHeader {

    /** The reference implementation's header size limit ({@code MAX_HEADER_SIZE}). */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    static final String METADATA_KEY = "__metadata__";
    /** Header bytes read per call: the JDK stages heap reads through a direct buffer as large as the read. */
    private static final int READ_CHUNK = 1 << 20;
    /** Orders strings as their UTF-8 bytes (= code points), as Rust's {@code String} ordering does. */
    static final Comparator<String> UTF8_ORDER = SafetensorsHeader::compareCodePoints;

    private final long headerLength;
    private final Map<String, String> metadata;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;

    private SafetensorsHeader(long headerLength, Map<String, String> metadata, List<TensorInfo> tensorsInOrder) {
        this.headerLength = headerLength;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = List.copyOf(tensorsInOrder);
        Map<String, TensorInfo> index = new LinkedHashMap<>();
        for (TensorInfo info : tensorsInOrder) {
            index.put(info.name(), info);
        }
        this.byName = Collections.unmodifiableMap(index);
    }

    /** @return N, the JSON length in bytes (padding included); data starts at byte {@code 8 + N} */
    long headerLength() {
        return headerLength;
    }

    Map<String, String> metadata() {
        return metadata;
    }

    /** @return tensors in data-offset order */
    List<TensorInfo> tensors() {
        return tensors;
    }

    Map<String, TensorInfo> byName() {
        return byName;
    }

    /**
     * Reads and validates the header of an open file. Reads only the 8-byte length and the JSON.
     */
    static SafetensorsHeader read(Path file, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw new SafetensorsException(file, "file is " + fileSize
                    + " bytes, shorter than the 8-byte header length field");
        }
        ByteBuffer lengthField = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, channel, lengthField, 0);
        long n = lengthField.getLong(0);
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new SafetensorsException(file, "header length", "header length " + Long.toUnsignedString(n)
                    + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        if (n > fileSize - 8) {
            throw new SafetensorsException(file, "header length", "header length " + n
                    + " exceeds the " + (fileSize - 8) + " bytes that follow the length field");
        }
        byte[] json = new byte[(int) n];
        for (int at = 0; at < json.length; at += READ_CHUNK) {
            readFully(file, channel, ByteBuffer.wrap(json, at, Math.min(READ_CHUNK, json.length - at)), 8L + at);
        }
        return parse(file, json, n, fileSize - 8 - n);
    }

    private static void readFully(Path file, FileChannel channel, ByteBuffer target, long position)
            throws IOException {
        long at = position;
        while (target.hasRemaining()) {
            int read = channel.read(target, at);
            if (read < 0) {
                throw new SafetensorsException(file, "file ended while reading the header at byte " + at);
            }
            at += read;
        }
    }

    /**
     * Parses and validates header bytes.
     *
     * @param jsonBytes the N header bytes
     * @param dataLength the bytes after the header, which the tensors must cover exactly
     */
    static SafetensorsHeader parse(Path file, byte[] jsonBytes, long headerLength, long dataLength)
            throws SafetensorsException {
        String text = decodeUtf8(file, jsonBytes);
        if (text.isEmpty() || text.charAt(0) != '{') {
            throw new SafetensorsException(file, "header", "header must start with '{' (a JSON object)");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> entries = new ArrayList<>();
        parseJson(file, text, metadata, entries);
        return new SafetensorsHeader(headerLength, metadata, validateLayout(file, entries, dataLength));
    }

    private static String decodeUtf8(Path file, byte[] bytes) throws SafetensorsException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            return decoder.decode(in).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(file, "header", "header is not valid UTF-8 (near byte "
                    + (8 + in.position()) + " of the file)", e);
        }
    }

    private static void parseJson(Path file, String text, Map<String, String> metadata, List<TensorInfo> entries)
            throws SafetensorsException {
        JsonReader json = new JsonReader(new StringReader(text));
        json.setStrictness(Strictness.STRICT);
        String current = null;
        try {
            json.beginObject();
            Set<String> seen = new HashSet<>();
            while (json.hasNext()) {
                current = json.nextName();
                if (!seen.add(current)) {
                    throw new SafetensorsException(file, current, "duplicate key in header");
                }
                requireValidUnicode(file, current, current);
                if (METADATA_KEY.equals(current)) {
                    parseMetadata(file, json, metadata);
                } else {
                    entries.add(parseEntry(file, json, current));
                }
            }
            json.endObject();
            current = null;
            if (json.peek() != JsonToken.END_DOCUMENT) {
                throw new SafetensorsException(file, "header", "content after the header's JSON object");
            }
        } catch (SafetensorsException e) {
            throw e;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            // MalformedJsonException / EOFException are IOExceptions; a wrong token type is IllegalStateException
            String where = current == null ? "header" : current;
            throw new SafetensorsException(file, where, "malformed header JSON at " + json.getPath() + ": "
                    + jsonProblem(e), e);
        }
    }

    /** Gson's messages suggest lenient parsing and link its manual; keep only what is wrong and where. */
    static String jsonProblem(Exception e) {
        if (e instanceof EOFException) {
            return "JSON ends early";
        }
        String message = String.valueOf(e.getMessage());
        int newline = message.indexOf('\n');
        if (newline >= 0) {
            message = message.substring(0, newline);
        }
        return message.replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON",
                "syntax error");
    }

    private static void parseMetadata(Path file, JsonReader json, Map<String, String> metadata)
            throws IOException {
        JsonToken token = json.peek();
        if (token == JsonToken.NULL) {
            // the reference reads "__metadata__": null as no metadata
            json.nextNull();
            return;
        }
        if (token != JsonToken.BEGIN_OBJECT) {
            throw new SafetensorsException(file, METADATA_KEY, "must be an object of string to string, found "
                    + token);
        }
        json.beginObject();
        while (json.hasNext()) {
            String key = json.nextName();
            if (json.peek() != JsonToken.STRING) {
                throw new SafetensorsException(file, METADATA_KEY + "." + key, "metadata values must be strings,"
                        + " found " + json.peek());
            }
            String value = json.nextString();
            requireValidUnicode(file, METADATA_KEY + "." + key, key);
            requireValidUnicode(file, METADATA_KEY + "." + key, value);
            if (metadata.put(key, value) != null) {
                throw new SafetensorsException(file, METADATA_KEY + "." + key, "duplicate metadata key");
            }
        }
        json.endObject();
    }

    private static TensorInfo parseEntry(Path file, JsonReader json, String name) throws IOException {
        if (json.peek() != JsonToken.BEGIN_OBJECT) {
            throw new SafetensorsException(file, name, "tensor entry must be an object with dtype, shape and"
                    + " data_offsets, found " + json.peek());
        }
        json.beginObject();
        TensorDType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        while (json.hasNext()) {
            String field = json.nextName();
            switch (field) {
                case "dtype":
                    requireFirst(file, name, field, dtype);
                    if (json.peek() != JsonToken.STRING) {
                        throw new SafetensorsException(file, name, "dtype must be a string, found " + json.peek());
                    }
                    String spelled = json.nextString();
                    try {
                        dtype = TensorDType.fromFileName(spelled);
                    } catch (IllegalArgumentException e) {
                        throw new SafetensorsException(file, name, e.getMessage());
                    }
                    break;
                case "shape":
                    requireFirst(file, name, field, shape);
                    shape = readIntegers(file, json, name, field);
                    break;
                case "data_offsets":
                    requireFirst(file, name, field, offsets);
                    offsets = readIntegers(file, json, name, field);
                    if (offsets.length != 2) {
                        throw new SafetensorsException(file, name, "data_offsets must hold exactly 2 integers"
                                + " [begin, end], found " + offsets.length);
                    }
                    break;
                default:
                    throw new SafetensorsException(file, name, "unknown field '"
                            + SafetensorsException.abbreviate(field) + "'; allowed: dtype, shape, data_offsets");
            }
        }
        json.endObject();
        if (dtype == null || shape == null || offsets == null) {
            throw new SafetensorsException(file, name, "missing field "
                    + (dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets"));
        }
        return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static void requireFirst(Path file, String name, String field, Object previous)
            throws SafetensorsException {
        if (previous != null) {
            throw new SafetensorsException(file, name, "duplicate field '" + field + "'");
        }
    }

    private static long[] readIntegers(Path file, JsonReader json, String name, String field) throws IOException {
        if (json.peek() != JsonToken.BEGIN_ARRAY) {
            throw new SafetensorsException(file, name, field + " must be an array of non-negative integers,"
                    + " found " + json.peek());
        }
        json.beginArray();
        long[] values = new long[4];
        int count = 0;
        while (json.hasNext()) {
            if (json.peek() != JsonToken.NUMBER) {
                throw new SafetensorsException(file, name, field + " must hold non-negative integers, found "
                        + json.peek());
            }
            String literal = json.nextString();
            if (count == values.length) {
                values = Arrays.copyOf(values, count * 2);
            }
            values[count++] = parseNonNegative(file, name, field, literal);
        }
        json.endArray();
        return Arrays.copyOf(values, count);
    }

    private static long parseNonNegative(Path file, String name, String field, String literal)
            throws SafetensorsException {
        boolean digitsOnly = !literal.isEmpty() && literal.chars().allMatch(c -> c >= '0' && c <= '9');
        if (!digitsOnly) {
            throw new SafetensorsException(file, name, field + " holds " + SafetensorsException.abbreviate(literal)
                    + ", not a non-negative integer");
        }
        try {
            return Long.parseLong(literal);
        } catch (NumberFormatException e) {
            throw new SafetensorsException(file, name, field + " value " + SafetensorsException.abbreviate(literal)
                    + " exceeds 2^63-1");
        }
    }

    /** Checks sizes and contiguity; returns the entries in data-offset order. */
    private static List<TensorInfo> validateLayout(Path file, List<TensorInfo> entries, long dataLength)
            throws SafetensorsException {
        for (TensorInfo info : entries) {
            long[] shape = info.shape();
            long bytes;
            try {
                bytes = Math.multiplyExact(info.elementCount(), (long) info.dtype().byteSize());
            } catch (ArithmeticException e) {
                throw new SafetensorsException(file, info.name(), "shape " + Arrays.toString(shape) + " of "
                        + info.dtype().fileName() + " overflows a 64-bit byte count");
            }
            if (info.dataEnd() < info.dataBegin()) {
                throw new SafetensorsException(file, info.name(), "data_offsets [" + info.dataBegin() + ", "
                        + info.dataEnd() + "] end before they begin");
            }
            if (info.dataEnd() - info.dataBegin() != bytes) {
                throw new SafetensorsException(file, info.name(), "shape " + Arrays.toString(shape) + " of "
                        + info.dtype().fileName() + " needs " + bytes + " bytes but data_offsets ["
                        + info.dataBegin() + ", " + info.dataEnd() + "] span " + info.byteLength());
            }
        }
        List<TensorInfo> ordered = new ArrayList<>(entries);
        ordered.sort(Comparator.comparingLong(TensorInfo::dataBegin).thenComparingLong(TensorInfo::dataEnd)
                .thenComparing(TensorInfo::name, UTF8_ORDER));
        long expected = 0;
        String previous = null;
        for (TensorInfo info : ordered) {
            if (info.dataBegin() < expected) {
                throw new SafetensorsException(file, info.name(), "data_offsets [" + info.dataBegin() + ", "
                        + info.dataEnd() + "] overlap tensor '" + previous + "', which ends at " + expected);
            }
            if (info.dataBegin() > expected) {
                throw new SafetensorsException(file, info.name(), "data_offsets [" + info.dataBegin() + ", "
                        + info.dataEnd() + "] leave a gap of " + (info.dataBegin() - expected) + " bytes after "
                        + (previous == null ? "the start of the data" : "tensor '" + previous + "'"));
            }
            expected = info.dataEnd();
            previous = SafetensorsException.abbreviate(info.name());
        }
        if (expected != dataLength) {
            throw new SafetensorsException(file, "data_offsets", "tensors cover " + expected
                    + " data bytes but the file holds " + dataLength + " after the header"
                    + (expected < dataLength ? " (trailing bytes)" : " (file truncated)"));
        }
        return ordered;
    }

    /**
     * Encodes a header like the reference serializer: compact JSON, {@code __metadata__} first (its keys sorted),
     * then the tensors in the given (data) order with fields dtype, shape, data_offsets; padded with spaces to a
     * multiple of 8 bytes so that the data buffer starts 8-byte aligned.
     *
     * @return the N header bytes
     * @throws IllegalArgumentException if the header would exceed {@link #MAX_HEADER_BYTES}
     */
    static byte[] encode(Map<String, String> metadata, List<TensorInfo> tensorsInDataOrder) {
        StringBuilder json = new StringBuilder(64 + 96 * tensorsInDataOrder.size()).append('{');
        boolean first = true;
        if (!metadata.isEmpty()) {
            appendString(json, METADATA_KEY).append(":{");
            List<String> keys = new ArrayList<>(metadata.keySet());
            keys.sort(UTF8_ORDER);
            for (int i = 0; i < keys.size(); i++) {
                if (i > 0) {
                    json.append(',');
                }
                appendString(json, keys.get(i)).append(':');
                appendString(json, metadata.get(keys.get(i)));
            }
            json.append('}');
            first = false;
        }
        for (TensorInfo info : tensorsInDataOrder) {
            if (!first) {
                json.append(',');
            }
            first = false;
            appendString(json, info.name()).append(":{\"dtype\":\"").append(info.dtype().fileName())
                    .append("\",\"shape\":[");
            long[] shape = info.shape();
            for (int i = 0; i < shape.length; i++) {
                if (i > 0) {
                    json.append(',');
                }
                json.append(shape[i]);
            }
            json.append("],\"data_offsets\":[").append(info.dataBegin()).append(',').append(info.dataEnd())
                    .append("]}");
        }
        json.append('}');
        byte[] raw = json.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (raw.length + 7) & ~7;
        if (padded > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("safetensors header would be " + padded + " bytes, over the limit of "
                    + MAX_HEADER_BYTES + " that readers accept; split the tensors over several files");
        }
        byte[] header = Arrays.copyOf(raw, padded);
        Arrays.fill(header, raw.length, padded, (byte) ' ');
        return header;
    }

    /** Escapes as serde_json does: quote, backslash and control characters; everything else verbatim. */
    private static StringBuilder appendString(StringBuilder json, String value) {
        json.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"': json.append("\\\""); break;
                case '\\': json.append("\\\\"); break;
                case '\b': json.append("\\b"); break;
                case '\f': json.append("\\f"); break;
                case '\n': json.append("\\n"); break;
                case '\r': json.append("\\r"); break;
                case '\t': json.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        json.append("\\u00").append(Character.forDigit(c >> 4, 16))
                                .append(Character.forDigit(c & 0xF, 16));
                    } else {
                        json.append(c);
                    }
            }
        }
        return json.append('"');
    }

    /** JSON escapes can spell lone surrogates ({@code "\\ud800"}), which the reference parser rejects too. */
    private static void requireValidUnicode(Path file, String key, String text) throws SafetensorsException {
        try {
            requireValidUnicode(text, "text");
        } catch (IllegalArgumentException e) {
            throw new SafetensorsException(file, key, "holds an unpaired UTF-16 surrogate escape, which is not"
                    + " valid Unicode");
        }
    }

    /** @throws IllegalArgumentException if {@code text} holds an unpaired surrogate (not encodable in UTF-8) */
    static void requireValidUnicode(String text, String what) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(
                    text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(what + " '" + SafetensorsException.abbreviate(text)
                        + "' holds an unpaired UTF-16 surrogate at index " + i + " and cannot be written as UTF-8");
            }
        }
    }

    private static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
