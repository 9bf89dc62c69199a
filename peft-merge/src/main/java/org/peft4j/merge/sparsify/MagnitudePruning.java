package org.peft4j.merge.sparsify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Magnitude pruning (TIES "trim"): keep the {@code k = floor(density * numel)} entries of largest
 * absolute value, zero the rest. Matches PEFT {@code merge_utils.magnitude_based_pruning} (flattened
 * {@code torch.topk} of {@code |t|}); a density of 1 returns the tensor unchanged, as PEFT's {@code
 * prune} does. Among equal magnitudes the kept entries are the ones libtorch's {@code topk} returns,
 * so results match PEFT on the same libtorch.
 *
 * <p>The mask is {@code |t| >= (k-th largest |t|)} when exactly {@code k} entries pass that test
 * (then it is the same set {@code topk} selects). When magnitudes tie at the threshold, a tensor of
 * up to 2^17 entries keeps the tied entries {@code topk} returns (as PEFT on the same libtorch);
 * a longer one keeps the tied entries with the lowest flat indices ({@code topk}'s choice among
 * ties is unspecified and differs between CPU and GPU). For long tensors the k-th largest
 * magnitude is found without a top-k over all entries: a seeded sample brackets it, and a top-k
 * runs over the few entries inside the bracket (exact; the sample only decides the speed). Task
 * tensors are processed one at a time, and a long one in blocks of 2^21 entries, so the extra
 * memory is a few MiB plus the entries inside the bracket (about 1% of a tensor).
 */
public final class MagnitudePruning {

    /** Rows up to this length take the k-th largest magnitude straight from {@code topk}. */
    private static final long EXACT_BELOW = 1L << 17;

    /** Sample size of the banded search for longer rows. */
    private static final int SAMPLE = 1 << 16;

    /**
     * Entries per block of the banded search's passes (8 MiB of float32): temporaries this size are
     * reused by the allocator (a tensor-sized one is paged in afresh each time), and a block is
     * large enough that the per-operation cost (JNI, libtorch's thread hand-off) stays small.
     */
    private static final long BLOCK = 1L << 21;

    /** Smallest threshold for the float-arithmetic mask (2^-100), see {@code keepAtLeast}. */
    private static final float FLOAT_PATH_MIN = 0x1p-100f;

    /** Entries counted per float32 sum: every count up to 2^24 is exact in float32. */
    private static final long COUNT_CHUNK = 1L << 24;

    private MagnitudePruning() {}

    /**
     * Prunes one tensor.
     *
     * @param tensor any shape, float32
     * @param density fraction kept, in (0, 1]
     * @return same shape and dtype, in {@code tensor}'s manager; the input itself when density is 1
     */
    public static NDArray prune(NDArray tensor, double density) {
        Density.require(density);
        if (density >= 1.0) {
            return tensor;
        }
        NDArray result = tensor.duplicate();
        try (NDScope scope = new NDScope()) {
            pruneRowsInPlace(result.reshape(1, tensor.size()), density);
        }
        return result;
    }

    /**
     * Prunes each task tensor of a stack separately (PEFT applies {@code prune} per task tensor).
     *
     * @param stacked {@code [T, ...]} float32
     * @param density fraction kept per task tensor, in (0, 1]
     * @return {@code [T, ...]} float32 in {@code stacked}'s manager; the input itself when density is 1
     */
    public static NDArray pruneEach(NDArray stacked, double density) {
        Density.require(density);
        if (density >= 1.0) {
            return stacked;
        }
        NDArray result = stacked.duplicate();
        pruneEachInPlace(result, density);
        return result;
    }

    /**
     * Prunes each task tensor of a stack in place (no copy of the stack is made).
     *
     * @param stacked {@code [T, ...]} float32, overwritten
     * @param density fraction kept per task tensor, in (0, 1]
     */
    public static void pruneEachInPlace(NDArray stacked, double density) {
        Density.require(density);
        if (density >= 1.0) {
            return;
        }
        long t = stacked.getShape().get(0);
        try (NDScope scope = new NDScope()) {
            pruneRowsInPlace(stacked.reshape(t, stacked.size() / t), density);
        }
    }

    // rows: [T, n], a view of the caller's array; each row keeps its int(density * n) largest |x|
    private static void pruneRowsInPlace(NDArray rows, double density) {
        long n = rows.getShape().get(1);
        long k = (long) (density * n);
        if (k <= 0) {
            rows.muli(0f);
            return;
        }
        for (long r = 0; r < rows.getShape().get(0); r++) {
            try (NDScope scope = new NDScope()) {
                pruneRowInPlace(rows.get(r), k);
            }
        }
    }

    private static void pruneRowInPlace(NDArray row, long k) {
        if (row.getShape().get(0) > EXACT_BELOW && keepAboveBandedThreshold(row, k)) {
            return;
        }
        NDArray abs = row.abs();
        float threshold = abs.topK(Math.toIntExact(k), 0, true, false).get(0).min().getFloat();
        NDArray keep = abs.gte(threshold);
        if (count(keep) != k) {
            // magnitudes tie at the threshold: keep exactly the entries topk returns
            NDArray indices = abs.topK(Math.toIntExact(k), 0, true, false).get(1);
            keep = abs.zerosLike().scatter(indices, indices.onesLike().toType(DataType.FLOAT32, false), 0);
        }
        row.muli(keep);
    }

    // Number of true entries. Summed as float32 (libtorch's float reduction is vectorised, its
    // integer one is several times slower), in chunks of 2^24 entries so every partial sum is exact.
    private static long count(NDArray bool) {
        long n = bool.size();
        long total = 0;
        try (NDArray flat = bool.flatten()) {
            for (long start = 0; start < n; start += COUNT_CHUNK) {
                try (NDArray chunk = flat.get(start + ":" + Math.min(n, start + COUNT_CHUNK));
                        NDArray ones = chunk.toType(DataType.FLOAT32, false);
                        NDArray sum = ones.sum()) {
                    total += (long) sum.getFloat();
                }
            }
        }
        return total;
    }

    /**
     * Keeps the entries with {@code |x| >=} the k-th largest magnitude without a top-k over the whole
     * row: a seeded sample brackets that magnitude in {@code [lo, hi]} (sample quantiles 4 binomial
     * standard deviations either side of the target rank); one pass counts the entries above {@code
     * hi} and collects the few inside the bracket, a top-k over those gives the exact threshold, and
     * a second pass zeroes the entries below it. Both passes go through the row in blocks of {@link
     * #BLOCK} entries, so the temporaries ({@code |x|}, the comparison masks) stay block-sized and
     * are reused from the allocator rather than paged in afresh for every tensor.
     *
     * @return false (row untouched) when the bracket misses
     */
    private static boolean keepAboveBandedThreshold(NDArray row, long k) {
        long n = row.getShape().get(0);
        float[] bracket = sampleBracket(row, k);
        float lo = bracket[0];
        float hi = bracket[1];
        int blocks = Math.toIntExact((n + BLOCK - 1) / BLOCK);
        NDList bands = new NDList(blocks); // per block: its entries with lo <= |x| <= hi
        try {
            long above = 0;
            for (int b = 0; b < blocks; b++) {
                try (NDScope scope = new NDScope()) {
                    NDArray abs = block(row, b, n).abs();
                    NDArray aboveHi = abs.gt(hi);
                    above += count(aboveHi);
                    // aboveHi is a subset of abs >= lo, so xor leaves lo <= |x| <= hi (about 1% of
                    // the block); nonzero + take extracts it faster than booleanMask
                    NDArray band = abs.take(abs.gte(lo).logicalXor(aboveHi).nonzero().flatten());
                    NDScope.unregister(band);
                    bands.add(band);
                }
            }
            long inBand = k - above;
            if (above >= k || bandSize(bands) < inBand) {
                return false;
            }
            float threshold;
            long strictlyAbove = above;
            long[] tiesPerBlock = new long[blocks];
            try (NDScope scope = new NDScope()) {
                NDArray band = NDArrays.concat(bands);
                threshold = band.topK(Math.toIntExact(inBand), 0, true, false).get(0).min().getFloat();
                strictlyAbove += count(band.gt(threshold));
                for (int b = 0; b < blocks; b++) {
                    tiesPerBlock[b] = count(bands.get(b).eq(threshold));
                }
            }
            // keep every |x| > threshold and, of the entries tied at it, the ones with the lowest
            // flat indices until k are kept
            long tiesToKeep = k - strictlyAbove;
            for (int b = 0; b < blocks; b++) {
                try (NDScope scope = new NDScope()) {
                    NDArray part = block(row, b, n);
                    if (tiesToKeep >= tiesPerBlock[b]) {
                        keepAtLeast(part, threshold, false);
                        tiesToKeep -= tiesPerBlock[b];
                    } else if (tiesToKeep == 0) {
                        keepAtLeast(part, threshold, true);
                    } else {
                        NDArray abs = part.abs();
                        NDArray tied = abs.eq(threshold).nonzero().flatten(); // ascending indices
                        NDIndex keptTies = new NDIndex("{}", tied.get("0:" + tiesToKeep));
                        NDArray tiedValues = part.get(keptTies);
                        part.muli(abs.gt(threshold));
                        part.set(keptTies, tiedValues);
                        tiesToKeep = 0;
                    }
                }
            }
            return true;
        } finally {
            bands.close();
        }
    }

    /**
     * Zeroes the entries of {@code part} with {@code |x| < threshold} ({@code |x| <= threshold} when
     * {@code strict}), in place. In float arithmetic: {@code d = sign(|x| - threshold)} is -1, 0 or 1,
     * and the keep factor is {@code sign(d + 1)} (keeps ties) or {@code sign(d - 1) + 1} (drops them);
     * a comparison to a bool mask and the multiply by it cost libtorch about twice as much. Exact for
     * thresholds of at least {@link #FLOAT_PATH_MIN}: {@code |x| - threshold} is then 0 only where
     * {@code |x| == threshold}, even if subnormals are flushed to zero; below it the bool mask is used.
     */
    private static void keepAtLeast(NDArray part, float threshold, boolean strict) {
        if (!(threshold >= FLOAT_PATH_MIN)) {
            NDArray abs = part.abs();
            part.muli(strict ? abs.gt(threshold) : abs.gte(threshold));
            return;
        }
        NDArray d = part.abs().subi(threshold).signi();
        if (strict) {
            d.subi(1f).signi().addi(1f);
        } else {
            d.addi(1f).signi();
        }
        part.muli(d);
    }

    // entries [b * BLOCK, min(n, (b + 1) * BLOCK)) of a 1-D row, as a view
    private static NDArray block(NDArray row, int b, long n) {
        long start = b * BLOCK;
        return row.get(new NDIndex().addSliceDim(start, Math.min(n, start + BLOCK)));
    }

    private static long bandSize(NDList bands) {
        long size = 0;
        for (NDArray band : bands) {
            size += band.size();
        }
        return size;
    }

    // [lo, hi]: sample quantiles of |x| a few binomial standard deviations either side of rank k
    private static float[] sampleBracket(NDArray row, long k) {
        long n = row.getShape().get(0);
        long[] positions = new long[SAMPLE];
        SplittableRandom random = new SplittableRandom(n);
        for (int i = 0; i < SAMPLE; i++) {
            positions[i] = random.nextLong(n);
        }
        float[] sample;
        try (NDArray index = row.getManager().create(positions);
                NDArray taken = row.take(index);
                NDArray abs = taken.abs()) {
            sample = abs.toFloatArray();
        }
        Arrays.sort(sample); // ascending
        double p = (double) k / n;
        int margin = (int) Math.ceil(4 * Math.sqrt(SAMPLE * p * (1 - p))) + 1;
        int rank = (int) Math.round((1 - p) * SAMPLE); // ascending position of the target
        return new float[] {sample[Math.max(rank - margin, 0)], sample[Math.min(rank + margin, SAMPLE - 1)]};
    }
}
