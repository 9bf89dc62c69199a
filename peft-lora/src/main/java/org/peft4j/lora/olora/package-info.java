/**
 * OLoRA, LoRA's {@code init_lora_weights = "olora"} (Büyükakyüz, "OLoRA: Orthonormal Low-Rank
 * Adaptation of Large Language Models", 2024, as PEFT implements it): the adapter starts from the
 * first {@code r} columns of the QR decomposition of the frozen weight and the weight keeps the
 * residual. Selected through {@link org.peft4j.lora.LoraConfig} ({@code LoraConfig.builder()
 * .initLoraWeights(LoraInit.OLORA)}); the math is in {@link org.peft4j.lora.olora.OloraInitializer}.
 */
package org.peft4j.lora.olora;
