package org.peft4j.lora.eva;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What EVA's data pass found: for every target layer its new rank and its starting {@code lora_A}
 * (the top principal directions of the layer's inputs, one per row). PEFT calls it the
 * {@code eva_state_dict}. The arrays are host copies; the result holds no native memory.
 */
public final class EvaResult {

    /**
     * One target layer.
     *
     * @param path the module path
     * @param rank its rank after redistribution, {@code >= 0} (0: the layer gets no adapter)
     * @param inFeatures the layer's input width
     * @param loraA {@code [rank, inFeatures]} row-major
     * @param sharesInputWith the layer whose principal components this one reuses because both
     *     receive the same input (PEFT's {@code equal_inputs_map}), or null
     * @param explainedVariance each kept component's share of the variance of the layer's inputs
     */
    public record Layer(String path, int rank, long inFeatures, float[] loraA, String sharesInputWith, double[] explainedVariance) {}

    private final Map<String, Layer> layers;
    private final EvaConfig config;
    private final int forwardPasses;

    EvaResult(List<Layer> layers, EvaConfig config, int forwardPasses) {
        Map<String, Layer> m = new LinkedHashMap<>();
        layers.forEach(l -> m.put(l.path(), l));
        this.layers = Collections.unmodifiableMap(m);
        this.config = config;
        this.forwardPasses = forwardPasses;
    }

    /**
     * Returns every target layer, in model order.
     *
     * @return path to layer
     */
    public Map<String, Layer> layers() {
        return layers;
    }

    /**
     * Returns the rank of every target layer, in model order.
     *
     * @return path to rank (0 for layers left without an adapter)
     */
    public Map<String, Integer> ranks() {
        Map<String, Integer> m = new LinkedHashMap<>();
        layers.forEach((k, v) -> m.put(k, v.rank()));
        return m;
    }

    /**
     * Returns the settings used.
     *
     * @return the EVA config
     */
    public EvaConfig evaConfig() {
        return config;
    }

    /**
     * Returns how many forward passes the components needed to converge (the first pass, which
     * only finds layers that share an input, not counted).
     *
     * @return the count
     */
    public int forwardPasses() {
        return forwardPasses;
    }

    @Override
    public String toString() {
        return "EvaResult(" + layers.size() + " layers, ranks " + ranks().values() + ", " + forwardPasses + " forward passes)";
    }
}
