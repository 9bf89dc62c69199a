package org.peft4j.merge.sparsify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.charset.StandardCharsets;

/**
 * Supplies the keep-mask of one task tensor for random pruning (DARE). The default, {@link
 * #seeded(long)}, derives an independent seed for each (tensor name, input index) pair, so a merge
 * gives the same result whether tensors are processed in memory or streamed, in any order.
 */
@FunctionalInterface
public interface MaskSource {

    /**
     * Returns the keep-mask of one input's tensor.
     *
     * @param tensorName the tensor's checkpoint key
     * @param inputIndex index of the input model (0-based)
     * @param shape tensor shape
     * @param keepProbability probability that an entry is kept (the density)
     * @param manager where the mask is created
     * @return float32 0/1 array of {@code shape}, owned by the caller
     */
    NDArray mask(
            String tensorName, int inputIndex, Shape shape, double keepProbability, NDManager manager);

    /**
     * Bernoulli masks from {@link BernoulliMask} with seed {@link #derive(long, String, int)}.
     *
     * @param seed the merge's seed
     * @return a deterministic mask source
     */
    static MaskSource seeded(long seed) {
        return (name, input, shape, p, manager) ->
                BernoulliMask.sample(manager, shape, p, derive(seed, name, input));
    }

    /**
     * The seed of one (tensor, input) mask: SplitMix64 finalisation of the merge seed combined with
     * the 64-bit FNV-1a hash of the tensor name's UTF-8 bytes and the input index.
     *
     * @param seed the merge's seed
     * @param tensorName checkpoint key
     * @param inputIndex input model index
     * @return derived seed
     */
    static long derive(long seed, String tensorName, int inputIndex) {
        long h = 0xcbf29ce484222325L;
        for (byte b : tensorName.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        long z = seed + 0x9E3779B97F4A7C15L * (h ^ (inputIndex + 1L));
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
