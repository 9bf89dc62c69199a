package org.peft4j.merge.sparsify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * A keep-mask with independent Bernoulli(p) entries drawn from a seeded {@link SplittableRandom}, so
 * the same seed gives the same mask on every device and in every run. DJL's engine random generator
 * is global state shared by all threads, so it is not used here.
 *
 * <p>Entry {@code j} (row-major order) is kept when the {@code j}-th 32-bit draw {@code u} of {@code
 * new SplittableRandom(seed)} satisfies {@code u < round(p * 2^32)} (unsigned); each {@code nextLong}
 * supplies two draws, high half first. The mask is built in Java and sent to the device in one
 * {@code create} call.
 */
public final class BernoulliMask {

    private static final int CHUNK = 1 << 20;

    private BernoulliMask() {}

    /**
     * Samples a mask.
     *
     * @param manager where the mask is created (its device)
     * @param shape mask shape
     * @param keepProbability probability that an entry is 1, in [0, 1]
     * @param seed generator seed
     * @return float32 0/1 array of {@code shape}
     */
    public static NDArray sample(NDManager manager, Shape shape, double keepProbability, long seed) {
        if (!(keepProbability >= 0.0 && keepProbability <= 1.0)) {
            throw new IllegalArgumentException(
                    "keepProbability must be in [0, 1], got " + keepProbability);
        }
        long n = shape.size();
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "mask of shape " + shape + " has more than 2^31-1 entries");
        }
        long threshold = Math.round(keepProbability * 4294967296.0);
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer bytes = ByteBuffer.allocateDirect((int) n).order(ByteOrder.nativeOrder());
        byte[] chunk = new byte[(int) Math.min(CHUNK, Math.max(n, 2))];
        int done = 0;
        while (done < n) {
            int len = (int) Math.min(chunk.length, n - done);
            for (int j = 0; j < len; j += 2) {
                long bits = random.nextLong();
                chunk[j] = (bits >>> 32) < threshold ? (byte) 1 : (byte) 0;
                if (j + 1 < len) {
                    chunk[j + 1] = (bits & 0xFFFFFFFFL) < threshold ? (byte) 1 : (byte) 0;
                }
            }
            bytes.put(chunk, 0, len);
            done += len;
        }
        bytes.rewind();
        try (NDArray raw = manager.create(bytes, shape, DataType.UINT8)) {
            return raw.toType(DataType.FLOAT32, false);
        }
    }
}
