package org.peft4j.core.io;

import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The element types a safetensors file may hold here, with their header spelling ({@code "F32"}, ...) and their
 * size in bytes. All multi-byte types are little-endian in the file.
 */
public enum TensorDType {
    /** IEEE 754 binary64. */
    F64("F64", 8, 12),
    /** IEEE 754 binary32. */
    F32("F32", 4, 11),
    /** IEEE 754 binary16. */
    F16("F16", 2, 7),
    /** bfloat16: the upper 16 bits of a binary32. Widened to float32 on load (DJL's PyTorch engine aborts on it). */
    BF16("BF16", 2, 8),
    /** Signed 64-bit integer. */
    I64("I64", 8, 13),
    /** Signed 32-bit integer. */
    I32("I32", 4, 9),
    /** Signed 16-bit integer (no DJL engine type: widened to INT32 on load). */
    I16("I16", 2, 5),
    /** Signed 8-bit integer. */
    I8("I8", 1, 2),
    /** Unsigned 8-bit integer. */
    U8("U8", 1, 1),
    /** Boolean, one byte per element (0 or 1). */
    BOOL("BOOL", 1, 0);

    private final String fileName;
    private final int byteSize;
    /**
     * Position in the Rust crate's {@code Dtype} enum (safetensors/src/tensor.rs), whose order is increasing
     * alignment; its serializer lays tensors out by descending rank, then by name.
     */
    private final int layoutRank;

    TensorDType(String fileName, int byteSize, int layoutRank) {
        this.fileName = fileName;
        this.byteSize = byteSize;
        this.layoutRank = layoutRank;
    }

    /** @return bytes per element */
    public int byteSize() {
        return byteSize;
    }

    /** @return the spelling in a safetensors header, e.g. {@code "F32"} */
    public String fileName() {
        return fileName;
    }

    /** @return the rank used to order tensors like the reference serializer (larger ranks first) */
    int layoutRank() {
        return layoutRank;
    }

    /**
     * Parses a header spelling (case-sensitive, as the format is).
     *
     * @param name e.g. {@code "BF16"}
     * @return the dtype
     * @throws IllegalArgumentException naming the allowed spellings when {@code name} is not one of them
     */
    public static TensorDType fromFileName(String name) {
        for (TensorDType dtype : values()) {
            if (dtype.fileName.equals(name)) {
                return dtype;
            }
        }
        throw new IllegalArgumentException("unknown safetensors dtype '" + SafetensorsException.abbreviate(
                String.valueOf(name)) + "'; allowed: " + allowedFileNames());
    }

    /**
     * The DJL type of this dtype's data once loaded.
     *
     * @return the DJL type; {@link DataType#FLOAT32} for {@link #BF16} (widened in Java)
     * @throws UnsupportedOperationException for {@link #I16}, which DJL's engines cannot hold
     */
    public DataType djlType() {
        switch (this) {
            case F64: return DataType.FLOAT64;
            case F32: return DataType.FLOAT32;
            case F16: return DataType.FLOAT16;
            case BF16: return DataType.FLOAT32;
            case I64: return DataType.INT64;
            case I32: return DataType.INT32;
            case I8: return DataType.INT8;
            case U8: return DataType.UINT8;
            case BOOL: return DataType.BOOLEAN;
            default:
                throw new UnsupportedOperationException(
                        "I16 has no DJL engine type; SafetensorsReader.load widens it to INT32");
        }
    }

    /**
     * The dtype that stores a DJL type exactly.
     *
     * @param type a DJL type
     * @return the matching dtype ({@link DataType#BFLOAT16} maps to {@link #BF16})
     * @throws IllegalArgumentException for types safetensors here cannot store (STRING, COMPLEX64, UINT16/32/64,
     *     UNKNOWN)
     */
    public static TensorDType of(DataType type) {
        switch (type) {
            case FLOAT64: return F64;
            case FLOAT32: return F32;
            case FLOAT16: return F16;
            case BFLOAT16: return BF16;
            case INT64: return I64;
            case INT32: return I32;
            case INT16: return I16;
            case INT8: return I8;
            case UINT8: return U8;
            case BOOLEAN: return BOOL;
            default:
                throw new IllegalArgumentException("DJL type " + type.name() + " cannot be stored in safetensors here;"
                        + " allowed: FLOAT64, FLOAT32, FLOAT16, BFLOAT16, INT64, INT32, INT16, INT8, UINT8, BOOLEAN");
        }
    }

    static String allowedFileNames() {
        return Arrays.stream(values()).map(TensorDType::fileName).collect(Collectors.joining(", "));
    }
}
