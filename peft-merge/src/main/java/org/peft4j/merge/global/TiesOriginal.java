package org.peft4j.merge.global;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntPredicate;
import java.util.function.Predicate;
import org.peft4j.core.PeftException;
import org.peft4j.merge.consensus.SignElection;
import org.peft4j.merge.checkpoint.CheckpointView;
import org.peft4j.merge.checkpoint.MissingTensorException;
import org.peft4j.merge.checkpoint.PassProgressListener;
import org.peft4j.merge.checkpoint.ShapeMismatchException;
import org.peft4j.merge.checkpoint.TensorSpec;
import org.peft4j.merge.method.Densities;
import org.peft4j.merge.method.TaskVectorCombiner;
import org.peft4j.merge.method.Ties;
import org.peft4j.merge.method.TiesVariant;
import org.peft4j.merge.method.Weights;
import org.peft4j.merge.sparsify.KthSmallestMagnitude;

/**
 * TIES-merging as the authors' code does it ({@code ties_merging} in Yadav et al.'s repository,
 * reused by the LiNeS repository; methods-spec.md Choices #9 and 5.3), where each task vector is one
 * flat vector over the <em>whole</em> model:
 *
 * <ol>
 *   <li><b>Trim</b> ({@code topk_values_mask}): with {@code d} entries per task vector and density
 *       {@code K}, {@code k = d - int(d K)}; the threshold is the {@code k}-th smallest {@code |tau|}
 *       over all of that task's entries ({@code torch.kthvalue}, 1-based) and entries with {@code
 *       |tau| >= threshold} are kept (ties at the threshold too, so {@code int(d K) + 1} entries
 *       survive when the magnitudes are distinct). A density of 1 keeps everything.
 *   <li><b>Elect</b> ({@code resolve_sign}): {@code s = sign(sum_i trimmed tau_i)} per entry; where
 *       the sum is exactly 0, {@code s} is the majority sign, {@code sign(sum of s over all entries)}
 *       ({@code resolve_zero_signs("majority")}), one value for the whole model. If that sum is 0 too,
 *       the entry's sign stays 0 and the original's selection {@code where(s > 0, tau > 0, tau < 0)}
 *       then takes the negative entries; this class reproduces that.
 *   <li><b>Disjoint mean</b> ({@code disjoint_merge("mean")}): per entry, the sum of the trimmed
 *       entries that agree with {@code s} ({@code > 0} for +, {@code < 0} for -) divided by their
 *       count, clamped to at least 1. There are no per-task weights; the caller scales the merged
 *       task vector by its {@code lambda} ({@link org.peft4j.merge.method.TaskVectorMerge}).
 * </ol>
 *
 * <p>The per-tensor variants of {@link org.peft4j.merge.method.Ties} (PEFT, mergekit) trim each
 * tensor on its own and break ties per entry; this one needs two whole-model statistics, which
 * {@link #prepare} computes by streaming over the checkpoints without holding the model: two passes
 * of radix selection for every task's threshold at once ({@link KthSmallestMagnitude}) and one pass
 * for the majority sign. The returned combiner then merges tensor by tensor like any other (the
 * merge itself is the fourth pass). Sums over tasks run in float32 in input order, the same order in
 * the majority pass and the merge, so both see the same zero sums (the original's {@code
 * tensor.sum(dim=0)} may associate three or more tasks otherwise, which can only turn a rounding
 * residue into an exact zero or back). The majority count is exact (the original sums the signs in
 * float32).
 *
 * <p>The task vector is every floating tensor of the base that the caller does not exclude (integer
 * tensors and keys the base lacks, such as a new head, are not part of it); every input must hold
 * each of those keys with the base's shape. The combiner refuses a key outside that set, since its
 * statistics would not describe it.
 *
 * <pre>{@code
 * TiesOriginal ties = TiesOriginal.prepare(base, List.of(a, b), 0.2, manager);
 * StreamingMerger.builder().build().merge(base, List.of(a, b), new TaskVectorMerge(ties, lambda), out);
 * }</pre>
 */
public final class TiesOriginal implements TaskVectorCombiner {

    /** Entries trimmed together: 8 MiB of float32, as {@link org.peft4j.merge.method.Ties}. */
    private static final long BLOCK = 1L << 21;

    private final float[] thresholds;
    private final int majoritySign;
    private final Map<String, Long> sizes;
    private final long length;

    private TiesOriginal(float[] thresholds, int majoritySign, Map<String, Long> sizes, long length) {
        this.thresholds = thresholds;
        this.majoritySign = majoritySign;
        this.sizes = sizes;
        this.length = length;
    }

    /**
     * Computes the whole-model statistics with one density for every task, every floating tensor of
     * the base in the task vector, no progress reports.
     *
     * @param base base checkpoint
     * @param inputs fine-tuned checkpoints, {@code T >= 1}
     * @param density fraction {@code K} of each task vector kept, in (0, 1]
     * @param manager where temporaries are created (its device); nothing is left in it
     * @return the combiner for {@code T} tasks
     */
    public static TiesOriginal prepare(
            CheckpointView base, List<CheckpointView> inputs, double density, NDManager manager) {
        return prepare(base, inputs, Densities.uniform(density), key -> true, PassProgressListener.silent(), manager);
    }

    /**
     * Computes the whole-model statistics: reads every tensor of the task vector from the base and
     * every input three times (two passes for the trim thresholds, one for the majority sign); an
     * input of density 1 keeps everything, so it is read only in the majority pass.
     * Memory: about three tensors at a time, plus block-sized temporaries.
     *
     * @param base base checkpoint
     * @param inputs fine-tuned checkpoints, {@code T >= 1}, in task order
     * @param densities fraction of each task vector kept, uniform or one per task (the original uses
     *     one for all), each in (0, 1]
     * @param inTaskVector which floating keys of the base belong to the task vector (for example not
     *     a head kept as fine-tuned); keys it rejects are neither counted nor mergeable
     * @param listener hears about each tensor of each pass
     * @param manager where temporaries are created (its device); nothing is left in it
     * @return the combiner for {@code T} tasks
     * @throws MissingTensorException if an input lacks a key of the task vector
     * @throws ShapeMismatchException naming the key and both shapes
     * @throws PeftException if a task vector holds a NaN (naming the key and input)
     * @throws IllegalArgumentException if the task vector is empty or the densities do not fit
     */
    public static TiesOriginal prepare(
            CheckpointView base,
            List<CheckpointView> inputs,
            Densities densities,
            Predicate<String> inTaskVector,
            PassProgressListener listener,
            NDManager manager) {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(densities, "densities");
        Objects.requireNonNull(inTaskVector, "inTaskVector");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(manager, "manager");
        if (inputs == null || inputs.isEmpty()) {
            throw new IllegalArgumentException("inputs must hold at least one checkpoint");
        }
        int tasks = inputs.size();
        densities.requireCount(tasks);
        Map<String, Long> sizes = taskVectorKeys(base, inputs, inTaskVector);
        long length = 0;
        for (long n : sizes.values()) {
            length += n;
        }
        if (length == 0) {
            throw new IllegalArgumentException(
                    "the task vector is empty: the base has no floating tensor (with entries) that lies in it");
        }
        List<String> keys = List.copyOf(sizes.keySet());

        KthSmallestMagnitude[] selections = new KthSmallestMagnitude[tasks];
        boolean anySelection = false;
        for (int t = 0; t < tasks; t++) {
            long rank = length - (long) (length * densities.get(t)); // k = d - int(d K)
            if (rank >= 1) {
                selections[t] = KthSmallestMagnitude.ofRank(rank, length);
                anySelection = true;
            }
        }
        float[] thresholds = new float[tasks]; // 0: keep everything
        if (anySelection) {
            // tasks of density 1 keep everything: they are not read in these passes
            IntPredicate selecting = t -> selections[t] != null;
            forEachTaskTensor(keys, base, inputs, selecting, manager, "TIES magnitudes 1/2", listener, (key, t, tau) -> {
                try {
                    selections[t].countFirstPass(tau);
                } catch (IllegalArgumentException e) {
                    if (tau.isNaN().any().getBoolean()) {
                        throw new PeftException(
                                "the task vector of input " + t + " holds a NaN in tensor '" + key + "'", e);
                    }
                    throw e;
                }
            });
            forEachTaskTensor(keys, base, inputs, selecting, manager, "TIES magnitudes 2/2", listener,
                    (key, t, tau) -> selections[t].countSecondPass(tau));
            for (int t = 0; t < tasks; t++) {
                thresholds[t] = selections[t] == null ? 0f : selections[t].value();
            }
        }
        int majority = majoritySign(keys, base, inputs, thresholds, manager, listener);
        return new TiesOriginal(thresholds, majority, Collections.unmodifiableMap(sizes), length);
    }

    /**
     * @return number of tasks {@code T}
     */
    public int tasks() {
        return thresholds.length;
    }

    /**
     * @param task 0-based task index
     * @return the trim threshold of that task's task vector: entries with {@code |tau| >=} it are
     *     kept ({@code 0} keeps everything)
     */
    public float threshold(int task) {
        return thresholds[task];
    }

    /**
     * @return the majority sign that entries with a zero sum of trimmed task vectors take: +1, -1,
     *     or 0 when the elected signs balance exactly (those entries then keep negative values)
     */
    public int majoritySign() {
        return majoritySign;
    }

    /**
     * @return {@code d}, the number of entries of each flattened task vector
     */
    public long taskVectorLength() {
        return length;
    }

    /**
     * @return the keys of the task vector in the base's order
     */
    public List<String> keys() {
        return List.copyOf(sizes.keySet());
    }

    /** {@inheritDoc} */
    @Override
    public NDArray combineOverwriting(String tensorName, NDArray taus) {
        Long size = sizes.get(tensorName);
        if (size == null) {
            throw new IllegalArgumentException(
                    "tensor '" + tensorName + "' is not part of the task vector these TIES statistics were computed on"
                            + " (keys excluded from it, absent from the base or not floating cannot be merged with them)");
        }
        long tasks = taus.getShape().get(0);
        if (tasks != thresholds.length || taus.size() != tasks * size) {
            throw new IllegalArgumentException(
                    "tensor '" + tensorName + "': expected " + thresholds.length + " task tensors of " + size
                            + " entries, got shape " + taus.getShape());
        }
        NDArray result;
        try (NDScope scope = new NDScope()) {
            NDArray flat = taus.reshape(tasks, size); // a view
            for (int t = 0; t < thresholds.length; t++) {
                trimInBlocks(flat.get(t), thresholds[t]);
            }
            // a majority of 0 elects -1, so those entries keep the negative values as in the original
            result = Ties.consensusMean(
                    taus, weights(), SignElection.TOTAL, TiesVariant.PEFT, majoritySign > 0 ? 1 : -1);
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }

    // trims a 1-D row in place, BLOCK entries at a time, so |tau| and the mask stay block-sized
    private static void trimInBlocks(NDArray row, float threshold) {
        long n = row.size();
        for (long start = 0; start < n; start += BLOCK) {
            try (NDArray part = row.get(new NDIndex().addSliceDim(start, Math.min(n, start + BLOCK)))) {
                trimInPlace(part, threshold);
            }
        }
    }

    private static void trimInPlace(NDArray tau, float threshold) {
        if (threshold > 0f) {
            try (NDArray abs = tau.abs(); NDArray keep = abs.gte(threshold)) {
                tau.muli(keep);
            }
        }
    }

    /**
     * @return {@code T} ones: the original has no per-task weights
     */
    @Override
    public Weights weights() {
        return Weights.ones(thresholds.length);
    }

    /**
     * Accepts only {@code T} ones (used when LoRA factors are merged with square-root weights): the
     * original has no per-task weights.
     *
     * @param weights one weight per task, each 1
     * @return this combiner
     * @throws IllegalArgumentException for any other weights
     */
    @Override
    public TiesOriginal withWeights(Weights weights) {
        if (weights.size() != thresholds.length || !weights.allOnes()) {
            throw new IllegalArgumentException(
                    "TIES as in its original code has no per-task weights; weights must be " + thresholds.length
                            + " ones, got " + weights);
        }
        return this;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "TiesOriginal[thresholds=" + Arrays.toString(thresholds) + ", majoritySign=" + majoritySign
                + ", taskVectorLength=" + length + "]";
    }

    // floating keys of the base in the task vector, with their entry counts; checks every input
    private static Map<String, Long> taskVectorKeys(
            CheckpointView base, List<CheckpointView> inputs, Predicate<String> inTaskVector) {
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (String key : base.names()) {
            TensorSpec spec = base.spec(key);
            if (!spec.isFloating() || !inTaskVector.test(key)) {
                continue;
            }
            for (int i = 0; i < inputs.size(); i++) {
                CheckpointView in = inputs.get(i);
                if (!in.contains(key)) {
                    throw new MissingTensorException(key, "input " + i);
                }
                TensorSpec s = in.spec(key);
                if (!s.shape().equals(spec.shape())) {
                    throw new ShapeMismatchException(key, "the base", spec.shape(), "input " + i, s.shape());
                }
            }
            sizes.put(key, spec.shape().size());
        }
        return sizes;
    }

    private interface TaskTensorAction {
        void accept(String key, int task, NDArray tau);
    }

    // one pass: for each key, each read task's tau = input - base, one task at a time
    private static void forEachTaskTensor(
            List<String> keys,
            CheckpointView base,
            List<CheckpointView> inputs,
            IntPredicate readTask,
            NDManager manager,
            String pass,
            PassProgressListener listener,
            TaskTensorAction action) {
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i);
            try (NDManager scratch = manager.newSubManager()) {
                NDArray b = base.load(key, scratch);
                for (int t = 0; t < inputs.size(); t++) {
                    if (!readTask.test(t)) {
                        continue;
                    }
                    try (NDArray tau = inputs.get(t).load(key, scratch).subi(b)) {
                        action.accept(key, t, tau);
                    }
                }
            }
            listener.onTensor(pass, i + 1, keys.size(), key);
        }
    }

    // sign of the count of positive minus negative elected signs sign(sum_i trimmed tau_i), all entries
    private static int majoritySign(
            List<String> keys,
            CheckpointView base,
            List<CheckpointView> inputs,
            float[] thresholds,
            NDManager manager,
            PassProgressListener listener) {
        long balance = 0;
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i);
            try (NDManager scratch = manager.newSubManager()) {
                NDArray b = base.load(key, scratch);
                NDArray sum = null;
                for (int t = 0; t < inputs.size(); t++) {
                    NDArray tau = inputs.get(t).load(key, scratch).subi(b);
                    trimInPlace(tau, thresholds[t]);
                    if (sum == null) {
                        sum = tau;
                    } else {
                        sum.addi(tau);
                        tau.close();
                    }
                }
                balance += sum.gt(0f).countNonzero().getLong() - sum.lt(0f).countNonzero().getLong();
            }
            listener.onTensor("TIES majority sign", i + 1, keys.size(), key);
        }
        return Long.signum(balance);
    }
}
