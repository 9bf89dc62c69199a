package org.peft4j.lora.linalg;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * A dense float32 matrix in native (direct) memory, row-major, as LAPACK reads and writes it.
 *
 * <p>Data crosses between DJL and LAPACK only through bulk buffer copies: one copy in (LAPACK
 * overwrites its input, so the caller's tensor must not be handed over), none out (DJL's PyTorch
 * engine wraps the direct buffer and keeps it reachable for the tensor's lifetime).
 */
final class HostMatrix {

    private final int rows;
    private final int cols;
    private final ByteBuffer bytes;

    private HostMatrix(int rows, int cols, ByteBuffer bytes) {
        this.rows = rows;
        this.cols = cols;
        this.bytes = bytes;
    }

    /** A zero-filled {@code [rows, cols]} matrix. */
    static HostMatrix allocate(int rows, int cols) {
        long byteCount = (long) rows * cols * Float.BYTES;
        if (rows < 0 || cols < 0 || byteCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "matrix [" + rows + ", " + cols + "] does not fit one LAPACK buffer;"
                            + " at most " + (Integer.MAX_VALUE / Float.BYTES) + " float32 elements");
        }
        ByteBuffer bytes = ByteBuffer.allocateDirect((int) byteCount).order(ByteOrder.nativeOrder());
        return new HostMatrix(rows, cols, bytes);
    }

    /** A zero-filled int vector in native memory, for LAPACK's pivot and index outputs. */
    static IntBuffer intVector(int length) {
        return ByteBuffer.allocateDirect(length * Integer.BYTES)
                .order(ByteOrder.nativeOrder())
                .asIntBuffer();
    }

    /**
     * Copies a 2-D float32 array (any device, any layout) into a new host matrix. The caller has
     * already validated rank and dtype.
     */
    static HostMatrix copyOf(NDArray matrix) {
        long[] shape = matrix.getShape().getShape();
        HostMatrix copy = allocate(Math.toIntExact(shape[0]), Math.toIntExact(shape[1]));
        // toByteBuffer(true) aliases CPU memory; for a GPU or non-contiguous tensor DJL first makes
        // a CPU/contiguous temporary in the tensor's manager: the scope closes it after the copy.
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            ByteBuffer source = matrix.toByteBuffer(true);
            copy.bytes.put(source.duplicate().rewind());
            copy.bytes.rewind();
        }
        return copy;
    }

    int rows() {
        return rows;
    }

    int cols() {
        return cols;
    }

    /** A direct view of the elements at position 0, ready for a {@code LAPACKE_s*} call. */
    FloatBuffer floats() {
        return bytes.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    float get(int row, int col) {
        return bytes.getFloat(index(row, col) * Float.BYTES);
    }

    void set(int row, int col, float value) {
        bytes.putFloat(index(row, col) * Float.BYTES, value);
    }

    /**
     * Copies {@code this[row, fromCol:toCol]} into {@code target[targetRow, targetCol:...]} in one
     * bulk copy.
     */
    void copyRowSpan(int row, int fromCol, int toCol, HostMatrix target, int targetRow, int targetCol) {
        int count = toCol - fromCol;
        if (count <= 0) {
            return;
        }
        ByteBuffer source = bytes.duplicate();
        int start = index(row, fromCol) * Float.BYTES;
        source.limit(start + count * Float.BYTES).position(start);
        ByteBuffer destination = target.bytes.duplicate();
        destination.position(target.index(targetRow, targetCol) * Float.BYTES);
        destination.put(source);
    }

    /** The top-left {@code [rowCount, colCount]} block as a new matrix (one bulk copy per row). */
    HostMatrix topLeft(int rowCount, int colCount) {
        if (rowCount == rows && colCount == cols) {
            return this;
        }
        HostMatrix block = allocate(rowCount, colCount);
        for (int i = 0; i < rowCount; i++) {
            copyRowSpan(i, 0, colCount, block, i, 0);
        }
        return block;
    }

    /**
     * Hands the elements to DJL as a float32 array of the given shape (same element count) on
     * {@code device}, attached to {@code out}. On CPU the array wraps this buffer without a copy,
     * so this matrix must not be written afterwards.
     */
    NDArray toNDArray(NDManager out, Device device, Shape shape) {
        if (shape.size() != (long) rows * cols) {
            throw new IllegalStateException(
                    "shape " + shape + " does not hold a [" + rows + ", " + cols + "] matrix");
        }
        ByteBuffer view = bytes.duplicate().order(ByteOrder.nativeOrder()).rewind();
        if (device.equals(out.getDevice())) {
            return out.create(view, shape, DataType.FLOAT32);
        }
        try (NDManager onDevice = out.newSubManager(device)) {
            NDArray array = onDevice.create(view, shape, DataType.FLOAT32);
            array.attach(out);
            return array;
        }
    }

    /** {@link #toNDArray(NDManager, Device, Shape)} with the shape {@code [rows, cols]}. */
    NDArray toNDArray(NDManager out, Device device) {
        return toNDArray(out, device, new Shape(rows, cols));
    }

    private int index(int row, int col) {
        return row * cols + col;
    }
}
