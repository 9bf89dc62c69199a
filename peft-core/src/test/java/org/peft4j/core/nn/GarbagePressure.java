package org.peft4j.core.nn;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a garbage collection, gives the reference handler time to free unreachable direct buffers,
 * then allocates many small direct buffers filled with a marker value, so that freed native memory
 * is handed out again and overwritten. Anything that still reads a freed buffer then reads the
 * marker (or allocator bookkeeping) instead of its own value.
 */
public final class GarbagePressure {

    private GarbagePressure() {}

    /**
     * Collects and reuses freed native memory.
     *
     * @throws InterruptedException if interrupted while waiting for the collection
     */
    public static void collectAndReuseFreedMemory() throws InterruptedException {
        for (int round = 0; round < 2; round++) {
            System.gc();
            Thread.sleep(50);
        }
        List<ByteBuffer> reuse = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4 + (i % 4) * 4);
            b.putFloat(0, 12345f);
            reuse.add(b);
        }
        reuse.clear();
    }
}
