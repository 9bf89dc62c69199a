/**
 * 4-bit quantization of frozen weights, compatible with bitsandbytes and QLoRA: the configuration
 * ({@link org.peft4j.quant.QuantConfig}), the quantized weight with its statistics ({@link
 * org.peft4j.quant.QuantState}) and the data types ({@link org.peft4j.quant.QuantType}). Kernels are
 * in {@code blockwise}, code books in {@code codebook}, the checkpoint layout in {@code bnb}, and the
 * quantized linear layer with the model-level tools in {@code nn}.
 *
 * <p>Depends on peft-core only (its {@code nn} package: {@code ModuleBlock}, {@code LinearLayer},
 * {@code BlockPaths}).
 */
package org.peft4j.quant;
