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
    PISSA,
    /**
     * {@code "orthogonal"} (r even): with {@code Q} from the QR decomposition of an {@code [r, r]}
     * standard normal matrix, {@code A = (N_in·Q[0::2])ᵀ / 10} and {@code B = (N_outᵀ·Q[1::2]) / 10}
     * for standard normal {@code N_in} {@code [in, r/2]} and {@code N_out} {@code [r/2, out]}. Both
     * factors are non-zero, yet {@code B·A = 0} because the even and odd rows of {@code Q} are
     * orthogonal, so the adapted model starts equal to the base (PEFT's {@code orthogonal_init}).
     */
    ORTHOGONAL,
    /**
     * {@code "olora"}: A and B from the QR decomposition of W ({@code A = R[:r]}, {@code B =
     * Q[:, :r]}), and W replaced by the residual {@code W − s·B·A} (see {@link
     * org.peft4j.lora.olora.OloraInitializer}).
     */
    OLORA,
    /**
     * {@code "eva"}: PEFT's EVA. {@code lora_A} starts as the top principal directions of each layer's
     * inputs on training data, {@code lora_B} at zero, and ranks are redistributed across layers by
     * explained variance. That needs a data pass, so a new EVA adapter is created with {@link
     * org.peft4j.lora.eva.EvaInitializer#wrap}; {@code PeftModel.wrap} alone refuses it. Loading an
     * EVA-trained adapter folder needs no data: EVA leaves the base weights unchanged and the folder
     * holds A, B and the ranks ({@code rank_pattern}).
     */
    EVA;

    /** The JSON values accepted for {@code init_lora_weights}. */
    public static final List<String> JSON_VALUES = List.of("true", "false", "\"gaussian\"", "\"pissa\"", "\"pissa_niter_[N]\"",
            "\"orthogonal\"", "\"olora\"", "\"eva\"");
}
