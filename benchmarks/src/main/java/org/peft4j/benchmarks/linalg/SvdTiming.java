package org.peft4j.benchmarks.linalg;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.peft4j.lora.linalg.Lu;
import org.peft4j.lora.linalg.LuResult;
import org.peft4j.lora.linalg.Svd;
import org.peft4j.lora.linalg.SvdResult;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Wall-clock timings of the decompositions PiSSA / LoRA-SB / LoLDU initialisation runs once per
 * target weight: rank-16 truncated SVD of a {@code 4096 x 4096} float32 matrix by LAPACK's
 * {@code sgesvdx} and by randomized subspace iteration, and LU of a {@code 1024 x 1024} matrix.
 * Each time is a whole call (DJL to host copy, LAPACK, results back), one warm-up run first, then
 * the median of the repeats. Also prints how close the randomized singular values are to the
 * exact ones.
 *
 * <pre>
 * java -cp ... org.peft4j.benchmarks.linalg.SvdTiming [svdSize=4096] [rank=16] [luSize=1024] [repeats=3]
 * </pre>
 */
public final class SvdTiming {

    private SvdTiming() {}

    /**
     * Runs the timings and prints one line per measurement.
     *
     * @param args optional {@code svdSize rank luSize repeats}
     */
    public static void main(String[] args) {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int rank = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int luSize = args.length > 2 ? Integer.parseInt(args[2]) : 1024;
        int repeats = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        System.out.printf(
                Locale.ROOT, "cores=%d  svd [%d, %d] rank %d  lu [%d, %d]  median of %d after 1 warm-up%n",
                Runtime.getRuntime().availableProcessors(), size, size, rank, luSize, luSize, repeats);

        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray w = weightLike(manager, size, size, 2 * rank, 1L);

            Svd exact = Svd.truncated(rank);
            double exactSeconds = medianSeconds(repeats, () -> exact.decompose(w, manager));
            Svd randomized = Svd.randomized(rank, 10, 4, 42L);
            double randomizedSeconds = medianSeconds(repeats, () -> randomized.decompose(w, manager));
            Svd cheap = Svd.randomized(rank, 10, 2, 42L);
            double cheapSeconds = medianSeconds(repeats, () -> cheap.decompose(w, manager));

            try (SvdResult e = exact.decompose(w, manager);
                    SvdResult r = randomized.decompose(w, manager);
                    SvdResult c = cheap.decompose(w, manager)) {
                float[] se = e.s().toFloatArray();
                report("truncated sgesvdx", exactSeconds, e, w, se);
                report("randomized niter=4 p=10", randomizedSeconds, r, w, se);
                report("randomized niter=2 p=10", cheapSeconds, c, w, se);
            }

            NDArray a = gaussian(manager, luSize, luSize, 2L);
            double luSeconds = medianSeconds(repeats, () -> Lu.of(a, manager));
            try (LuResult lu = Lu.of(a, manager)) {
                System.out.printf(
                        Locale.ROOT, "%-26s %8.3f s   reconstruction error %.2e%n",
                        "lu sgetrf", luSeconds, lu.reconstructionError(a));
            }
        }
    }

    private static void report(String name, double seconds, SvdResult result, NDArray w, float[] exact) {
        float[] s = result.s().toFloatArray();
        double worst = 0;
        for (int i = 0; i < s.length; i++) {
            worst = Math.max(worst, Math.abs(s[i] - exact[i]) / exact[i]);
        }
        System.out.printf(
                Locale.ROOT,
                "%-26s %8.3f s   rank-%d error %.4f   max rel. s deviation from sgesvdx %.1e   orthogonality %.1e%n",
                name, seconds, s.length, result.reconstructionError(w), worst,
                result.orthogonalityError());
    }

    /** Median wall-clock seconds of {@code repeats} runs after one warm-up; results are closed. */
    private static double medianSeconds(int repeats, Supplier<AutoCloseable> run) {
        close(run.get());
        double[] seconds = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long start = System.nanoTime();
            AutoCloseable result = run.get();
            seconds[i] = (System.nanoTime() - start) / 1e9;
            close(result);
        }
        Arrays.sort(seconds);
        return seconds[repeats / 2];
    }

    private static void close(AutoCloseable result) {
        try {
            result.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A pretrained-weight-like matrix: a rank-{@code r} part with singular values decaying as
     * {@code 1/(1+i)} plus small dense Gaussian noise, so the top singular values are distinct and
     * the tail is flat, as in a real projection matrix.
     */
    private static NDArray weightLike(NDManager manager, int m, int n, int r, long seed) {
        float[] scale = new float[r];
        for (int i = 0; i < r; i++) {
            scale[i] = 1f / (1 + i);
        }
        try (NDArray left = gaussian(manager, m, r, seed);
                NDArray right = gaussian(manager, r, n, seed + 1);
                NDArray diag = manager.create(scale, new Shape(1, r));
                NDArray scaled = left.mul(diag);
                NDArray lowRank = scaled.matMul(right);
                NDArray noise = gaussian(manager, m, n, seed + 2);
                NDArray smallNoise = noise.mul(0.05f)) {
            return lowRank.add(smallNoise);
        }
    }

    private static NDArray gaussian(NDManager manager, int m, int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] entries = new float[m * n];
        for (int i = 0; i < entries.length; i++) {
            entries[i] = (float) random.nextGaussian();
        }
        return manager.create(entries, new Shape(m, n));
    }
}
