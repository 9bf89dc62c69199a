/**
 * Combining LoRA adapters into one, with PEFT's {@code LoraModel.add_weighted_adapter} semantics
 * (peft-semantics.md 7.1), on plain factors: {@link org.peft4j.merge.lora.LoraFactors} ({@code A
 * [r, in]}, {@code B [out, r]}, scaling {@code s}), combined by {@link
 * org.peft4j.merge.lora.AdapterCombination} into new factors with scaling 1 ({@code alpha = r}).
 *
 * <p>This is the one place peft-merge depends on peft-lora: the {@code svd} family needs a
 * truncated SVD, taken from {@link org.peft4j.lora.linalg.Svd} (exact LAPACK {@code sgesvdx} by
 * default, or its randomized variant).
 */
package org.peft4j.merge.lora;
