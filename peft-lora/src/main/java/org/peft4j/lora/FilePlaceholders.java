package org.peft4j.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import org.peft4j.core.PeftException;

/**
 * The NaN placeholders an adapter is built with when its factors are to be read from an adapter
 * file (so that wrapping for a load does not decompose the weights), and the check that a file did
 * fill them before the adapter runs or merges.
 */
public final class FilePlaceholders {

    private FilePlaceholders() {}

    /**
     * Throws if {@code probe} still holds the NaN placeholders; one device read.
     *
     * @param probe one of the adapter's factors, any shape
     * @param peftType the method's {@code peft_type}, for the message
     * @param key the factor's tensor key, for the message
     * @param configClass the config class's simple name, for the message
     * @throws PeftException if any entry of {@code probe} is NaN
     */
    public static void requireFilled(NDArray probe, String peftType, String key, String configClass) {
        boolean unfilled;
        try (NDManager scratch = probe.getManager().newSubManager()) {
            NDArray nan = probe.isNaN();
            nan.attach(scratch);
            unfilled = nan.any().getBoolean();
        }
        if (unfilled) {
            throw new PeftException(peftType + " adapter: " + key + " still holds the NaN placeholders that an adapter file should have"
                    + " filled. Its config was parsed for loading a folder (AdapterFiles.readConfig), which skips initialising from the"
                    + " model; load the folder with PeftModel.load or PeftModel.loadAdapter, or wrap with a config from "
                    + configClass + ".fromJson, builder or toBuilder, which initialises the adapter");
        }
    }
}
