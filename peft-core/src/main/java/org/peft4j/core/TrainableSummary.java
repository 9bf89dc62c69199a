package org.peft4j.core;

import java.util.Locale;

/**
 * Trainable versus total parameters, as PEFT's {@code print_trainable_parameters} reports them.
 * Quantized layers count their logical (unpacked) parameters.
 *
 * @param trainable parameters that receive gradients
 * @param total all parameters of the model, adapters included
 */
public record TrainableSummary(long trainable, long total) {

    /**
     * Returns the trainable share in percent.
     *
     * @return {@code 100 * trainable / total}
     */
    public double percent() {
        return total == 0 ? 0 : 100.0 * trainable / total;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "trainable params: %,d || all params: %,d || trainable%%: %.4f", trainable, total, percent());
    }
}
