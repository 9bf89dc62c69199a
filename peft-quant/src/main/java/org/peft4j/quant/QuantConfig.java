package org.peft4j.quant;

import org.peft4j.quant.blockwise.Blocksize;

import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * How to quantize frozen linear weights: the 4-bit type, the block size, whether the per-block
 * absmax statistics are themselves quantized (double quantization), and which layers to leave
 * dense. Immutable; every field is validated here.
 *
 * <p>The fields correspond to Hugging Face's {@code BitsAndBytesConfig}: {@code
 * bnb_4bit_quant_type}, {@code bnb_4bit_use_double_quant}, {@code llm_int8_skip_modules}; the block
 * size is bitsandbytes' {@code blocksize} (64 in {@code Linear4bit}).
 *
 * @param quantType the 4-bit code book
 * @param blocksize elements per absmax block: a power of two in 32..4096
 * @param doubleQuant whether to quantize the absmax statistics with the 8-bit dynamic map (blocks of
 *     256), as QLoRA does (4.127 instead of 4.5 bits per parameter at block size 64)
 * @param keep a regular expression over dotted block paths ({@code classifier}, {@code
 *     .*lm_head}); a linear layer whose whole path matches is left dense. {@code null} keeps none.
 */
public record QuantConfig(QuantType quantType, int blocksize, boolean doubleQuant, String keep) {

    /**
     * Validates the fields.
     *
     * @param quantType see the record description
     * @param blocksize see the record description
     * @param doubleQuant see the record description
     * @param keep see the record description
     * @throws IllegalArgumentException naming the bad field and its allowed values
     */
    public QuantConfig {
        if (quantType == null) {
            throw new IllegalArgumentException("quantType must be one of [NF4, FP4], got null");
        }
        Blocksize.requireAllowed("blocksize", blocksize);
        if (keep != null) {
            try {
                Pattern.compile(keep);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("keep must be a regular expression over block paths, got '" + keep + "': "
                        + e.getDescription(), e);
            }
        }
    }

    /**
     * Returns QLoRA's setting: NF4, block size 64, double quantization, no layer kept dense.
     *
     * @return the configuration
     */
    public static QuantConfig qlora() {
        return new QuantConfig(QuantType.NF4, Blocksize.DEFAULT, true, null);
    }

    /**
     * Returns a builder starting from {@link #qlora()}.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns a copy with another keep pattern.
     *
     * @param regex the new pattern, or null
     * @return the copy
     */
    public QuantConfig withKeep(String regex) {
        return new QuantConfig(quantType, blocksize, doubleQuant, regex);
    }

    /**
     * Returns whether the layer at {@code path} stays dense ({@link #keep()} matches the whole path).
     *
     * @param path a dotted block path
     * @return true when kept dense
     */
    public boolean keeps(String path) {
        return keep != null && Pattern.compile(keep).matcher(path).matches();
    }

    /** Builds a {@link QuantConfig}; unset fields take QLoRA's values. */
    public static final class Builder {

        private QuantType quantType = QuantType.NF4;
        private int blocksize = Blocksize.DEFAULT;
        private boolean doubleQuant = true;
        private String keep;

        private Builder() {}

        /**
         * Sets the 4-bit type.
         *
         * @param quantType NF4 or FP4
         * @return this builder
         */
        public Builder quantType(QuantType quantType) {
            this.quantType = Objects.requireNonNull(quantType, "quantType");
            return this;
        }

        /**
         * Sets the block size.
         *
         * @param blocksize a power of two in 32..4096
         * @return this builder
         */
        public Builder blocksize(int blocksize) {
            this.blocksize = blocksize;
            return this;
        }

        /**
         * Sets whether to double-quantize the statistics.
         *
         * @param doubleQuant true for QLoRA's double quantization
         * @return this builder
         */
        public Builder doubleQuant(boolean doubleQuant) {
            this.doubleQuant = doubleQuant;
            return this;
        }

        /**
         * Sets the regular expression of block paths to leave dense.
         *
         * @param regex matched against whole dotted paths, or null
         * @return this builder
         */
        public Builder keep(String regex) {
            this.keep = regex;
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @return the validated configuration
         * @throws IllegalArgumentException naming the bad field and its allowed values
         */
        public QuantConfig build() {
            return new QuantConfig(quantType, blocksize, doubleQuant, keep);
        }
    }
}
