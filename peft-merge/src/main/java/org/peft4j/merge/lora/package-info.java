/**
 * Combining LoRA adapters into one, with PEFT's {@code LoraModel.add_weighted_adapter} semantics
 * (peft-semantics.md 7.1). On plain factors: {@link org.peft4j.merge.lora.LoraFactors} ({@code A
 * [r, in]}, {@code B [out, r]}, scaling {@code s}), combined by {@link
 * org.peft4j.merge.lora.AdapterCombination#combine} into new factors with scaling 1 ({@code alpha =
 * r}). On a model: {@link org.peft4j.merge.lora.AdapterCombination#addWeightedAdapter} combines
 * named adapters of a {@link org.peft4j.core.PeftModel} layer by layer and adds the result as an
 * ordinary, inactive {@code LORA} adapter that is activated, saved and loaded like any other.
 *
 * <p>This is the one place peft-merge depends on peft-lora: the {@code svd} family needs a
 * truncated SVD, taken from {@link org.peft4j.lora.linalg.Svd} (exact LAPACK {@code sgesvdx} by
 * default, or its randomized variant), and the model-level entry point reads and writes {@link
 * org.peft4j.lora.LoraAdapter} factors and builds a {@link org.peft4j.lora.LoraConfig}.
 */
package org.peft4j.merge.lora;
