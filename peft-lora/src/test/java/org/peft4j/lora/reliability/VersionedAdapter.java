package org.peft4j.lora.reliability;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;

import org.peft4j.core.PeftModel;
import org.peft4j.core.format.AdapterFiles;
import org.peft4j.core.testing.TinyNet;
import org.peft4j.lora.LoraConfig;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The adapter that {@link SaveLoopChild} saves over and over and {@link KillDuringSaveTest} checks: a LoRA of rank 64
 * on every linear layer of a hidden-512, 4-layer {@link TinyNet} (17 layers, 4.25 MiB of float32), whose values
 * are a pure function of a version number: a fixed random pattern per tensor plus the version, with element 0 of
 * every tensor equal to the version itself. Every element changes from one version to the next, so a file can be
 * recognised as exactly one complete version or as none.
 */
final class VersionedAdapter {

    static final int HIDDEN = 512;
    static final int LAYERS = 4;
    static final int LABELS = 2;

    private VersionedAdapter() {
    }

    /** @return the adapter config every version shares */
    static LoraConfig config() {
        return LoraConfig.builder().r(64).loraAlpha(128).targetModules("query", "key", "value", "dense")
                .baseModelNameOrPath("tiny-net-512").build();
    }

    /**
     * Builds the base network; weights do not matter to the test, only the shapes.
     *
     * @param manager the owner of the parameters
     * @return the network
     */
    static TinyNet base(NDManager manager) {
        return new TinyNet(manager, HIDDEN, LAYERS, LABELS);
    }

    /**
     * The values of one tensor in one version: a fixed pattern for the key plus the version, in float32.
     *
     * @param version the version, below 2^24 so that it is exact as a float
     * @param key the saved key
     * @param size the number of elements
     * @return the values, row-major; element 0 is the version itself
     */
    static float[] values(long version, String key, int size) {
        float[] v = pattern(key, size);
        for (int i = 0; i < size; i++) {
            v[i] = v[i] + (float) version;
        }
        return v;
    }

    private static float[] pattern(String key, int size) {
        SplittableRandom random = new SplittableRandom(key.hashCode());
        float[] v = new float[size];
        for (int i = 1; i < size; i++) {
            v[i] = (float) random.nextDouble(-1, 1);
        }
        return v;
    }

    /**
     * Sets a model's adapter to any version with a few in-place tensor ops (far quicker than copying from Java, so
     * that the saving loop spends its time saving).
     */
    static final class Writer {
        private final Map<String, Parameter> state;
        private final Map<String, NDArray> patterns = new LinkedHashMap<>();

        /**
         * Prepares the patterns of every tensor of the model's default adapter.
         *
         * @param model the wrapped model
         */
        Writer(PeftModel model) {
            state = AdapterFiles.stateDict(model, PeftModel.DEFAULT_ADAPTER);
            state.forEach((key, p) -> {
                NDArray array = p.getArray();
                patterns.put(key, array.getManager().create(pattern(key, Math.toIntExact(array.size())),
                        array.getShape()));
            });
        }

        /**
         * Sets every tensor to {@link #values}: 0, plus the pattern, plus the version (one float32 rounding, as in
         * Java).
         *
         * @param version the version
         */
        void set(long version) {
            state.forEach((key, p) -> p.getArray().muli(0).addi(patterns.get(key)).addi((float) version));
        }
    }
}
