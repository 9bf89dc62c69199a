package org.peft4j.lora;

import java.util.List;

/**
 * LoRA's {@code init_lora_weights}: how {@code lora_A} and {@code lora_B} start. The values and
 * their JSON spellings follow PEFT ({@code peft/tuners/lora/layer.py}).
 */
public enum LoraInit {
    /**
     * {@code true}: A ~ kaiming-uniform(a=√5), i.e. U(−1/√in, 1/√in); B = 0. The adapted model
     * starts equal to the base.
     */
    DEFAULT,
    /** {@code "gaussian"}: A ~ N(0, (1/r)²); B = 0. */
    GAUSSIAN,
    /** {@code false}: A and B both random (as nn.Linear initialises); for tests, not a no-op. */
    RANDOM,
    /**
     * {@code "pissa"} / {@code "pissa_niter_N"}: A and B from the principal singular triplets of W,
     * and W replaced by the residual {@code W − s·B·A} (see {@link
     * org.peft4j.lora.pissa.PissaInitializer}); the number of power iterations of the randomized
     * variant is {@link LoraConfig#pissaNiter()}.
     */
    PISSA;

    /** The JSON values accepted for {@code init_lora_weights}. */
    public static final List<String> JSON_VALUES = List.of("true", "false", "\"gaussian\"", "\"pissa\"", "\"pissa_niter_[N]\"");
}
