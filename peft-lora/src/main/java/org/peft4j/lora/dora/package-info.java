/**
 * DoRA, LoRA's {@code use_dora = true} (Liu et al., "DoRA: Weight-Decomposed Low-Rank Adaptation",
 * ICML 2024): the adapted weight is split into a trainable magnitude per output row and a direction
 * that LoRA updates. Selected through {@link org.peft4j.lora.LoraConfig} ({@code
 * LoraConfig.builder().useDora(true)}); the math, PEFT's, is in {@link
 * org.peft4j.lora.dora.DoraAdapter}.
 */
package org.peft4j.lora.dora;
