package org.peft4j.quant.blockwise;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

/** Multiplies flat values by one scale per block of {@code blocksize} consecutive elements. */
final class BlockScaling {

    private BlockScaling() {}

    /**
     * Returns {@code values[i] * scales[i / blocksize]} for {@code i < n}, as float32 products
     * (one rounding each). {@code values} (float32, length at least {@code n}) may be overwritten; the
     * result lives in its manager.
     */
    static NDArray apply(NDArray values, NDArray scales, int blocksize, long n) {
        long full = n / blocksize;
        long rem = n - full * blocksize;
        if (rem == 0 && values.size() == n) {
            return values.reshape(full, blocksize).muli(scales.reshape(full, 1)).reshape(n);
        }
        NDArray head = null;
        if (full > 0) {
            NDArray fullScales = scales.get(new NDIndex("0:{}", full)).reshape(full, 1);
            head = values.get(new NDIndex("0:{}", full * blocksize)).reshape(full, blocksize).mul(fullScales)
                    .reshape(full * blocksize);
        }
        NDArray tail = null;
        if (rem > 0) {
            tail = values.get(new NDIndex("{}:{}", full * blocksize, n)).mul(scales.get(full));
        }
        if (head == null) {
            return tail;
        }
        return tail == null ? head : head.concat(tail);
    }
}
