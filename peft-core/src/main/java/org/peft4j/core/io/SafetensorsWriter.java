package org.peft4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Streams a safetensors file: every tensor's name, dtype and shape is declared up front (so the header can be
 * written first), then the tensors are written one by one in declared order, then {@link #commit()} makes the file
 * durable and renames it over the target atomically. {@link #close()} without commit discards everything and
 * leaves the target untouched. Only one tensor's bytes are in memory at a time.
 *
 * <pre>{@code
 * try (SafetensorsWriter writer = SafetensorsWriter.builder()
 *         .metadata(Map.of("format", "pt"))
 *         .add("lora_A.weight", TensorDType.F32, r, in)
 *         .add("lora_B.weight", TensorDType.F32, out, r)
 *         .open(path)) {
 *     writer.write("lora_A.weight", a);
 *     writer.write("lora_B.weight", b);
 *     writer.commit();
 * }
 * }</pre>
 *
 * <p>The header is written as the reference serializer writes it (compact JSON, {@code __metadata__} first with
 * sorted keys, then the tensors in data order, space padded to a multiple of 8 bytes); data offsets are contiguous
 * in declared order. {@link #save} declares tensors in the reference serializer's order, so its output matches
 * that serializer's byte for byte.
 */
public final class SafetensorsWriter implements AutoCloseable {

    /** Elements narrowed to bf16 per write call. */
    private static final int BF16_CHUNK_ELEMENTS = 1 << 16;
    /** Largest heap-buffer write, bounding the JDK's hidden direct-buffer copy. */
    private static final int HEAP_WRITE_CHUNK = 1 << 23;

    private final Path target;
    private final PendingFile pending;
    private final List<TensorInfo> tensors;
    private int next;
    private boolean committed;
    private boolean closed;
    /** Set when a write failed part way: the file is then unusable and can only be closed. */
    private boolean failed;

    private SafetensorsWriter(Path target, PendingFile pending, List<TensorInfo> tensors) {
        this.target = target;
        this.pending = pending;
        this.tensors = tensors;
    }

    /** @return a builder to declare metadata and tensors */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the file that {@link #commit()} creates or replaces */
    public Path target() {
        return target;
    }

    /** @return the declared tensors with their data offsets, in write order */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /**
     * Writes the next tensor's raw bytes.
     *
     * @param name the next declared tensor (tensors are written in declared order)
     * @param littleEndianBytes exactly {@code elements x dtype size} bytes, row-major, little-endian; read from its
     *     position to its limit without being modified
     * @throws IllegalStateException if {@code name} is not the next declared tensor, or the writer is committed or
     *     closed
     * @throws IllegalArgumentException if the byte count is wrong
     * @throws IOException if writing fails
     */
    public void write(String name, ByteBuffer littleEndianBytes) throws IOException {
        TensorInfo info = expectNext(name);
        if (littleEndianBytes.remaining() != info.byteLength()) {
            throw new IllegalArgumentException("tensor '" + name + "' (" + info.dtype().fileName() + " "
                    + Arrays.toString(info.shape()) + ") needs " + info.byteLength() + " bytes, got "
                    + littleEndianBytes.remaining());
        }
        writeFully(littleEndianBytes.duplicate());
        next++;
    }

    /**
     * Writes the next tensor from an array of the declared shape. For a declared {@link TensorDType#BF16} the array
     * must be FLOAT32 and is narrowed in Java with round-to-nearest-even ({@link BFloat16#fromFloat}); otherwise
     * its data type must be the declared dtype's {@link TensorDType#djlType()}.
     *
     * @param name the next declared tensor
     * @param array the data (any device; copied to the host)
     * @throws IllegalStateException if {@code name} is not the next declared tensor, or the writer is committed or
     *     closed
     * @throws IllegalArgumentException naming the declared and actual shape or type when they differ
     * @throws IOException if writing fails
     */
    public void write(String name, NDArray array) throws IOException {
        TensorInfo info = expectNext(name);
        long[] shape = array.getShape().getShape();
        if (!Arrays.equals(shape, info.shape())) {
            throw new IllegalArgumentException("tensor '" + name + "' was declared with shape "
                    + Arrays.toString(info.shape()) + ", the array has " + Arrays.toString(shape));
        }
        DataType type = array.getDataType();
        TensorDType dtype = info.dtype();
        boolean matches = dtype == TensorDType.BF16 ? type == DataType.FLOAT32
                : type != DataType.BFLOAT16 && dtype == safeOf(type);
        if (!matches) {
            throw new IllegalArgumentException("tensor '" + name + "' was declared " + dtype.fileName()
                    + ", which is written from " + (dtype == TensorDType.BF16 ? "FLOAT32" : djlTypeName(dtype))
                    + " arrays; the array is " + type.name());
        }
        SafetensorsReader.requireLittleEndianPlatform();
        ByteBuffer data = array.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (dtype == TensorDType.BF16) {
            writeNarrowed(data);
        } else {
            writeFully(data);
        }
        next++;
    }

    private static String djlTypeName(TensorDType dtype) {
        return dtype == TensorDType.I16 ? "INT16" : dtype.djlType().name();
    }

    private static TensorDType safeOf(DataType type) {
        try {
            return TensorDType.of(type);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private void writeNarrowed(ByteBuffer float32) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(BF16_CHUNK_ELEMENTS * 2).order(ByteOrder.LITTLE_ENDIAN);
        while (float32.hasRemaining()) {
            chunk.clear();
            while (chunk.hasRemaining() && float32.hasRemaining()) {
                chunk.putShort(BFloat16.fromFloat(float32.getFloat()));
            }
            chunk.flip();
            writeFully(chunk);
        }
    }

    private TensorInfo expectNext(String name) {
        requireWritable();
        if (next == tensors.size()) {
            throw new IllegalStateException("all " + tensors.size() + " declared tensors are written; '" + name
                    + "' was not declared");
        }
        TensorInfo info = tensors.get(next);
        if (!info.name().equals(name)) {
            throw new IllegalStateException("tensors are written in declared order: expected '" + info.name()
                    + "' next, got '" + name + "'");
        }
        return info;
    }

    private void requireWritable() {
        if (committed || closed || failed) {
            throw new IllegalStateException("writer of " + target + " is " + (committed ? "committed"
                    : closed ? "closed" : "broken by an earlier failed write; close it and start again"));
        }
    }

    private void writeFully(ByteBuffer bytes) throws IOException {
        FileChannel channel = pending.channel();
        try {
            while (bytes.hasRemaining()) {
                if (bytes.isDirect() || bytes.remaining() <= HEAP_WRITE_CHUNK) {
                    channel.write(bytes);
                } else {
                    // the JDK copies heap buffers through a temporary direct buffer as large as the write
                    ByteBuffer slice = bytes.duplicate();
                    slice.limit(slice.position() + HEAP_WRITE_CHUNK);
                    bytes.position(bytes.position() + channel.write(slice));
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            failed = true;
            throw e;
        }
    }

    /**
     * Makes the file durable (fsync) and atomically renames it over the target.
     *
     * @throws IllegalStateException naming the first unwritten tensor if any is missing
     * @throws IOException if flushing or renaming fails (the target is then untouched)
     */
    public void commit() throws IOException {
        requireWritable();
        if (next < tensors.size()) {
            throw new IllegalStateException("cannot commit " + target + ": tensor '" + tensors.get(next).name()
                    + "' and " + (tensors.size() - next - 1) + " more declared tensors are not written");
        }
        try {
            pending.commit();
        } catch (IOException | RuntimeException | Error e) {
            failed = true;
            throw e;
        }
        committed = true;
    }

    /** Without a prior {@link #commit()}, deletes the temporary file; the target is untouched. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        pending.close();
    }

    /**
     * Writes a whole map of arrays atomically, ordered as the reference serializer orders them (by descending dtype
     * alignment, then by name in UTF-8 byte order), so that the file is byte-identical to its output.
     *
     * @param target the file to create or replace
     * @param tensors name to array; arrays keep their data type (BFLOAT16 arrays cannot exist in DJL's PyTorch
     *     engine, so use the builder with {@link TensorDType#BF16} to store float32 data as bf16)
     * @param metadata the {@code __metadata__} strings, or {@code null}/empty for none
     * @throws IllegalArgumentException if an array's type cannot be stored
     * @throws IOException if writing fails (the target is then untouched)
     */
    public static void save(Path target, Map<String, NDArray> tensors, Map<String, String> metadata)
            throws IOException {
        List<Map.Entry<String, NDArray>> ordered = new ArrayList<>(tensors.entrySet());
        Map<String, TensorDType> dtypes = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> entry : ordered) {
            dtypes.put(entry.getKey(), TensorDType.of(entry.getValue().getDataType()));
        }
        ordered.sort(Comparator.<Map.Entry<String, NDArray>>comparingInt(
                        e -> -dtypes.get(e.getKey()).layoutRank())
                .thenComparing(Map.Entry::getKey, SafetensorsHeader.UTF8_ORDER));
        Builder builder = builder().metadata(metadata == null ? Map.of() : metadata);
        for (Map.Entry<String, NDArray> entry : ordered) {
            builder.add(entry.getKey(), dtypes.get(entry.getKey()), entry.getValue().getShape().getShape());
        }
        try (SafetensorsWriter writer = builder.open(target)) {
            for (Map.Entry<String, NDArray> entry : ordered) {
                writer.write(entry.getKey(), entry.getValue());
            }
            writer.commit();
        }
    }

    /** Declares metadata and tensors, then opens the writer. Validation happens here, in one place. */
    public static final class Builder {

        private final Map<String, String> metadata = new LinkedHashMap<>();
        private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        private long offset;

        private Builder() {
        }

        /**
         * Sets the header's {@code __metadata__} (replacing earlier calls); empty means none is written.
         *
         * @param entries string keys and values, e.g. {@code {"format": "pt"}}
         * @return this builder
         * @throws IllegalArgumentException on null keys or values, or text that is not valid Unicode
         */
        public Builder metadata(Map<String, String> entries) {
            Objects.requireNonNull(entries, "metadata");
            Map<String, String> copy = new LinkedHashMap<>();
            for (Map.Entry<String, String> entry : entries.entrySet()) {
                if (entry.getKey() == null || entry.getValue() == null) {
                    throw new IllegalArgumentException("metadata keys and values must not be null: " + entry);
                }
                SafetensorsHeader.requireValidUnicode(entry.getKey(), "metadata key");
                SafetensorsHeader.requireValidUnicode(entry.getValue(), "metadata value");
                copy.put(entry.getKey(), entry.getValue());
            }
            metadata.clear();
            metadata.putAll(copy);
            return this;
        }

        /**
         * Declares the next tensor; its data follows the previous one's.
         *
         * @param name a key not used yet and not {@code "__metadata__"}
         * @param dtype its element type in the file
         * @param shape its dimensions, each {@code >= 0}; none for a scalar
         * @return this builder
         * @throws IllegalArgumentException naming the tensor for a duplicate or reserved name, a negative dimension
         *     or a byte size that overflows
         */
        public Builder add(String name, TensorDType dtype, long... shape) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(shape, "shape");
            if (SafetensorsHeader.METADATA_KEY.equals(name)) {
                throw new IllegalArgumentException("'__metadata__' is reserved for the header's metadata");
            }
            if (tensors.containsKey(name)) {
                throw new IllegalArgumentException("tensor '" + name + "' is declared twice");
            }
            SafetensorsHeader.requireValidUnicode(name, "tensor name");
            long bytes = dtype.byteSize();
            for (long dim : shape) {
                if (dim < 0) {
                    throw new IllegalArgumentException("tensor '" + name + "' has a negative dimension in shape "
                            + Arrays.toString(shape));
                }
            }
            long end;
            try {
                for (long dim : shape) {
                    bytes = Math.multiplyExact(bytes, dim);
                }
                end = Math.addExact(offset, bytes);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensor '" + name + "' of shape " + Arrays.toString(shape)
                        + " overflows a 64-bit byte count", e);
            }
            tensors.put(name, new TensorInfo(name, dtype, shape, offset, end));
            offset = end;
            return this;
        }

        /**
         * Declares the next tensor with an array's shape and data type.
         *
         * @param name a key not used yet
         * @param like the array whose shape and type to use
         * @return this builder
         */
        public Builder add(String name, NDArray like) {
            return add(name, TensorDType.of(like.getDataType()), like.getShape().getShape());
        }

        /**
         * Creates the temporary file beside {@code target} and writes the header.
         *
         * @param target the file that {@link SafetensorsWriter#commit()} creates or replaces
         * @return the writer, expecting the first declared tensor
         * @throws IllegalArgumentException if the header would exceed the 100,000,000-byte limit readers accept
         * @throws IOException if the temporary file cannot be created or written
         */
        public SafetensorsWriter open(Path target) throws IOException {
            List<TensorInfo> declared = Collections.unmodifiableList(new ArrayList<>(tensors.values()));
            byte[] header = SafetensorsHeader.encode(metadata, declared);
            PendingFile pending = PendingFile.create(target);
            SafetensorsWriter writer = new SafetensorsWriter(target, pending, declared);
            try {
                ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
                prefix.putLong(header.length).put(header).flip();
                writer.writeFully(prefix);
                return writer;
            } catch (IOException | RuntimeException | Error e) {
                try {
                    writer.close();
                } catch (IOException closing) {
                    e.addSuppressed(closing);
                }
                throw e;
            }
        }
    }
}
