package org.peft4j.models.llama;

/**
 * The {@code rope_scaling} entry of a Llama {@code config.json} (transformers 5: the scaling
 * fields of {@code rope_parameters}): how rotary frequencies are adjusted for contexts longer than
 * the model was trained on.
 *
 * @param type {@code "linear"} (every frequency divided by {@code factor}, i.e. positions
 *     interpolated) or {@code "llama3"} (Llama 3.1's frequency-dependent scaling)
 * @param factor the scaling factor, &gt; 0
 * @param lowFreqFactor {@code low_freq_factor} (llama3 only)
 * @param highFreqFactor {@code high_freq_factor} (llama3 only), &gt; {@code lowFreqFactor}
 * @param originalMaxPositionEmbeddings {@code original_max_position_embeddings} (llama3 only)
 */
public record RopeScaling(
        String type, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {

    /** The types supported. */
    public static final String ALLOWED_TYPES = "'linear', 'llama3' (or no scaling: 'default')";

    /** Validates the fields. */
    public RopeScaling {
        if (!isSupported(type)) {
            throw new IllegalArgumentException("rope scaling type '" + type + "' is not supported; allowed: " + ALLOWED_TYPES);
        }
        if (!(factor > 0)) {
            throw new IllegalArgumentException("rope scaling factor is " + factor + "; allowed: > 0");
        }
        if (type.equals("llama3")) {
            if (!(highFreqFactor > lowFreqFactor) || !(lowFreqFactor > 0)) {
                throw new IllegalArgumentException(
                        "rope scaling needs 0 < low_freq_factor < high_freq_factor, got " + lowFreqFactor + ", " + highFreqFactor);
            }
            if (originalMaxPositionEmbeddings <= 0) {
                throw new IllegalArgumentException(
                        "rope scaling original_max_position_embeddings is " + originalMaxPositionEmbeddings + "; allowed: >= 1");
            }
        }
    }

    /**
     * Returns whether a scaling type other than {@code "default"} is supported.
     *
     * @param type a {@code rope_type}
     * @return whether it is {@code "linear"} or {@code "llama3"}
     */
    static boolean isSupported(String type) {
        return type.equals("linear") || type.equals("llama3");
    }

    /**
     * Adjusts inverse frequencies. Linear: {@code f / factor}. Llama 3 (as transformers'
     * {@code _compute_llama3_parameters}): with wavelength {@code w = 2π / f}, {@code L =
     * original_max_position_embeddings}, frequencies with {@code w < L / high_freq_factor} are kept,
     * those with {@code w > L / low_freq_factor} divided by {@code factor}, and those between
     * interpolated with {@code s = (L / w - low) / (high - low)}: {@code (1 - s)·f/factor + s·f}.
     *
     * @param inverseFrequencies {@code 1 / theta^(2i/d)}, changed in place
     */
    void apply(double[] inverseFrequencies) {
        for (int i = 0; i < inverseFrequencies.length; i++) {
            double f = inverseFrequencies[i];
            if (type.equals("linear")) {
                inverseFrequencies[i] = f / factor;
                continue;
            }
            double wavelength = 2 * Math.PI / f;
            double lowFreqWavelength = originalMaxPositionEmbeddings / lowFreqFactor;
            double highFreqWavelength = originalMaxPositionEmbeddings / highFreqFactor;
            if (wavelength < highFreqWavelength) {
                inverseFrequencies[i] = f;
            } else if (wavelength > lowFreqWavelength) {
                inverseFrequencies[i] = f / factor;
            } else {
                double smooth = (originalMaxPositionEmbeddings / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                inverseFrequencies[i] = (1 - smooth) * f / factor + smooth * f;
            }
        }
    }
}
