package org.peft4j.benchmarks.measure;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.List;

/**
 * The matrix-multiply throughput the engine reaches on this machine: the median over repeated
 * float32 {@code [n, n]·[n, n]} products (each {@code 2·n³} floating-point operations), after a
 * warm-up. It is the yardstick for model FLOP utilisation: a model cannot do better than its
 * engine's large square GEMM.
 *
 * @param size {@code n}
 * @param repeats timed products
 * @param medianGflops the median throughput, GFLOP/s
 * @param bestGflops the best throughput, GFLOP/s
 */
public record MatmulPeak(int size, int repeats, double medianGflops, double bestGflops) {

    /** The default size, 1024. */
    public static final int DEFAULT_SIZE = 1024;

    /**
     * Measures {@code [n, n]·[n, n]} float32 products on {@code manager}'s device.
     *
     * @param manager where the operands are created (a sub-manager is used and closed)
     * @param n the matrix size
     * @param warmup untimed products first
     * @param repeats timed products
     * @return the measurement
     */
    public static MatmulPeak measure(NDManager manager, int n, int warmup, int repeats) {
        if (n <= 0 || repeats <= 0 || warmup < 0) {
            throw new IllegalArgumentException("n and repeats must be positive and warmup >= 0, got n=" + n + ", repeats=" + repeats + ", warmup=" + warmup);
        }
        double flops = 2.0 * n * n * n;
        List<Double> ms = new ArrayList<>();
        try (NDManager m = manager.newSubManager()) {
            NDArray a = m.randomNormal(0f, 1f, new Shape(n, n), DataType.FLOAT32);
            NDArray b = m.randomNormal(0f, 1f, new Shape(n, n), DataType.FLOAT32);
            for (int i = 0; i < warmup + repeats; i++) {
                long t0 = System.nanoTime();
                NDArray c = a.matMul(b);
                // CPU kernels return when done; reading one element also waits on asynchronous devices
                c.get(0, 0).getFloat();
                long t1 = System.nanoTime();
                c.close();
                if (i >= warmup) {
                    ms.add((t1 - t0) / 1e6);
                }
            }
        }
        StepStatistics s = StepStatistics.of(ms);
        return new MatmulPeak(n, repeats, flops / (s.medianMillis() * 1e6), flops / (s.minMillis() * 1e6));
    }
}
