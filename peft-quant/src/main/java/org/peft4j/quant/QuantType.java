package org.peft4j.quant;

import org.peft4j.quant.codebook.Fp4Codebook;
import org.peft4j.quant.codebook.Nf4Codebook;

import java.util.Locale;

/** The 4-bit data types of bitsandbytes' {@code quantize_4bit}, by their {@code quant_type} names. */
public enum QuantType {

    /** NormalFloat4 (QLoRA): 16 sorted values fitted to a normal distribution. */
    NF4("nf4"),

    /** bitsandbytes' 4-bit float: sign in bit 3, magnitudes {0, 1/192, 1/6, 1/4, 1/3, 1/2, 2/3, 1}. */
    FP4("fp4");

    private final String bnbName;

    QuantType(String bnbName) {
        this.bnbName = bnbName;
    }

    /**
     * Returns the name bitsandbytes writes in {@code quant_type} and in the state key suffix
     * {@code quant_state.bitsandbytes__<name>}.
     *
     * @return {@code "nf4"} or {@code "fp4"}
     */
    public String bnbName() {
        return bnbName;
    }

    /**
     * Returns the 16 float32 code values by code.
     *
     * @return a fresh array of 16 values
     */
    public float[] codebook() {
        return this == NF4 ? Nf4Codebook.values() : Fp4Codebook.values();
    }

    /**
     * Returns the code that 0.0 quantizes to, which is also the padding nibble of an odd element
     * count.
     *
     * @return 7 for NF4, 0 for FP4
     */
    public int zeroCode() {
        return this == NF4 ? Nf4Codebook.ZERO_CODE : Fp4Codebook.ZERO_CODE;
    }

    /**
     * Parses a bitsandbytes {@code quant_type} name (case-insensitive).
     *
     * @param name {@code "nf4"} or {@code "fp4"}
     * @return the type
     * @throws IllegalArgumentException naming the allowed values
     */
    public static QuantType fromBnbName(String name) {
        if (name != null) {
            String lower = name.toLowerCase(Locale.ROOT);
            for (QuantType t : values()) {
                if (t.bnbName.equals(lower)) {
                    return t;
                }
            }
        }
        throw new IllegalArgumentException("quant_type must be one of [nf4, fp4], got '" + name + "'");
    }
}
