package org.peft4j.models.pretrained;

import ai.djl.nn.Block;

import org.peft4j.models.checkpoint.LoadReport;
import org.peft4j.models.tokenize.TextTokenizer;

/**
 * A loaded model with its tokenizer. Closing it frees the tokenizer; the model's arrays belong to
 * the manager it was loaded into.
 *
 * @param model the model, weights loaded
 * @param tokenizer the tokenizer that matches its vocabulary
 * @param report what was loaded and what was freshly initialised
 * @param <M> the model type
 */
public record Pretrained<M extends Block>(M model, TextTokenizer tokenizer, LoadReport report) implements AutoCloseable {

    /** Frees the tokenizer. */
    @Override
    public void close() {
        tokenizer.close();
    }
}
