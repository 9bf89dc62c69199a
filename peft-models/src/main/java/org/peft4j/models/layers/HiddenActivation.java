package org.peft4j.models.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.peft4j.core.nn.AutogradScalars;

/**
 * The activation functions a Hugging Face {@code config.json} names in {@code hidden_act} (BERT)
 * or {@code hidden_act} / {@code hidden_activation} (Llama). Each result lives in its input's
 * manager.
 */
public enum HiddenActivation {

    /** {@code "gelu"}: the exact GELU, {@code 0.5·x·(1 + erf(x/√2))} (Hendrycks and Gimpel 2016). */
    GELU("gelu") {
        @Override
        public NDArray apply(NDArray x) {
            return Activation.gelu(x);
        }
    },

    /**
     * {@code "gelu_new"} (also {@code "gelu_pytorch_tanh"}, {@code "gelu_fast"}): the tanh
     * approximation {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}.
     */
    GELU_TANH("gelu_new", "gelu_pytorch_tanh", "gelu_fast") {
        @Override
        public NDArray apply(NDArray x) {
            float c = (float) Math.sqrt(2.0 / Math.PI);
            // x³ as x·x·x and constants through AutogradScalars: DJL's pow/mul(Number) operands would be
            // freed before a backward pass reads them
            NDArray inner = AutogradScalars.mul(AutogradScalars.mul(x.mul(x).mul(x), 0.044715f).add(x), c).tanh().add(1);
            return AutogradScalars.mul(x.mul(inner), 0.5f);
        }
    },

    /** {@code "relu"}. */
    RELU("relu") {
        @Override
        public NDArray apply(NDArray x) {
            return Activation.relu(x);
        }
    },

    /** {@code "silu"} (also {@code "swish"}): {@code x·sigmoid(x)}. */
    SILU("silu", "swish") {
        @Override
        public NDArray apply(NDArray x) {
            return x.mul(Activation.sigmoid(x));
        }
    };

    private final List<String> names;

    HiddenActivation(String... names) {
        this.names = List.of(names);
    }

    /**
     * Applies the function elementwise.
     *
     * @param x any float array
     * @return a new array of the same shape, in {@code x}'s manager
     */
    public abstract NDArray apply(NDArray x);

    /**
     * Returns the {@code config.json} name written for this function.
     *
     * @return the first Hugging Face name
     */
    public String hfName() {
        return names.get(0);
    }

    /**
     * Finds the function a {@code config.json} names.
     *
     * @param name e.g. {@code "gelu"}, {@code "silu"}
     * @return the function
     * @throws IllegalArgumentException naming the allowed values when unknown
     */
    public static HiddenActivation fromHfName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (HiddenActivation a : values()) {
            if (a.names.contains(n)) {
                return a;
            }
        }
        StringBuilder allowed = new StringBuilder();
        for (HiddenActivation a : values()) {
            allowed.append(allowed.length() == 0 ? "" : ", ").append(String.join(", ", a.names));
        }
        throw new IllegalArgumentException("unknown activation '" + name + "'; allowed: " + allowed);
    }

    /**
     * Returns all accepted names.
     *
     * @return the names, for messages
     */
    public static String allowedNames() {
        return Arrays.stream(values()).flatMap(a -> a.names.stream()).reduce((a, b) -> a + ", " + b).orElse("");
    }
}
