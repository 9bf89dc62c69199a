package org.peft4j.quant;

import ai.djl.ndarray.types.DataType;

/**
 * The dtype of the weight before quantization, as bitsandbytes records it in the {@code dtype} field
 * of the quantization state (torch names). Dequantization produces this dtype, except bfloat16,
 * which DJL's PyTorch engine cannot hold: a bfloat16 state dequantizes to float32.
 */
public enum WeightDtype {

    /** {@code torch.float32}. */
    FLOAT32("float32", DataType.FLOAT32),

    /** {@code torch.float16}. */
    FLOAT16("float16", DataType.FLOAT16),

    /** {@code torch.bfloat16}; dequantized to float32 in DJL. */
    BFLOAT16("bfloat16", DataType.FLOAT32);

    private final String torchName;
    private final DataType computeType;

    WeightDtype(String torchName, DataType computeType) {
        this.torchName = torchName;
        this.computeType = computeType;
    }

    /**
     * Returns the torch dtype name without the {@code torch.} prefix.
     *
     * @return e.g. {@code "float32"}
     */
    public String torchName() {
        return torchName;
    }

    /**
     * Returns the DJL dtype that dequantization produces.
     *
     * @return FLOAT32 or FLOAT16
     */
    public DataType computeType() {
        return computeType;
    }

    /**
     * Returns the weight dtype of a DJL array dtype.
     *
     * @param type FLOAT32, FLOAT16 or BFLOAT16
     * @return the matching constant
     * @throws IllegalArgumentException for any other dtype, naming the allowed ones
     */
    public static WeightDtype of(DataType type) {
        switch (type) {
            case FLOAT32:
                return FLOAT32;
            case FLOAT16:
                return FLOAT16;
            case BFLOAT16:
                return BFLOAT16;
            default:
                throw new IllegalArgumentException(
                        "weight dtype must be one of [float32, float16, bfloat16] for 4-bit quantization, got " + type);
        }
    }

    /**
     * Parses a torch dtype name as bitsandbytes writes it ({@code "float32"}, also accepted with the
     * {@code torch.} prefix).
     *
     * @param name the name
     * @return the constant
     * @throws IllegalArgumentException naming the allowed values
     */
    public static WeightDtype fromTorchName(String name) {
        String n = name != null && name.startsWith("torch.") ? name.substring(6) : name;
        for (WeightDtype d : values()) {
            if (d.torchName.equals(n)) {
                return d;
            }
        }
        throw new IllegalArgumentException("dtype must be one of [float32, float16, bfloat16], got '" + name + "'");
    }
}
