/**
 * PiSSA, LoRA's {@code init_lora_weights = "pissa"} / {@code "pissa_niter_N"}: the adapter starts
 * from the principal singular triplets of the frozen weight and the weight keeps the residual.
 * Selected through {@link org.peft4j.lora.LoraConfig} ({@code LoraConfig.builder()
 * .initLoraWeights(LoraInit.PISSA)} or {@code .pissaNiter(4)}); the math is in {@link
 * org.peft4j.lora.pissa.PissaInitializer}.
 */
package org.peft4j.lora.pissa;
