/**
 * Sparsification of task tensors before merging: {@link org.peft4j.merge.sparsify.MagnitudePruning}
 * (keep the top-k magnitudes, TIES), {@link org.peft4j.merge.sparsify.RandomPruning} (Bernoulli drop
 * and rescale, DARE) with its {@link org.peft4j.merge.sparsify.DareRescale} choice, and the seeded
 * {@link org.peft4j.merge.sparsify.BernoulliMask} that makes every random mask reproducible.
 *
 * <p>Semantics follow PEFT's {@code src/peft/utils/merge_utils.py} ({@code magnitude_based_pruning},
 * {@code random_pruning}, {@code prune}) and mergekit's {@code mergekit/sparsify.py} where noted.
 */
package org.peft4j.merge.sparsify;
