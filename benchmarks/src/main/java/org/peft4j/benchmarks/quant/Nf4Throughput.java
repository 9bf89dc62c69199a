package org.peft4j.benchmarks.quant;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.peft4j.quant.QuantState;
import org.peft4j.quant.QuantType;
import org.peft4j.quant.blockwise.Blockwise4BitDecoder;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;

/**
 * NF4 quantize / dequantize throughput of one {@code rows x cols} float32 weight (default 4096 x
 * 4096) against a memory-copy baseline of the same float32 array, all through DJL's PyTorch engine
 * on its default device. Dequantization throughput is GB/s of float32 output written; quantization
 * throughput is GB/s of float32 input read. Each figure is the median of the timed repetitions after
 * warm-up (on a GPU each timing waits for the result by reading one element). "kept" dequantizes
 * with a decoder built once beforehand, as a {@code QuantizedLinear} forward pass does; "into"
 * dequantizes (or copies) into one float32 array allocated once, so no call pays for faulting in
 * fresh pages (a 64 MB result is 16,384 pages; on some virtual machines each first touch costs tens
 * of microseconds).
 *
 * <p>Usage: {@code Nf4Throughput [rows] [cols] [repetitions]}. Thread count: the engine default, or
 * {@code -Dai.djl.pytorch.num_threads=N}.
 */
public final class Nf4Throughput {

    private Nf4Throughput() {}

    /**
     * Runs the measurement and prints one line per operation.
     *
     * @param args optional rows, cols, repetitions
     */
    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int cols = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        double gigabytes = 4.0 * rows * cols / 1e9;
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine engine = manager.getEngine();
            engine.setRandomSeed(0);
            NDArray weight = manager.randomNormal(new Shape(rows, cols));
            System.out.printf(Locale.ROOT, "engine %s %s, device %s, %d processors, num_threads=%s, weight [%d, %d] float32 (%.1f MB)%n",
                    engine.getEngineName(), engine.getVersion(), manager.getDevice(),
                    Runtime.getRuntime().availableProcessors(), System.getProperty("ai.djl.pytorch.num_threads", "default"),
                    rows, cols, gigabytes * 1e3);
            QuantState nf4 = QuantState.quantize(weight, QuantType.NF4, 64, false, manager);
            QuantState nf4dq = QuantState.quantize(weight, QuantType.NF4, 64, true, manager);
            double copy = median(manager, reps, m -> keep(weight.duplicate(), m));
            report("memory copy (baseline)", copy, gigabytes, copy);
            report("dequantize nf4", median(manager, reps, nf4::dequantize), gigabytes, copy);
            report("dequantize nf4+dq", median(manager, reps, nf4dq::dequantize), gigabytes, copy);
            try (NDManager cache = manager.newSubManager();
                    Blockwise4BitDecoder decoder = nf4dq.decoder(cache)) {
                // what a QuantizedLinear forward pass does: the decoder (pair table, restored absmax) is kept
                report("dequantize nf4+dq kept", median(manager, reps, m -> nf4dq.dequantize(decoder, m, DataType.FLOAT32)), gigabytes, copy);
                // the same into one float32 buffer allocated once: no fresh pages to fault in per call
                NDArray buffer = cache.create(new Shape(rows, cols), DataType.FLOAT32);
                report("dequantize nf4+dq into", median(manager, reps, m -> {
                    nf4dq.dequantizeInto(decoder, buffer);
                    return buffer;
                }), gigabytes, copy);
                try (Blockwise4BitDecoder plain = nf4.decoder(cache)) {
                    report("dequantize nf4 into", median(manager, reps, m -> {
                        nf4.dequantizeInto(plain, buffer);
                        return buffer;
                    }), gigabytes, copy);
                }
                NDArray copyTarget = cache.create(new Shape(rows, cols), DataType.FLOAT32);
                report("memory copy into", median(manager, reps, m -> {
                    copyTarget.set(new ai.djl.ndarray.index.NDIndex(":"), weight);
                    return copyTarget;
                }), gigabytes, copy);
            }
            report("quantize nf4", median(manager, reps, m -> QuantState.quantize(weight, QuantType.NF4, 64, false, m).packed()),
                    gigabytes, copy);
            report("quantize nf4+dq", median(manager, reps, m -> QuantState.quantize(weight, QuantType.NF4, 64, true, m).packed()),
                    gigabytes, copy);
            System.out.printf(Locale.ROOT, "bits per weight: nf4 %.5f, nf4+dq %.5f%n",
                    8.0 * nf4.bytesHeld() / nf4.numel(), 8.0 * nf4dq.bytesHeld() / nf4dq.numel());
        }
    }

    private static NDArray keep(NDArray array, NDManager manager) {
        array.attach(manager);
        return array;
    }

    /** Median wall time in seconds of {@code reps} runs after {@code max(2, reps / 5)} warm-up runs. */
    private static double median(NDManager manager, int reps, Function<NDManager, NDArray> op) {
        int warmup = Math.max(2, reps / 5);
        double[] times = new double[reps];
        for (int i = -warmup; i < reps; i++) {
            try (NDManager scratch = manager.newSubManager()) {
                long start = System.nanoTime();
                NDArray out = op.apply(scratch);
                if (out.getDevice().isGpu()) {
                    out.flatten().get(0).getFloat(); // wait for the asynchronous kernels
                }
                long end = System.nanoTime();
                if (i >= 0) {
                    times[i] = (end - start) / 1e9;
                }
            }
        }
        Arrays.sort(times);
        return times[reps / 2];
    }

    private static void report(String what, double seconds, double gigabytes, double copySeconds) {
        System.out.printf(Locale.ROOT, "%-24s %8.1f ms  %6.2f GB/s  (%.2f x memory copy)%n",
                what, seconds * 1e3, gigabytes / seconds, copySeconds / seconds);
    }
}
