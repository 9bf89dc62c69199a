/**
 * Quantized layers and model-level tools: {@link org.peft4j.quant.nn.QuantizedLinear} (a frozen
 * 4-bit linear layer that dequantizes on the fly), {@link org.peft4j.quant.nn.ModelQuantizer}
 * (replace a model's linear layers), {@link org.peft4j.quant.nn.KbitTraining} (freeze and widen for
 * QLoRA-style adapter training).
 */
package org.peft4j.quant.nn;
