package org.peft4j.merge.sparsify;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteOrder;
import java.nio.IntBuffer;

/**
 * The exact {@code k}-th smallest magnitude {@code |x|} (1-based, ascending: {@code torch.kthvalue}'s
 * rank) of a set of float32 entries that arrives in pieces and is never held at once, for example
 * one task vector spread over every tensor of a checkpoint.
 *
 * <p>Radix selection on the float bits: with the sign bit cleared, a float32 orders like its bit
 * pattern read as an integer, so the answer is found digit by digit. The caller shows every piece
 * twice, in any order:
 *
 * <ol>
 *   <li>{@link #countFirstPass}: entries are counted per value of the top 16 bits of {@code |x|}
 *       (exponent and 7 mantissa bits); the first bin whose cumulative count reaches {@code k} holds
 *       the answer, and the rank left within that bin is kept;
 *   <li>{@link #countSecondPass}: the entries of that bin only are counted per value of their low 16
 *       bits; the cumulative count picks the answer's low bits.
 * </ol>
 *
 * <p>The answer is bit-exact (it is one of the entries); duplicates count with their multiplicity,
 * as a sort places them. Memory: two histograms of {@code 2^16} longs.
 *
 * <p>The counting reads each piece's float32 memory in place (a direct view on the CPU; one copy to
 * the host from another device) and increments the histogram in a Java loop. That is the one
 * per-entry Java loop here, and a deliberate one: DJL 0.36 has no {@code bincount}, scatter-add or
 * bit reinterpretation (djl-notes.md, missing ops), and its nearest substitute, {@code unique} with
 * counts on the digits, sorts every block; on {@code 2^21} entries it measured about 250 ms against
 * about 2 ms for the loop (2-core CPU, PyTorch engine), which would make the statistics passes cost
 * many times the merge itself.
 *
 * <p>NaN entries are rejected (they have no rank). {@code -0.0} counts as {@code 0}.
 */
public final class KthSmallestMagnitude {

    private static final int DIGIT = 16;
    private static final int BINS = 1 << DIGIT;
    private static final int MAGNITUDE = 0x7FFFFFFF;
    private static final int INFINITY_BITS = 0x7F800000;

    private final long rank;
    private final long count;
    private final long[] high = new long[BINS];
    private final long[] low = new long[BINS];
    private long firstPassSeen;
    private long secondPassSeen;
    private int bin = -1; // chosen top-16-bit value, once the first pass is closed
    private long rankInBin;

    private KthSmallestMagnitude(long rank, long count) {
        this.rank = rank;
        this.count = count;
    }

    /**
     * Starts a selection.
     *
     * @param rank {@code k}, 1-based ascending rank of the wanted magnitude, in {@code [1, count]}
     * @param count total number of entries the pieces will hold (each pass must see exactly these)
     * @return a selection waiting for its first pass
     * @throws IllegalArgumentException unless {@code 1 <= rank <= count}
     */
    public static KthSmallestMagnitude ofRank(long rank, long count) {
        if (count < 1 || rank < 1 || rank > count) {
            throw new IllegalArgumentException(
                    "rank must be in [1, count] and count >= 1, got rank " + rank + " of " + count);
        }
        return new KthSmallestMagnitude(rank, count);
    }

    /**
     * @return {@code k}
     */
    public long rank() {
        return rank;
    }

    /**
     * @return number of entries each pass must see
     */
    public long count() {
        return count;
    }

    /**
     * Counts a piece in the first pass.
     *
     * @param piece any shape, float32, any device; left unchanged
     * @throws IllegalStateException if the second pass has started
     * @throws IllegalArgumentException if the piece is not float32 or holds a NaN
     */
    public void countFirstPass(NDArray piece) {
        if (bin >= 0) {
            throw new IllegalStateException("the first pass is closed: the second pass has started");
        }
        IntBuffer bits = bitsOf(piece);
        for (int i = 0, n = bits.limit(); i < n; i++) {
            int magnitude = bits.get(i) & MAGNITUDE;
            if (magnitude > INFINITY_BITS) {
                throw new IllegalArgumentException("the entries hold a NaN, which has no rank");
            }
            high[magnitude >>> DIGIT]++;
        }
        firstPassSeen += bits.limit();
    }

    /**
     * Counts a piece in the second pass. The first call closes the first pass.
     *
     * @param piece the same entries as in the first pass, in pieces of any shape and order, float32
     * @throws IllegalStateException if the first pass saw another number of entries than {@code
     *     count}
     */
    public void countSecondPass(NDArray piece) {
        if (bin < 0) {
            closeFirstPass();
        }
        IntBuffer bits = bitsOf(piece);
        long seen = 0;
        for (int i = 0, n = bits.limit(); i < n; i++) {
            int magnitude = bits.get(i) & MAGNITUDE;
            if (magnitude >>> DIGIT == bin) {
                low[magnitude & (BINS - 1)]++;
                seen++;
            }
        }
        secondPassSeen += seen;
    }

    /**
     * The answer, once both passes are complete.
     *
     * @return the {@code k}-th smallest {@code |x|}, non-negative (never {@code -0.0})
     * @throws IllegalStateException if a pass is missing or the passes saw different entries
     */
    public float value() {
        if (bin < 0) {
            throw new IllegalStateException("the second pass has not started");
        }
        if (secondPassSeen != high[bin]) {
            throw new IllegalStateException(
                    "the second pass found " + secondPassSeen + " entries in the selected bin, the first pass "
                            + high[bin] + ": the passes saw different entries");
        }
        long cumulative = 0;
        for (int d = 0; d < BINS; d++) {
            cumulative += low[d];
            if (cumulative >= rankInBin) {
                return Float.intBitsToFloat((bin << DIGIT) | d);
            }
        }
        throw new IllegalStateException("unreachable: the bin holds " + high[bin] + " entries, rank " + rankInBin);
    }

    private void closeFirstPass() {
        if (firstPassSeen != count) {
            throw new IllegalStateException(
                    "the first pass saw " + firstPassSeen + " entries, expected " + count);
        }
        long cumulative = 0;
        for (int d = 0; d < BINS; d++) {
            if (cumulative + high[d] >= rank) {
                bin = d;
                rankInBin = rank - cumulative;
                return;
            }
            cumulative += high[d];
        }
    }

    // the float32 bit patterns of a piece, read in place (CPU) or copied to the host; the host copy of
    // an accelerator array is closed here, so no temporary is left in the caller's manager
    private static IntBuffer bitsOf(NDArray piece) {
        if (piece.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("pieces must be float32, got " + piece.getDataType());
        }
        if (piece.getDevice().equals(Device.cpu())) {
            return piece.toByteBuffer(true).order(ByteOrder.nativeOrder()).asIntBuffer();
        }
        try (NDArray host = piece.toDevice(Device.cpu(), true)) {
            IntBuffer view = host.toByteBuffer(true).order(ByteOrder.nativeOrder()).asIntBuffer();
            int[] bits = new int[view.remaining()];
            view.get(bits);
            return IntBuffer.wrap(bits);
        }
    }
}
