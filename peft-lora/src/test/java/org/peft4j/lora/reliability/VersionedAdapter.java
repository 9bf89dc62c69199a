package org.peft4j.lora.reliability;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;

import org.peft4j.core.PeftModel;
import org.peft4j.core.format.AdapterFiles;
import org.peft4j.core.testing.TinyNet;
import org.peft4j.lora.LoraConfig;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * The adapter that {@link SaveLoopChild} saves over and over and {@link KillDuringSaveTest} checks: a LoRA of rank 64
 * on every linear layer of a hidden-512, 4-layer {@link TinyNet} (17 layers, 4.25 MiB of float32), whose values
 * are a pure function of a version number. Element 0 of every tensor is the version itself, the rest are seeded
 * by version and key, so a file can be recognised as exactly one complete version or as none.
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
     * The values of one tensor in one version.
     *
     * @param version the version, below 2^24 so that it is exact as a float
     * @param key the saved key
     * @param size the number of elements
     * @return the values, row-major
     */
    static float[] values(long version, String key, int size) {
        SplittableRandom random = new SplittableRandom(version * 0x9E3779B97F4A7C15L + key.hashCode());
        float[] v = new float[size];
        v[0] = version;
        for (int i = 1; i < size; i++) {
            v[i] = (float) random.nextDouble(-1, 1);
        }
        return v;
    }

    /**
     * Sets every tensor of the model's default adapter to the given version.
     *
     * @param model the wrapped model
     * @param version the version
     */
    static void setVersion(PeftModel model, long version) {
        for (Map.Entry<String, Parameter> e : AdapterFiles.stateDict(model, PeftModel.DEFAULT_ADAPTER).entrySet()) {
            int size = Math.toIntExact(e.getValue().getArray().size());
            e.getValue().getArray().set(values(version, e.getKey(), size));
        }
    }
}
