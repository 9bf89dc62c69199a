package org.peft4j.core.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor's entry in a safetensors header.
 *
 * @param name the tensor key
 * @param dtype the element type
 * @param shape the dimensions, row-major; {@code []} is a scalar, a 0 dimension an empty tensor
 * @param dataBegin first byte, relative to the start of the data buffer (not of the file)
 * @param dataEnd one past the last byte, relative to the start of the data buffer
 */
public record TensorInfo(String name, TensorDType dtype, long[] shape, long dataBegin, long dataEnd) {

    /**
     * Creates an entry; {@code shape} is copied so that the record stays immutable.
     *
     * @param name the tensor key
     * @param dtype the element type
     * @param shape the dimensions
     * @param dataBegin first byte, relative to the data buffer
     * @param dataEnd one past the last byte, relative to the data buffer
     */
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
    }

    /** @return a copy of the dimensions */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * @return the product of the dimensions (1 for a scalar)
     * @throws ArithmeticException if it overflows a long (never for a validated header)
     */
    public long elementCount() {
        long count = 1;
        for (long dim : shape) {
            count = Math.multiplyExact(count, dim);
        }
        return count;
    }

    /** @return {@code dataEnd - dataBegin}, which a validated header guarantees equals elements x byte size */
    public long byteLength() {
        return dataEnd - dataBegin;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TensorInfo that
                && name.equals(that.name) && dtype == that.dtype && Arrays.equals(shape, that.shape)
                && dataBegin == that.dataBegin && dataEnd == that.dataEnd;
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + dtype.hashCode()) * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype.fileName() + " " + Arrays.toString(shape) + " [" + dataBegin + ", " + dataEnd + ")";
    }
}
