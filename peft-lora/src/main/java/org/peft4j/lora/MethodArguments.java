package org.peft4j.lora;

import org.peft4j.core.PeftException;
import org.peft4j.core.config.PeftConfig;

/**
 * The argument checks every method of this module makes when it creates an adapter: that it was
 * given its own config class, and that its rank fits the layer.
 */
public final class MethodArguments {

    private MethodArguments() {}

    /**
     * Casts a config to the class a method needs.
     *
     * @param config the config the method was given
     * @param type the config class the method reads
     * @param peftType the method's {@code peft_type}, for the message
     * @param <C> the config class
     * @return the config, cast
     * @throws IllegalArgumentException naming both classes if it is another kind of config
     */
    public static <C extends PeftConfig> C config(PeftConfig config, Class<C> type, String peftType) {
        if (!type.isInstance(config)) {
            throw new IllegalArgumentException(peftType + " needs a " + type.getSimpleName() + ", got " + config.getClass().getName());
        }
        return type.cast(config);
    }

    /**
     * Checks that a rank fits a layer's weight.
     *
     * @param r the rank
     * @param out the layer's output size (the weight's rows)
     * @param in the layer's input size (the weight's columns)
     * @param path the layer's path, for the message
     * @throws PeftException naming the field, the layer and the allowed range
     */
    public static void requireRankFits(int r, long out, long in, String path) {
        if (r > Math.min(in, out)) {
            throw new PeftException("r: " + r + " is larger than the layer " + path + " allows ([" + out + ", " + in
                    + "] weight); allowed values: 1.." + Math.min(in, out));
        }
    }
}
