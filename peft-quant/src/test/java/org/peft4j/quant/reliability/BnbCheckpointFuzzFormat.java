package org.peft4j.quant.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.peft4j.core.io.CorruptSafetensorsCorpus;
import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.io.SafetensorsWriter;
import org.peft4j.core.reliability.FuzzFormat;
import org.peft4j.core.reliability.FuzzInput;
import org.peft4j.core.reliability.JsonMutator;
import org.peft4j.quant.QuantConfig;
import org.peft4j.quant.QuantState;
import org.peft4j.quant.QuantStateException;
import org.peft4j.quant.bnb.BnbCheckpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * {@link BnbCheckpoint#read(Path, NDManager)} on mutated copies of a valid 4-bit checkpoint (one NF4 weight
 * {@code [16, 128]} with double quantization, as {@code QuantConfig.qlora()} makes it, plus a float bias). One input
 * in five flips, cuts or splices the safetensors bytes; the rest rewrite the file with {@link SafetensorsWriter}
 * after mutating, mostly, the JSON of the {@code quant_state.bitsandbytes__nf4} tensor (with {@link JsonMutator}),
 * or the length, shape or dtype of {@code absmax} / {@code nested_absmax} / {@code nested_quant_map} /
 * {@code quant_map} / the packed weight, or by dropping one of them.
 *
 * <p>The reader's documented rejections are {@link QuantStateException} (bad state), {@link IOException} (bad
 * file) and {@link IllegalArgumentException}; the campaign counts only {@code IOException}s as rejections, so
 * {@link #check} rethrows the first and last wrapped in a {@link TypedRejection} and counts them by class here. An
 * accepted checkpoint must dequantize every weight to its declared shape.
 */
final class BnbCheckpointFuzzFormat implements FuzzFormat, AutoCloseable {

    static final String WEIGHT = "model.layers.0.mlp.down_proj.weight";
    private static final String STATE = WEIGHT + BnbCheckpoint.STATE_INFIX + "nf4";
    private static final String[] STATISTICS = {".absmax", ".nested_absmax", ".nested_quant_map", ".quant_map", ""};

    private final NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    private final Map<String, Integer> rejectedBy = new TreeMap<>();
    private byte[] validFile;
    private Map<String, NDArray> validTensors;
    private String validJson;

    @Override
    public String name() {
        return "bnb-quant-state";
    }

    @Override
    public void prepare(Path work) throws IOException {
        Path file = work.resolve("valid.safetensors");
        // a fixed-seed weight, so that the valid file, and thus every input, is the same on every run
        Random random = new Random(7);
        float[] values = new float[16 * 128];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (0.02 * random.nextGaussian());
        }
        NDArray weight = manager.create(values, new Shape(16, 128));
        try (QuantState state = QuantState.quantize(weight, QuantConfig.qlora(), manager)) {
            BnbCheckpoint.write(file, Map.of(WEIGHT, state),
                    Map.of("model.layers.0.mlp.down_proj.bias", manager.zeros(new Shape(16))), null);
        }
        validFile = Files.readAllBytes(file);
        validTensors = new LinkedHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            for (String name : reader.names()) {
                validTensors.put(name, reader.load(name, manager));
            }
        }
        validJson = new String(validTensors.get(STATE).toByteArray(), StandardCharsets.UTF_8);
    }

    @Override
    public FuzzInput input(long seed, int index, Path work) throws IOException {
        Random random = new Random(seed * 1_000_003L + index);
        Path file = work.resolve("input.safetensors");
        int kind = random.nextInt(10);
        if (kind < 2) {
            CorruptSafetensorsCorpus.Case c = CorruptSafetensorsCorpus.randomCases(validFile, random.nextLong(), 1)
                    .get(0);
            Files.write(file, c.bytes());
            return FuzzInput.either("file bytes: " + c.label(), file);
        }
        try (NDManager scratch = manager.newSubManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>(validTensors);
            String label;
            if (kind < 7) {
                JsonMutator.Mutation m = JsonMutator.mutate(validJson, random);
                tensors.put(STATE, bytesTensor(m.bytes(), scratch));
                label = "state JSON: " + m.label();
            } else {
                String key = WEIGHT + STATISTICS[random.nextInt(STATISTICS.length)];
                label = key + ": " + mutateTensor(tensors, key, random, scratch);
            }
            SafetensorsWriter.save(file, tensors, null);
            return FuzzInput.either(label, file);
        }
    }

    private static String mutateTensor(Map<String, NDArray> tensors, String key, Random random, NDManager scratch) {
        NDArray t = tensors.get(key);
        long n = t.size();
        switch (random.nextInt(6)) {
            case 0:
                tensors.remove(key);
                return "removed";
            case 1: {
                long keep = n == 0 ? 0 : random.nextInt((int) n);
                tensors.put(key, t.flatten().get("0:" + keep));
                return "truncated to " + keep + " of " + n + " elements";
            }
            case 2: {
                long extra = 1 + random.nextInt(64);
                tensors.put(key, t.flatten().concat(scratch.zeros(new Shape(extra), t.getDataType())));
                return extra + " elements appended";
            }
            case 3:
                tensors.put(key, t.flatten().reshape(1, n));
                return "reshaped to [1, " + n + "]";
            case 4: {
                DataType[] types = {DataType.FLOAT32, DataType.FLOAT16, DataType.UINT8, DataType.INT64,
                    DataType.FLOAT64};
                DataType to = types[random.nextInt(types.length)];
                tensors.put(key, t.toType(to, false));
                return "cast to " + to;
            }
            default: {
                float[] palette = {Float.NaN, Float.POSITIVE_INFINITY, -1f, 0f, 1e30f};
                float v = palette[random.nextInt(palette.length)];
                tensors.put(key, scratch.full(t.getShape(), v, DataType.FLOAT32).toType(t.getDataType(), false));
                return "every element set to " + v;
            }
        }
    }

    private static NDArray bytesTensor(byte[] bytes, NDManager scratch) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
        buffer.put(bytes).flip();
        return scratch.create(buffer, new Shape(bytes.length), DataType.UINT8);
    }

    @Override
    public void check(FuzzInput input) throws IOException {
        try (NDManager scratch = manager.newSubManager()) {
            Map<String, QuantState> states = BnbCheckpoint.read(input.path(), scratch);
            for (Map.Entry<String, QuantState> e : states.entrySet()) {
                QuantState s = e.getValue();
                NDArray w = s.dequantize(scratch);
                assertEquals(s.shape(), w.getShape(), e.getKey());
                assertEquals(s.numel(), w.size(), e.getKey());
                assertTrue(s.packed().size() * 2 >= s.numel(), e.getKey() + ": packed data shorter than the weight");
            }
        } catch (QuantStateException | IllegalArgumentException e) {
            rejectedBy.merge(e.getClass().getSimpleName(), 1, Integer::sum);
            throw new TypedRejection(e);
        } catch (IOException e) {
            rejectedBy.merge(e.getClass().getSimpleName(), 1, Integer::sum);
            throw e;
        }
    }

    /** @return rejections by the reader's own exception class */
    Map<String, Integer> rejectedBy() {
        return rejectedBy;
    }

    @Override
    public void close() {
        manager.close();
    }
}
