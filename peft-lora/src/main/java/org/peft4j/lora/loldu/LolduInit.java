package org.peft4j.lora.loldu;

import java.util.ArrayList;
import java.util.List;

/**
 * How LoLDU's trainable diagonal {@code z} starts ({@code init_method} in the official code,
 * {@code minloldu/loldu.py}), from the first {@code r} pivots {@code D_r} of {@code W = P·L·diag(D)·U}.
 * Whatever the choice, the frozen residual is computed with the {@code z} actually drawn, so the
 * model is unchanged at initialisation.
 */
public enum LolduInit {
    /** {@code "lu"} (default, "regular LDU"): {@code z = D_r}. */
    LU("lu"),
    /** {@code "constant"}: every entry {@code mean(D_r)}. */
    CONSTANT("constant"),
    /**
     * {@code "uniform"}: {@code U(−|m|/2, |m|/2)} with {@code m = mean(D_r)}; the best choice in the
     * paper's initialisation ablation.
     */
    UNIFORM("uniform"),
    /** {@code "normal"}: {@code N(mean(D_r), std(D_r)²)}, the sample standard deviation (n − 1). */
    NORMAL("normal");

    private final String json;

    LolduInit(String json) {
        this.json = json;
    }

    /**
     * Returns the JSON spelling.
     *
     * @return e.g. {@code "lu"}
     */
    public String json() {
        return json;
    }

    /**
     * Parses the JSON spelling.
     *
     * @param value e.g. {@code "uniform"}
     * @return the init
     * @throws IllegalArgumentException naming the field and the allowed values
     */
    public static LolduInit fromJson(String value) {
        List<String> allowed = new ArrayList<>();
        for (LolduInit i : values()) {
            if (i.json.equals(value)) {
                return i;
            }
            allowed.add("\"" + i.json + "\"");
        }
        throw new IllegalArgumentException("init_method: \"" + value + "\" is not supported; allowed values: " + allowed);
    }
}
