package org.peft4j.examples.quickstart;

import java.nio.file.Path;
import java.util.List;

/**
 * Settings of the quickstart fine-tune. {@link #defaults()} gives the values the README's main job
 * uses.
 *
 * @param method adaptation method, one of {@link Quickstart#METHODS}
 * @param rank adapter rank
 * @param alpha adapter alpha (LoRA scaling alpha / r)
 * @param dropout adapter dropout
 * @param targets target module names
 * @param epochs passes over the training split
 * @param learningRate peak learning rate of the adapter run
 * @param headLearningRate peak learning rate of the head-only baseline
 * @param batchSize examples per step
 * @param maxLength tokens per text (longer texts are truncated)
 * @param data a JSONL/CSV file with {@code text} and {@code label} (and optional {@code split}), or
 *     null for the bundled SpamAssassin corpus
 * @param output the output folder
 * @param seed the seed for initialisation, dropout and shuffling
 * @param trainLimit use at most this many training examples (0 = all), stratified
 * @param evalLimit use at most this many validation and test examples each (0 = all), stratified
 * @param positiveLabel the label whose F1 is reported
 */
public record QuickstartOptions(String method, int rank, double alpha, double dropout, List<String> targets, int epochs,
                                float learningRate, float headLearningRate, int batchSize, int maxLength, Path data,
                                Path output, long seed, int trainLimit, int evalLimit, String positiveLabel) {

    /**
     * The README's defaults: LoRA r=8, alpha=16, dropout 0.1 on query/value, one epoch at 1e-3,
     * batch 32, 64 tokens, the bundled corpus, output in {@code output/quickstart}.
     *
     * @return the defaults
     */
    public static QuickstartOptions defaults() {
        return new QuickstartOptions("lora", 8, 16, 0.1, List.of("query", "value"), 1, 1e-3f, 3e-3f, 32, 64, null,
                Path.of("output", "quickstart"), 42, 0, 0, "spam");
    }
}
