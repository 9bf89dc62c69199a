/**
 * Combining LoRA adapters into one, with PEFT's {@code LoraModel.add_weighted_adapter} semantics
 * (peft-semantics.md 7.1), on plain factors: {@link org.peft4j.merge.lora.LoraFactors} ({@code A
 * [r, in]}, {@code B [out, r]}, scaling {@code s}), combined by {@link
 * org.peft4j.merge.lora.AdapterCombination} into new factors with scaling 1 ({@code alpha = r}).
 *
 * <p>The {@code svd} family needs a truncated SVD; it sits behind {@link
 * org.peft4j.merge.lora.LowRankFactorizer}, with {@link org.peft4j.merge.lora.RandomizedSvd} (a
 * randomized range finder on DJL matmul plus a small Jacobi eigen-decomposition, {@link
 * org.peft4j.merge.lora.SymmetricEigen}) as the built-in implementation.
 */
package org.peft4j.merge.lora;
