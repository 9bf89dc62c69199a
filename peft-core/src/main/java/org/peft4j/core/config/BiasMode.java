package org.peft4j.core.config;

import java.util.Arrays;
import java.util.stream.Collectors;

/** PEFT's {@code bias} option: which existing base biases are trained alongside the adapter. */
public enum BiasMode {
    /** No bias is trained. */
    NONE("none"),
    /** Every bias of the model is trained (and saved with the adapter). */
    ALL("all"),
    /** Only the biases of layers that carry this adapter are trained. */
    LORA_ONLY("lora_only");

    private final String json;

    BiasMode(String json) {
        this.json = json;
    }

    /**
     * Returns the value as written in adapter_config.json.
     *
     * @return {@code "none"}, {@code "all"} or {@code "lora_only"}
     */
    public String json() {
        return json;
    }

    /**
     * Parses the adapter_config.json value.
     *
     * @param value the JSON string
     * @return the mode
     * @throws IllegalArgumentException naming the field and the allowed values
     */
    public static BiasMode fromJson(String value) {
        for (BiasMode m : values()) {
            if (m.json.equals(value)) {
                return m;
            }
        }
        throw new IllegalArgumentException(
                "bias: '" + value + "' is not allowed; allowed values: "
                        + Arrays.stream(values()).map(BiasMode::json).collect(Collectors.joining(", ")));
    }
}
