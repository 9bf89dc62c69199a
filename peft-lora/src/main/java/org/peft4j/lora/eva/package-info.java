/**
 * EVA, Explained Variance Adaptation (Paischer et al. 2024), LoRA's {@code init_lora_weights = "eva"}
 * as PEFT implements it: {@code lora_A} starts from the principal directions of each layer's inputs on
 * training data, found by an incremental PCA over cycled batches, and the ranks are redistributed
 * across layers by explained variance. Entry point: {@link org.peft4j.lora.eva.EvaInitializer}.
 */
package org.peft4j.lora.eva;
