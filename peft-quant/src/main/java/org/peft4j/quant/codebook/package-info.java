/**
 * The fixed code books of bitsandbytes-compatible quantization: {@link
 * org.peft4j.quant.codebook.Nf4Codebook} (NF4), {@link org.peft4j.quant.codebook.Fp4Codebook}
 * (bitsandbytes FP4, sign in bit 3) and {@link org.peft4j.quant.codebook.DynamicMap} (the signed
 * 8-bit dynamic map used for double quantization), with the float32 decision thresholds that make
 * quantization byte-exact with bitsandbytes' default backend.
 */
package org.peft4j.quant.codebook;
