package org.peft4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads one safetensors file. {@link #open} validates the whole header (see {@link SafetensorsHeader} for the
 * rules) before any data is touched; tensor data is memory-mapped region by region on demand, so files larger than
 * 2 GiB work and no file is ever read whole onto the heap.
 *
 * <p>Thread-safe after {@link #open}. Buffers from {@link #bytes} alias the file through a read-only mapping that
 * stays valid after {@link #close()} until it is garbage-collected; arrays from {@link #load} own a copy.
 * Data is assumed little-endian as the format requires; the JVM must run on a little-endian platform (x86-64,
 * AArch64) to hand data to DJL.
 */
public final class SafetensorsReader implements AutoCloseable {

    /** Largest region mapped at once when converting a tensor (mappings are limited to 2 GiB). */
    private static final int CHUNK_BYTES = 1 << 30;
    private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;
    private static final Set<DataType> LOAD_TARGETS = EnumSet.of(DataType.FLOAT64, DataType.FLOAT32,
            DataType.FLOAT16, DataType.INT64, DataType.INT32, DataType.INT8, DataType.UINT8, DataType.BOOLEAN);

    private final Path path;
    private final FileChannel channel;
    private final SafetensorsHeader header;
    private final long dataStart;
    private final List<String> names;
    private volatile boolean closed;

    private SafetensorsReader(Path path, FileChannel channel, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.header = header;
        this.dataStart = 8 + header.headerLength();
        List<String> inOrder = new ArrayList<>();
        for (TensorInfo info : header.tensors()) {
            inOrder.add(info.name());
        }
        this.names = List.copyOf(inOrder);
    }

    /**
     * Opens and validates a file.
     *
     * @param file a {@code .safetensors} file
     * @return an open reader
     * @throws PickleCheckpointException if the file is a pickle checkpoint (by name or content)
     * @throws SafetensorsException if the header is malformed or inconsistent (the message names the key)
     * @throws IOException if the file cannot be read
     */
    public static SafetensorsReader open(Path file) throws IOException {
        PickleCheckpoints.refuseByName(file);
        if (Files.isDirectory(file)) {
            // opening succeeds on Linux and the first read fails with a bare "Is a directory"
            throw new SafetensorsException(file, "is a folder, not a safetensors file");
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            return new SafetensorsReader(file, channel, SafetensorsHeader.read(file, channel));
        } catch (SafetensorsException e) {
            String pickleKind = PickleCheckpoints.pickleKind(channel);
            closeQuietly(channel, e);
            if (pickleKind != null) {
                PickleCheckpointException refused = new PickleCheckpointException(file, "file holds " + pickleKind);
                refused.addSuppressed(e);
                throw refused;
            }
            throw e;
        } catch (IOException | RuntimeException | Error e) {
            closeQuietly(channel, e);
            throw e;
        }
    }

    private static void closeQuietly(FileChannel channel, Throwable failure) {
        try {
            channel.close();
        } catch (IOException closing) {
            failure.addSuppressed(closing);
        }
    }

    /** @return the file this reader reads */
    public Path path() {
        return path;
    }

    /** @return the header's {@code __metadata__} (empty when absent), unmodifiable, in file order */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** @return every tensor key, in data-offset order, unmodifiable */
    public List<String> names() {
        return names;
    }

    /** @return every tensor's entry, in data-offset order, unmodifiable */
    public List<TensorInfo> tensors() {
        return header.tensors();
    }

    /**
     * @param name a tensor key
     * @return whether the file holds it
     */
    public boolean contains(String name) {
        return header.byName().containsKey(name);
    }

    /** @return the byte at which the data buffer starts ({@code 8 + header length}) */
    public long dataStart() {
        return dataStart;
    }

    /**
     * @param name a tensor key
     * @return its header entry
     * @throws SafetensorsException naming the missing key and a few keys the file does hold
     */
    public TensorInfo info(String name) throws SafetensorsException {
        TensorInfo info = header.byName().get(name);
        if (info == null) {
            throw new SafetensorsException(path, name, "no such tensor; the file holds " + names.size()
                    + " tensors, e.g. " + names.stream().limit(5).map(n -> "'" + SafetensorsException.abbreviate(n)
                            + "'").collect(Collectors.joining(", ")));
        }
        return info;
    }

    /**
     * The raw bytes of one tensor (row-major, little-endian, as stored).
     *
     * @param name a tensor key
     * @return a read-only little-endian buffer over a memory mapping of the tensor's region
     * @throws SafetensorsException if the key is missing or the tensor is 2 GiB or larger (use
     *     {@link #bytes(String, long, int)})
     * @throws IOException if mapping fails
     */
    public ByteBuffer bytes(String name) throws IOException {
        TensorInfo info = info(name);
        if (info.byteLength() > Integer.MAX_VALUE) {
            throw new SafetensorsException(path, name, "tensor holds " + info.byteLength()
                    + " bytes, more than one ByteBuffer can address; read it in pieces with bytes(name, offset,"
                    + " length)");
        }
        return map(info.dataBegin(), info.byteLength());
    }

    /**
     * A piece of one tensor's raw bytes, for streaming tensors of any size.
     *
     * @param name a tensor key
     * @param byteOffset first byte, relative to the tensor's first byte
     * @param length number of bytes
     * @return a read-only little-endian buffer over a memory mapping of that piece
     * @throws IndexOutOfBoundsException if the piece is not inside the tensor
     * @throws IOException if the key is missing or mapping fails
     */
    public ByteBuffer bytes(String name, long byteOffset, int length) throws IOException {
        TensorInfo info = info(name);
        if (byteOffset < 0 || length < 0 || byteOffset > info.byteLength() - length) {
            throw new IndexOutOfBoundsException("bytes [" + byteOffset + ", " + (byteOffset + length)
                    + ") are not inside tensor '" + name + "' of " + info.byteLength() + " bytes");
        }
        return map(info.dataBegin() + byteOffset, length);
    }

    private ByteBuffer map(long dataOffset, long length) throws IOException {
        if (closed) {
            throw new IllegalStateException("reader of " + path + " is closed");
        }
        return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + dataOffset, length)
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Reads a tensor as float32 values in row-major order: F32 as is, F64 rounded, F16 and BF16 widened exactly,
     * integers converted with {@code (float)}, BOOL as 0 or 1.
     *
     * @param name a tensor key
     * @return the values, {@code elementCount()} long
     * @throws SafetensorsException if the key is missing or the tensor has more elements than a Java array holds
     * @throws IOException if mapping fails
     */
    public float[] readFloats(String name) throws IOException {
        TensorInfo info = info(name);
        long count = info.elementCount();
        if (count > MAX_ARRAY_LENGTH) {
            throw new SafetensorsException(path, name, "tensor has " + count
                    + " elements, more than a Java array holds");
        }
        float[] values = new float[(int) count];
        int width = info.dtype().byteSize();
        int chunkElements = CHUNK_BYTES / width;
        for (long first = 0; first < count; first += chunkElements) {
            int n = (int) Math.min(chunkElements, count - first);
            ByteBuffer chunk = map(info.dataBegin() + first * width, (long) n * width);
            decodeFloats(info.dtype(), chunk, values, (int) first, n);
        }
        return values;
    }

    private static void decodeFloats(TensorDType dtype, ByteBuffer in, float[] out, int at, int n) {
        switch (dtype) {
            case F32:
                in.asFloatBuffer().get(out, at, n);
                break;
            case F64:
                for (int i = 0; i < n; i++) {
                    out[at + i] = (float) in.getDouble();
                }
                break;
            case F16:
                for (int i = 0; i < n; i++) {
                    out[at + i] = Float16.toFloat(in.getShort());
                }
                break;
            case BF16:
                for (int i = 0; i < n; i++) {
                    out[at + i] = BFloat16.toFloat(in.getShort());
                }
                break;
            case I64:
                for (int i = 0; i < n; i++) {
                    out[at + i] = in.getLong();
                }
                break;
            case I32:
                for (int i = 0; i < n; i++) {
                    out[at + i] = in.getInt();
                }
                break;
            case I16:
                for (int i = 0; i < n; i++) {
                    out[at + i] = in.getShort();
                }
                break;
            case I8:
                for (int i = 0; i < n; i++) {
                    out[at + i] = in.get();
                }
                break;
            case U8:
                for (int i = 0; i < n; i++) {
                    out[at + i] = in.get() & 0xFF;
                }
                break;
            case BOOL:
                for (int i = 0; i < n; i++) {
                    out[at + i] = in.get() != 0 ? 1f : 0f;
                }
                break;
            default:
                throw new AssertionError(dtype);
        }
    }

    /**
     * Loads a tensor into a new NDArray of shape {@code info(name).shape()}. The data type is the file's, except
     * that BF16 is widened exactly to {@link DataType#FLOAT32} and I16 to {@link DataType#INT32} in Java (DJL's
     * PyTorch engine cannot hold either). The array owns a copy: it stays valid after {@link #close()}.
     *
     * @param name a tensor key; also set as the array's name
     * @param manager the manager (and device) that owns the result
     * @return the array
     * @throws SafetensorsException if the key is missing or the loaded form is 2 GiB or larger
     * @throws IOException if mapping fails
     */
    public NDArray load(String name, NDManager manager) throws IOException {
        requireLittleEndianPlatform();
        TensorInfo info = info(name);
        TensorDType dtype = info.dtype();
        boolean widen = dtype == TensorDType.BF16 || dtype == TensorDType.I16;
        long outBytes = widen ? info.byteLength() * 2 : info.byteLength();
        if (outBytes > Integer.MAX_VALUE) {
            throw new SafetensorsException(path, name, "tensor needs " + outBytes + " bytes in memory, more than"
                    + " one NDArray buffer holds (2 GiB); read it in pieces with bytes(name, offset, length)");
        }
        ByteBuffer out = ByteBuffer.allocateDirect((int) outBytes).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer in = map(info.dataBegin(), info.byteLength());
        if (dtype == TensorDType.BF16) {
            while (in.hasRemaining()) {
                out.putInt(BFloat16.widenBits(in.getShort()));
            }
        } else if (dtype == TensorDType.I16) {
            while (in.hasRemaining()) {
                out.putInt(in.getShort());
            }
        } else {
            out.put(in);
        }
        out.flip();
        DataType type = widen ? (dtype == TensorDType.BF16 ? DataType.FLOAT32 : DataType.INT32) : dtype.djlType();
        NDArray array = manager.create(out, new Shape(info.shape()), type);
        array.setName(name);
        return array;
    }

    /**
     * Loads a tensor and converts it to {@code target} (as the engine's {@code toType} converts; BF16 and I16
     * are widened in Java first).
     *
     * @param name a tensor key
     * @param manager the manager (and device) that owns the result
     * @param target FLOAT64, FLOAT32, FLOAT16, INT64, INT32, INT8, UINT8 or BOOLEAN
     * @return the converted array
     * @throws IllegalArgumentException if {@code target} is not one of those (BFLOAT16 would abort DJL's PyTorch
     *     engine)
     * @throws IOException as {@link #load(String, NDManager)}
     */
    public NDArray load(String name, NDManager manager, DataType target) throws IOException {
        if (!LOAD_TARGETS.contains(target)) {
            throw new IllegalArgumentException("cannot load tensor '" + name + "' as " + target.name()
                    + "; allowed: " + LOAD_TARGETS.stream().map(DataType::name).collect(Collectors.joining(", ")));
        }
        NDArray natural = load(name, manager);
        if (natural.getDataType() == target) {
            return natural;
        }
        try (natural) {
            NDArray converted = natural.toType(target, false);
            converted.setName(name);
            return converted;
        }
    }

    static void requireLittleEndianPlatform() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("safetensors data is little-endian; handing it to DJL needs a"
                    + " little-endian platform, this one is " + ByteOrder.nativeOrder());
        }
    }

    /** Closes the file. Arrays already loaded stay valid; later reads throw {@link IllegalStateException}. */
    @Override
    public void close() throws IOException {
        closed = true;
        channel.close();
    }

    @Override
    public String toString() {
        return "SafetensorsReader[" + path + ", " + names.size() + " tensors]";
    }
}
