package org.peft4j.merge.lines;

import java.util.Collection;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.peft4j.core.PeftException;

/**
 * The LiNeS scales {@code lambda(l) = alpha + beta (l-1)/(L-1)} for the {@code L} transformer
 * blocks (methods-spec.md 5.1; paper eq. and {@code LiNeS_scaling} in the official code, identical).
 *
 * <p>A tensor belongs to a block when {@link #blockPattern()} finds a match in its key; group 1 is
 * the 0-based Hugging Face block index {@code i}, so {@code l = i + 1} and {@code lambda = alpha +
 * beta i / (L-1)}. The index is matched exactly (the official code's substring match {@code ".{i}."}
 * would also hit other numbers; methods-spec.md Choices #11). Every key outside the blocks
 * (embeddings, final norms, pooler) gets {@code alpha}.
 *
 * @param alpha scale of the first block and of everything outside the blocks
 * @param beta increase from the first to the last block, {@code >= 0}
 * @param numBlocks {@code L}, number of transformer blocks, {@code >= 2}
 * @param blockPattern regex whose group 1 is the 0-based block index
 */
public record LinesSchedule(double alpha, double beta, int numBlocks, Pattern blockPattern) {

    /**
     * Default block pattern: {@code layer.N.} or {@code layers.N.} at the start of the key or after a
     * dot, as in BERT ({@code encoder.layer.3.attention...}) and Llama ({@code model.layers.3.mlp...}).
     */
    public static final Pattern DEFAULT_BLOCK_PATTERN = Pattern.compile("(?:^|\\.)layers?\\.(\\d+)\\.");

    /** Validates. */
    public LinesSchedule {
        if (!Double.isFinite(alpha)) {
            throw new IllegalArgumentException("alpha must be finite, got " + alpha);
        }
        if (!(beta >= 0.0) || !Double.isFinite(beta)) {
            throw new IllegalArgumentException("beta must be finite and >= 0, got " + beta);
        }
        if (numBlocks < 2) {
            throw new IllegalArgumentException(
                    "numBlocks must be >= 2 (lambda interpolates from the first to the last block), got "
                            + numBlocks);
        }
        if (blockPattern == null) {
            throw new IllegalArgumentException("blockPattern must not be null");
        }
        if (blockPattern.matcher("").groupCount() < 1) {
            throw new IllegalArgumentException(
                    "blockPattern must capture the block index in group 1, got " + blockPattern);
        }
    }

    /**
     * Single-task form (forgetting mitigation, paper 5.2): {@code beta = 1 - alpha}, so the last block
     * keeps its full update and the first block gets {@code alpha}.
     *
     * @param alpha in [0, 1]
     * @param numBlocks {@code L}
     * @return the schedule with the default block pattern
     */
    public static LinesSchedule singleTask(double alpha, int numBlocks) {
        if (!(alpha >= 0.0 && alpha <= 1.0)) {
            throw new IllegalArgumentException("alpha must be in [0, 1] for the single-task form, got " + alpha);
        }
        return new LinesSchedule(alpha, 1.0 - alpha, numBlocks, DEFAULT_BLOCK_PATTERN);
    }

    /**
     * Multi-task form (paper 5.3): {@code alpha} from {@link LinesMerge#multiTaskAlpha}, {@code beta}
     * tuned.
     *
     * @param alpha from {@link LinesMerge#multiTaskAlpha}
     * @param beta {@code >= 0}
     * @param numBlocks {@code L}
     * @return the schedule with the default block pattern
     */
    public static LinesSchedule multiTask(double alpha, double beta, int numBlocks) {
        return new LinesSchedule(alpha, beta, numBlocks, DEFAULT_BLOCK_PATTERN);
    }

    /**
     * The same scales with another block pattern.
     *
     * @param pattern regex whose group 1 is the 0-based block index
     * @return a new schedule
     */
    public LinesSchedule withBlockPattern(Pattern pattern) {
        return new LinesSchedule(alpha, beta, numBlocks, pattern);
    }

    /**
     * The 0-based block index of a key, if it lies in a block.
     *
     * @param key checkpoint key
     * @return the index, or empty for keys outside the blocks
     */
    public OptionalInt blockIndex(String key) {
        return blockIndex(key, blockPattern);
    }

    /**
     * The scale of a key's task vector.
     *
     * @param key checkpoint key
     * @return {@code alpha + beta i/(L-1)} inside block {@code i}, {@code alpha} outside
     * @throws PeftException if the key's block index is {@code >= numBlocks}
     */
    public double lambda(String key) {
        OptionalInt index = blockIndex(key);
        if (index.isEmpty()) {
            return alpha;
        }
        int i = index.getAsInt();
        if (i >= numBlocks) {
            throw new PeftException(
                    "tensor '" + key + "' lies in block " + i + " but numBlocks is " + numBlocks
                            + " (allowed indices 0.." + (numBlocks - 1) + ")");
        }
        return alpha + beta * i / (numBlocks - 1);
    }

    /**
     * Counts the blocks of a checkpoint: the largest block index found plus one.
     *
     * @param keys checkpoint keys
     * @param pattern regex whose group 1 is the 0-based block index
     * @return {@code L}, or 0 if no key lies in a block
     */
    public static int countBlocks(Collection<String> keys, Pattern pattern) {
        int max = -1;
        for (String key : keys) {
            OptionalInt i = blockIndex(key, pattern);
            if (i.isPresent()) {
                max = Math.max(max, i.getAsInt());
            }
        }
        return max + 1;
    }

    private static OptionalInt blockIndex(String key, Pattern pattern) {
        Matcher m = pattern.matcher(key);
        if (!m.find()) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(Integer.parseInt(m.group(1)));
    }
}
