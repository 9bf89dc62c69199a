package org.peft4j.merge.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.peft4j.core.io.SafetensorsWriter;
import org.peft4j.core.io.TensorDType;
import org.peft4j.merge.method.MergeMethod;

/**
 * Writes a checkpoint view to a safetensors file one tensor at a time: for each key it loads the
 * tensor (for a {@link MergedCheckpoint}: from the base and every input, then applies the method),
 * writes it, and closes everything before the next key. Peak memory is therefore about the largest
 * tensor times the number of checkpoints read for it (plus the method's temporaries), whatever the
 * checkpoint size. The output appears atomically on {@link SafetensorsWriter#commit()}: a failure
 * leaves no partial file behind.
 *
 * <pre>{@code
 * try (SafetensorsCheckpoint base = SafetensorsCheckpoint.open(baseDir);
 *      SafetensorsCheckpoint a = SafetensorsCheckpoint.open(aDir);
 *      SafetensorsCheckpoint b = SafetensorsCheckpoint.open(bDir)) {
 *     StreamingMerger.builder().build()
 *             .merge(base, List.of(a, b), TaskVectorMerge.of(Ties.of(0.2, 1, 1)), out);
 * }
 * }</pre>
 */
public final class StreamingMerger {

    private final MergeProgressListener listener;
    private final Map<String, String> metadata;
    private final Device device;
    private final TensorDType floatType;

    private StreamingMerger(Builder b) {
        this.listener = b.listener;
        this.metadata = Map.copyOf(b.metadata);
        this.device = b.device;
        this.floatType = b.floatType;
    }

    /**
     * @return a builder (progress printed as {@code [i/n] name}, metadata {@code format: pt}, CPU,
     *     float32 output)
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Merges checkpoints into a file.
     *
     * @param base base checkpoint (null for methods that use none)
     * @param inputs input checkpoints in weight order
     * @param method per-tensor method
     * @param output safetensors file to create or replace
     * @return what was written
     * @throws IOException if writing fails (the output is then untouched)
     */
    public StreamingReport merge(CheckpointView base, List<CheckpointView> inputs, MergeMethod method, Path output)
            throws IOException {
        return write(MergedCheckpoint.of(base, inputs, method), output);
    }

    /**
     * Writes any view (a merge, a soup, a task vector, a transfer) to a file.
     *
     * @param view the checkpoint to materialise
     * @param output safetensors file to create or replace
     * @return what was written
     * @throws IOException if writing fails (the output is then untouched)
     */
    public StreamingReport write(CheckpointView view, Path output) throws IOException {
        long start = System.nanoTime();
        List<String> names = view.names();
        SafetensorsWriter.Builder header = SafetensorsWriter.builder().metadata(metadata);
        for (String name : names) {
            TensorSpec spec = view.spec(name);
            header.add(name, fileType(spec), spec.shape().getShape());
        }
        long bytes = 0;
        try (NDManager root = NDManager.newBaseManager(device);
                SafetensorsWriter writer = header.open(output)) {
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                try (NDManager perTensor = root.newSubManager()) {
                    NDArray tensor = view.load(name, perTensor);
                    bytes += writeTensor(writer, name, tensor, fileType(view.spec(name)));
                }
                listener.onTensor(i + 1, names.size(), name);
            }
            writer.commit();
        }
        return new StreamingReport(output, names.size(), bytes, (System.nanoTime() - start) / 1e9);
    }

    private TensorDType fileType(TensorSpec spec) {
        return spec.isFloating() ? floatType : TensorDType.of(spec.dataType());
    }

    private static long writeTensor(SafetensorsWriter writer, String name, NDArray tensor, TensorDType type)
            throws IOException {
        if (type == TensorDType.BF16) {
            // the writer narrows float32 to bf16 in Java
            writer.write(name, tensor);
            return tensor.size() * 2;
        }
        NDArray out = tensor;
        if (type.djlType() != tensor.getDataType()) {
            out = tensor.toType(type.djlType(), false);
        }
        if (!out.getDevice().equals(Device.cpu())) {
            out = out.toDevice(Device.cpu(), false);
        }
        // a direct view of the array's own memory: no copy through the Java heap
        writer.write(name, out.toByteBuffer(true).order(ByteOrder.LITTLE_ENDIAN));
        return out.size() * type.byteSize();
    }

    /** Configures a {@link StreamingMerger}. */
    public static final class Builder {

        private MergeProgressListener listener = MergeProgressListener.printing();
        private final Map<String, String> metadata = new LinkedHashMap<>(Map.of("format", "pt"));
        private Device device = Device.cpu();
        private TensorDType floatType = TensorDType.F32;

        private Builder() {}

        /**
         * @param value progress listener (default {@link MergeProgressListener#printing()})
         * @return this builder
         */
        public Builder listener(MergeProgressListener value) {
            if (value == null) {
                throw new IllegalArgumentException("listener must not be null (use MergeProgressListener.silent())");
            }
            this.listener = value;
            return this;
        }

        /**
         * @param value {@code __metadata__} of the output (default {@code {"format": "pt"}}, which
         *     transformers expects)
         * @return this builder
         */
        public Builder metadata(Map<String, String> value) {
            this.metadata.clear();
            this.metadata.putAll(value);
            return this;
        }

        /**
         * @param value device the merge math runs on (default CPU)
         * @return this builder
         */
        public Builder device(Device value) {
            if (value == null) {
                throw new IllegalArgumentException("device must not be null");
            }
            this.device = value;
            return this;
        }

        /**
         * @param value file dtype of floating tensors: F32 (default), F16 or BF16 (narrowed with
         *     round-to-nearest-even)
         * @return this builder
         */
        public Builder floatType(TensorDType value) {
            if (value != TensorDType.F32 && value != TensorDType.F16 && value != TensorDType.BF16) {
                throw new IllegalArgumentException("floatType must be F32, F16 or BF16, got " + value);
            }
            this.floatType = value;
            return this;
        }

        /**
         * @return the merger
         */
        public StreamingMerger build() {
            return new StreamingMerger(this);
        }
    }
}
