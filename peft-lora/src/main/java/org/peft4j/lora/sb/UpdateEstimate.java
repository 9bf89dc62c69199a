package org.peft4j.lora.sb;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The rank-{@code r} truncation of an estimated first full fine-tuning update, per target layer:
 * {@code trunc_r(ΔW) = U_r · diag(Σ_r) · V_rᵀ} with {@code ΔW = −η_eff · sign(G)}. Produced by
 * {@link UpdateEstimator}, consumed by {@link LoraSbMethod} when a model is wrapped with {@link
 * LoraSbConfig#withUpdateEstimate}. Holds native arrays: close it once the model is wrapped.
 */
public final class UpdateEstimate implements AutoCloseable {

    /**
     * One layer's truncated update {@code u · diag(s) · vt}.
     *
     * @param u left singular vectors, {@code [out, r]}, orthonormal columns, float32
     * @param s singular values, {@code [r]}, descending, float32, in the units of the weight
     * @param vt right singular vectors, {@code [r, in]}, orthonormal rows, float32
     */
    public record LayerUpdate(NDArray u, NDArray s, NDArray vt) {}

    private final NDManager manager;
    private final Map<String, LayerUpdate> layers;
    private final int rank;
    private final int samples;
    private final double effectiveLearningRate;

    /**
     * Creates an estimate that owns {@code manager} and the arrays in it.
     *
     * @param manager the owner of every array of {@code layers}; closed by {@link #close()}
     * @param layers layer path to truncated update
     * @param rank the rank {@code r} of every layer's truncation
     * @param samples the number of training samples the gradient was summed over
     * @param effectiveLearningRate {@code η_eff}, the magnitude of every entry of {@code ΔW}
     */
    public UpdateEstimate(NDManager manager, Map<String, LayerUpdate> layers, int rank, int samples, double effectiveLearningRate) {
        this.manager = manager;
        this.layers = Collections.unmodifiableMap(new LinkedHashMap<>(layers));
        this.rank = rank;
        this.samples = samples;
        this.effectiveLearningRate = effectiveLearningRate;
    }

    /**
     * Returns one layer's truncated update.
     *
     * @param path the layer's dotted path
     * @return the update, or null when the estimate has no such layer
     */
    public LayerUpdate layer(String path) {
        return layers.get(path);
    }

    /**
     * Returns the paths of the estimated layers.
     *
     * @return paths in model order
     */
    public Set<String> paths() {
        return layers.keySet();
    }

    /**
     * Returns the rank of the truncations.
     *
     * @return r
     */
    public int rank() {
        return rank;
    }

    /**
     * Returns the number of training samples the gradient was summed over (fewer than {@code
     * num_samples} when the data ran out).
     *
     * @return samples
     */
    public int samples() {
        return samples;
    }

    /**
     * Returns {@code η_eff}.
     *
     * @return the magnitude of every entry of {@code ΔW}
     */
    public double effectiveLearningRate() {
        return effectiveLearningRate;
    }

    /** Frees the arrays. */
    @Override
    public void close() {
        manager.close();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "UpdateEstimate(" + layers.size() + " layers, r=" + rank + ", samples=" + samples + ", eta_eff=" + effectiveLearningRate + ")";
    }
}
