package org.peft4j.examples.quickstart;

import ai.djl.ndarray.NDManager;

import org.peft4j.core.PeftModel;
import org.peft4j.examples.data.Splits;
import org.peft4j.examples.train.BatchEncoder;

import java.io.IOException;

/**
 * How the quickstart adapts the model for one {@code --method}: wrap the loaded classifier (whose
 * {@code classifier} head must stay trainable through {@code modules_to_save}), running any
 * data-driven initialisation on the training split.
 */
@FunctionalInterface
public interface AdapterRecipe {

    /**
     * Adapts the model.
     *
     * @param model the loaded classifier (encoder under {@code bert}, head under {@code classifier})
     * @param options the quickstart settings (rank, alpha, dropout, targets, seed, ...)
     * @param data the splits (initialisers may read the training split only)
     * @param encoder the tokenizer
     * @param manager the owner of temporaries
     * @return the wrapped model, its adapter active and trainable
     * @throws IOException if an initialiser needs files and they fail
     */
    PeftModel apply(MeanPoolingClassifier model, QuickstartOptions options, Splits data, BatchEncoder encoder, NDManager manager) throws IOException;
}
