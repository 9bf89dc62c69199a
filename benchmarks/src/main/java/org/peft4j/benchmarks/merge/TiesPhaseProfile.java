package org.peft4j.benchmarks.merge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.peft4j.merge.method.TaskArithmetic;
import org.peft4j.merge.method.TaskVectorMerge;
import org.peft4j.merge.method.Ties;

/**
 * Where the time of one TIES tensor goes: a {@code [rows, 4096]} float32 base and two fine-tunes
 * (the distribution of {@link StreamingMergeBench}) held in memory, merged with {@code
 * TaskVectorMerge.of(Ties.of(density, 1, 1))}, task arithmetic, and step by step as the blocked
 * implementation does it (each step timed on its own, summed over the blocks) and, with {@code
 * whole}, as the original whole-tensor implementation did it. Reading and writing are
 * measured by {@link StreamingMergeBench}'s copy baseline.
 *
 * <pre>
 * java -Xmx1g -cp ... org.peft4j.benchmarks.merge.TiesPhaseProfile [rows 4096] [density 0.2] [repeats 3]
 *      [block entries 2097152] [whole]
 * </pre>
 */
public final class TiesPhaseProfile {

    private static final int COLS = 4096;

    private final Map<String, long[]> phases = new LinkedHashMap<>();
    private final int repeats;
    private int repeat;

    private TiesPhaseProfile(int repeats) {
        this.repeats = repeats;
    }

    /**
     * Runs the profile.
     *
     * @param args rows, density, repeats
     */
    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        double density = args.length > 1 ? Double.parseDouble(args[1]) : 0.2;
        int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        long block = args.length > 3 ? Long.parseLong(args[3]) : 1L << 21;
        boolean whole = args.length > 4 && args[4].equals("whole");
        TiesPhaseProfile profile = new TiesPhaseProfile(repeats);
        try (NDManager manager = NDManager.newBaseManager()) {
            float[][] models = new float[3][];
            for (int m = 0; m < 3; m++) {
                models[m] = generate(m, rows);
            }
            for (int r = 0; r < repeats; r++) {
                profile.repeat = r;
                profile.library(manager, models, rows, density);
                profile.blockedSteps(manager, models, rows, density, block);
                if (whole) {
                    profile.wholeTensorSteps(manager, models, rows, density);
                }
            }
        }
        System.out.printf("one tensor [%d, %d] float32, 2 tasks, density %s, block %d, num_threads %s;"
                + " milliseconds per tensor (steps summed over tasks and blocks), median of %d%n",
                rows, COLS, density, block, System.getProperty("ai.djl.pytorch.num_threads", "default"), repeats);
        profile.phases.forEach((name, times) -> {
            long[] sorted = times.clone();
            Arrays.sort(sorted);
            System.out.printf("  %-44s %8.1f%n", name, sorted[sorted.length / 2] / 1e6);
        });
    }

    private static float[] generate(int model, int rows) {
        float[] values = new float[rows * COLS];
        // base: N(0, 0.02) per tensor; fine-tune m: base + N(0, 0.002) (as StreamingMergeBench)
        SplittableRandom base = new SplittableRandom(0);
        SplittableRandom delta = new SplittableRandom(1000L * model);
        for (int i = 0; i < values.length; i++) {
            float v = (float) (base.nextGaussian() * 0.02);
            values[i] = model == 0 ? v : v + (float) (delta.nextGaussian() * 0.002);
        }
        return values;
    }

    private <T> T time(String phase, Supplier<T> step) {
        long start = System.nanoTime();
        T value = step.get();
        long elapsed = System.nanoTime() - start;
        phases.computeIfAbsent(phase, k -> new long[repeats])[repeat] += elapsed; // summed over blocks
        return value;
    }

    private static NDArray stack(NDManager m, float[][] models, int rows) {
        NDArray stacked = m.create(new Shape(2, rows, COLS), DataType.FLOAT32);
        stacked.set(new NDIndex(0), m.create(models[1], new Shape(rows, COLS)));
        stacked.set(new NDIndex(1), m.create(models[2], new Shape(rows, COLS)));
        return stacked;
    }

    private void library(NDManager manager, float[][] models, int rows, double density) {
        try (NDManager m = manager.newSubManager()) {
            NDArray base = m.create(models[0], new Shape(rows, COLS));
            NDArray stacked = stack(m, models, rows);
            time("library: TIES merge (theta_b + ties(tau))",
                    () -> TaskVectorMerge.of(Ties.of(density, 1, 1)).mergeOverwriting("w", base, stacked));
        }
        try (NDManager m = manager.newSubManager()) {
            NDArray base = m.create(models[0], new Shape(rows, COLS));
            NDArray stacked = stack(m, models, rows);
            time("library: task arithmetic merge",
                    () -> new TaskVectorMerge(TaskArithmetic.of(1, 1), 0.5).mergeOverwriting("w", base, stacked));
        }
    }

    // the steps of the blocked implementation (MagnitudePruning's banded search, Ties.consensusMean)
    private void blockedSteps(NDManager manager, float[][] models, int rows, double density, long block) {
        try (NDManager m = manager.newSubManager()) {
            NDArray base = m.create(models[0], new Shape(rows, COLS));
            NDArray stacked = stack(m, models, rows);
            long n = (long) rows * COLS;
            NDArray taus = time("blocked: tau = theta_i - theta_b", () -> stacked.subi(base)).reshape(2, n);
            long k = (long) (density * n);
            for (int i = 0; i < 2; i++) {
                NDArray row = taus.get(i);
                float[] bracket = time("blocked: sample and sort (Java)", () -> sampleBracket(row, k));
                long above = 0;
                NDList bands = new NDList();
                for (long s = 0; s < n; s += block) {
                    try (NDScope scope = new NDScope()) {
                        NDArray part = row.get(new NDIndex().addSliceDim(s, Math.min(n, s + block)));
                        NDArray abs = time("blocked: |x|", part::abs);
                        NDArray aboveHi = time("blocked: |x| > hi (bool)", () -> abs.gt(bracket[1]));
                        above += time("blocked: count (bool->float32 sum)", () -> count(aboveHi));
                        NDArray inBand = time("blocked: band mask (gte, xor)",
                                () -> abs.gte(bracket[0]).logicalXor(aboveHi));
                        NDArray band = time("blocked: band extraction (nonzero, take)",
                                () -> abs.take(inBand.nonzero().flatten()));
                        NDScope.unregister(band);
                        bands.add(band);
                    }
                }
                long need = k - above;
                float threshold = time("blocked: concat, topk over the band, tie counts", () -> {
                    NDArray band = NDArrays.concat(bands);
                    float t = band.topK(Math.toIntExact(need), 0, true, false).get(0).min().getFloat();
                    count(band.gt(t));
                    for (NDArray b : bands) {
                        count(b.eq(t));
                    }
                    return t;
                });
                for (long s = 0; s < n; s += block) {
                    try (NDScope scope = new NDScope()) {
                        NDArray part = row.get(new NDIndex().addSliceDim(s, Math.min(n, s + block)));
                        NDArray abs = time("blocked: mask pass |x|", part::abs);
                        time("blocked: mask pass gte, mul", () -> part.muli(abs.gte(threshold)));
                    }
                }
            }
            for (long s = 0; s < n; s += block / 2) {
                try (NDScope scope = new NDScope()) {
                    NDArray part = taus.get(new NDIndex().addAllDim().addSliceDim(s, Math.min(n, s + block / 2)));
                    NDArray elected = time("blocked: sign election (sum, sign, +1/2)",
                            () -> part.sum(new int[] {0}).signi().addi(0.5f));
                    NDArray agreeing = time("blocked: agreement (mul, gt)", () -> part.mul(elected).gt(0f));
                    time("blocked: disjoint mean (mul, count, sum rows, div)", () -> {
                        part.muli(agreeing);
                        NDArray divisor = agreeing.toType(DataType.FLOAT32, false).sum(new int[] {0}).maximum(1f);
                        return part.get(0).addi(part.get(1)).divi(divisor);
                    });
                }
            }
            time("blocked: + theta_b", () -> taus.get(0).reshape(rows, COLS).addi(base));
        }
    }

    // the steps of the whole-tensor implementation, one full-size temporary per step
    private void wholeTensorSteps(NDManager manager, float[][] models, int rows, double density) {
        try (NDManager m = manager.newSubManager()) {
            NDArray base = m.create(models[0], new Shape(rows, COLS));
            NDArray stacked = stack(m, models, rows);
            NDArray taus = time("whole: tau = theta_i - theta_b", () -> stacked.subi(base));
            long n = (long) rows * COLS;
            long k = (long) (density * n);
            for (int i = 0; i < 2; i++) {
                NDArray row = taus.get(i).reshape(n);
                NDArray abs = time("whole: |x|", row::abs);
                float[] thresholds = time("whole: sample and sort (Java)", () -> sampleBracket(abs, k));
                NDArray aboveHi = time("whole: |x| > hi (bool)", () -> abs.gt(thresholds[1]));
                long above = time("whole: count (bool->float32 sum)", () -> count(aboveHi));
                NDArray band = time("whole: band (gte, xor, nonzero, take)",
                        () -> abs.take(abs.gte(thresholds[0]).logicalXor(aboveHi).nonzero().flatten()));
                float threshold = time("whole: topk over the band",
                        () -> band.topK(Math.toIntExact(k - above), 0, true, false).get(0).min().getFloat());
                long strictly = above + count(band.gt(threshold));
                long ties = count(band.eq(threshold));
                if (strictly + ties == k) {
                    time("whole: mask apply (gte, mul)", () -> row.muli(abs.gte(threshold)));
                } else {
                    time("whole: mask apply with ties (eq, nonzero, gt, mul, set)", () -> {
                        NDArray tied = abs.eq(threshold).nonzero().flatten();
                        NDIndex kept = new NDIndex("{}", tied.get("0:" + (k - strictly)));
                        NDArray values = row.get(kept);
                        row.muli(abs.gt(threshold));
                        row.set(kept, values);
                        return row;
                    });
                }
            }
            NDArray majority = time("whole: sign election (sum, gte, float, 2x-1)",
                    () -> taus.sum(new int[] {0}).gte(0f).toType(DataType.FLOAT32, false).muli(2f).subi(1f));
            NDArray merged = time("whole: disjoint mean (per task mul, gt, float, mul, add; div)", () -> {
                NDArray sum = majority.zerosLike();
                NDArray divisor = majority.zerosLike();
                for (int i = 0; i < 2; i++) {
                    NDArray row = taus.get(i);
                    NDArray agreeing = row.mul(majority).gt(0f).toType(DataType.FLOAT32, false);
                    row.muli(agreeing);
                    row.muli(1.0);
                    divisor.addi(agreeing);
                    sum.addi(row);
                }
                return sum.divi(divisor.maximum(1f));
            });
            time("whole: + theta_b", () -> merged.addi(base));
        }
    }

    private static float[] sampleBracket(NDArray abs, long k) {
        long n = abs.size();
        int size = 1 << 16;
        long[] positions = new long[size];
        SplittableRandom random = new SplittableRandom(n);
        for (int i = 0; i < size; i++) {
            positions[i] = random.nextLong(n);
        }
        float[] sample = abs.take(abs.getManager().create(positions)).abs().toFloatArray();
        Arrays.sort(sample);
        double p = (double) k / n;
        int margin = (int) Math.ceil(4 * Math.sqrt(size * p * (1 - p))) + 1;
        int rank = (int) Math.round((1 - p) * size);
        return new float[] {sample[Math.max(rank - margin, 0)], sample[Math.min(rank + margin, size - 1)]};
    }

    private static long count(NDArray bool) {
        long total = 0;
        long n = bool.size();
        NDArray flat = bool.flatten();
        for (long start = 0; start < n; start += 1L << 24) {
            total += (long) flat.get(start + ":" + Math.min(n, start + (1L << 24)))
                    .toType(DataType.FLOAT32, false).sum().getFloat();
        }
        return total;
    }
}
