/**
 * Labelled text for classification examples: a small loader for JSON Lines and CSV files
 * ({@link org.peft4j.examples.data.LabelledTextSet}), deterministic shuffling, splitting and
 * label-balanced sampling, and the data set bundled with the repository
 * ({@link org.peft4j.examples.data.BundledData}).
 *
 * <p>Everything here is plain Java (no tensors): turning texts into token ids is the tokenizer's job.
 */
package org.peft4j.examples.data;
