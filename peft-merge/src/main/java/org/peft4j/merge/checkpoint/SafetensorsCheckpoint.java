package org.peft4j.merge.checkpoint;

import ai.djl.Device;
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
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.peft4j.core.PeftException;
import org.peft4j.core.io.BFloat16;
import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.io.ShardedSafetensors;
import org.peft4j.core.io.TensorDType;
import org.peft4j.core.io.TensorInfo;

/**
 * A checkpoint on disk: one {@code .safetensors} file, a Hugging Face model folder ({@code
 * model.safetensors} or the shards of {@code model.safetensors.index.json}), or an index file.
 * Headers are read and validated by {@link SafetensorsReader} when the view opens; tensor data is
 * read on demand, one tensor per {@link #load} call.
 *
 * <p>On the CPU a tensor is read with positional {@link FileChannel} reads straight into the memory
 * of a freshly allocated array (no memory mapping, no intermediate buffer), so file pages never
 * count towards the process's resident memory and nothing waits for the garbage collector. bf16 is
 * widened to float32 in Java as it is read; float16 and float64 are converted by the engine; integer
 * tensors keep their dtype. On another device the tensor is read on the CPU and copied over. A
 * tensor must fit in 2 GiB once loaded.
 */
public final class SafetensorsCheckpoint implements CheckpointView {

    private static final int WIDEN_CHUNK_BYTES = 1 << 22;

    private final Path source;
    private final ShardedSafetensors sharded;
    private final SafetensorsReader single;
    private final Map<String, Entry> entries;
    private final List<String> names;
    private final Map<Path, FileChannel> channels;
    private final Map<String, String> metadata;

    private record Entry(TensorInfo info, FileChannel channel, long position, Path file) {}

    private SafetensorsCheckpoint(Path source, ShardedSafetensors sharded, SafetensorsReader single)
            throws IOException {
        this.source = source;
        this.sharded = sharded;
        this.single = single;
        this.channels = new HashMap<>();
        this.entries = new LinkedHashMap<>();
        List<String> order = new ArrayList<>();
        try {
            List<String> keys = single != null ? single.names() : sharded.names();
            for (String name : keys) {
                SafetensorsReader reader = single != null ? single : sharded.shardOf(name);
                FileChannel channel = channels.get(reader.path());
                if (channel == null) {
                    channel = FileChannel.open(reader.path(), StandardOpenOption.READ);
                    channels.put(reader.path(), channel);
                }
                TensorInfo info = reader.info(name);
                entries.put(name, new Entry(info, channel, reader.dataStart() + info.dataBegin(), reader.path()));
                order.add(name);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        this.names = Collections.unmodifiableList(order);
        this.metadata = single != null ? single.metadata() : Map.of();
    }

    /**
     * Opens a checkpoint.
     *
     * @param path a {@code .safetensors} file, a {@code model.safetensors.index.json}, or a model folder
     * @return the open view; close it to release the files
     * @throws IOException if a file cannot be read
     * @throws org.peft4j.core.io.SafetensorsException if a header is invalid (the message names the file
     *     and key)
     */
    public static SafetensorsCheckpoint open(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            return new SafetensorsCheckpoint(path, ShardedSafetensors.openDirectory(path), null);
        }
        if (path.getFileName() != null && path.getFileName().toString().endsWith(".index.json")) {
            return new SafetensorsCheckpoint(path, ShardedSafetensors.open(path), null);
        }
        return new SafetensorsCheckpoint(path, null, SafetensorsReader.open(path));
    }

    /**
     * @return the file or folder this view reads
     */
    public Path source() {
        return source;
    }

    /**
     * @return the header's {@code __metadata__} of a single-file checkpoint (empty for shards)
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * @param name checkpoint key
     * @return the dtype as stored in the file
     */
    public TensorDType storedType(String name) {
        return entry(name).info().dtype();
    }

    /** {@inheritDoc} */
    @Override
    public List<String> names() {
        return names;
    }

    /** {@inheritDoc} */
    @Override
    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** {@inheritDoc} */
    @Override
    public TensorSpec spec(String name) {
        TensorInfo info = entry(name).info();
        return new TensorSpec(name, new Shape(info.shape()), loadedType(info.dtype()));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray load(String name, NDManager manager) {
        Entry e = entry(name);
        try {
            if (manager.getDevice().equals(Device.cpu())) {
                return readOnCpu(e, manager);
            }
            try (NDManager host = manager.newSubManager(Device.cpu())) {
                NDArray onHost = readOnCpu(e, host);
                NDArray moved = onHost.toDevice(manager.getDevice(), true);
                moved.attach(manager);
                return moved;
            }
        } catch (IOException ex) {
            throw new PeftException("cannot read tensor '" + name + "' from " + e.file() + ": " + ex.getMessage(), ex);
        }
    }

    /** {@inheritDoc} */
    @Override
    public void loadInto(String name, NDArray target) {
        Entry e = entry(name);
        if (e.info().dtype() != TensorDType.F32
                || target.getDataType() != DataType.FLOAT32
                || !target.getDevice().equals(Device.cpu())
                || !target.getShape().equals(new Shape(e.info().shape()))) {
            CheckpointView.super.loadInto(name, target);
            return;
        }
        try {
            readFully(e.channel(), target.toByteBuffer(true), e.position());
        } catch (IOException ex) {
            throw new PeftException("cannot read tensor '" + name + "' from " + e.file() + ": " + ex.getMessage(), ex);
        }
    }

    private NDArray readOnCpu(Entry e, NDManager manager) throws IOException {
        TensorInfo info = e.info();
        TensorDType stored = info.dtype();
        Shape shape = new Shape(info.shape());
        boolean widenInJava = stored == TensorDType.BF16 || stored == TensorDType.I16;
        DataType readType = widenInJava ? loadedType(stored) : stored.djlType();
        long loadedBytes = shape.size() * readType.getNumOfBytes();
        if (loadedBytes > Integer.MAX_VALUE) {
            throw new PeftException(
                    "tensor '" + info.name() + "' in " + e.file() + " needs " + loadedBytes
                            + " bytes once loaded; tensors of 2 GiB or more are not supported");
        }
        NDArray array = manager.create(shape, readType);
        if (shape.size() > 0) {
            ByteBuffer target = array.toByteBuffer(true).order(ByteOrder.LITTLE_ENDIAN);
            if (widenInJava) {
                readWidening(e, stored, target);
            } else {
                readFully(e.channel(), target, e.position());
            }
        }
        if (readType.isFloating() && readType != DataType.FLOAT32) {
            try (array) {
                return array.toType(DataType.FLOAT32, false);
            }
        }
        return array;
    }

    private static void readWidening(Entry e, TensorDType stored, ByteBuffer target) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(WIDEN_CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        long position = e.position();
        long remaining = e.info().byteLength();
        while (remaining > 0) {
            chunk.clear();
            chunk.limit((int) Math.min(chunk.capacity(), remaining));
            readFully(e.channel(), chunk, position);
            chunk.flip();
            position += chunk.remaining();
            remaining -= chunk.remaining();
            while (chunk.hasRemaining()) {
                short bits = chunk.getShort();
                target.putInt(stored == TensorDType.BF16 ? BFloat16.widenBits(bits) : bits);
            }
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer target, long position) throws IOException {
        long at = position;
        while (target.hasRemaining()) {
            int n = channel.read(target, at);
            if (n < 0) {
                throw new IOException("file ends before the tensor's last byte (offset " + at + ")");
            }
            at += n;
        }
    }

    private static DataType loadedType(TensorDType stored) {
        switch (stored) {
            case BF16:
            case F16:
            case F32:
            case F64:
                return DataType.FLOAT32;
            case I16:
                return DataType.INT32;
            default:
                return stored.djlType();
        }
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new MissingTensorException(name, source.toString());
        }
        return e;
    }

    /** Closes the files. */
    @Override
    public void close() {
        PeftException failure = null;
        for (FileChannel c : channels.values()) {
            try {
                c.close();
            } catch (IOException ex) {
                failure = new PeftException("cannot close " + source + ": " + ex.getMessage(), ex);
            }
        }
        try {
            if (single != null) {
                single.close();
            }
            if (sharded != null) {
                sharded.close();
            }
        } catch (IOException ex) {
            failure = new PeftException("cannot close " + source + ": " + ex.getMessage(), ex);
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "SafetensorsCheckpoint[" + source + ", " + names.size() + " tensors]";
    }
}
