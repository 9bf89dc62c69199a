/**
 * Blockwise quantization kernels written as DJL ops, bit-exact with bitsandbytes' default backend:
 * {@link org.peft4j.quant.blockwise.Blockwise4Bit} (NF4/FP4, packed two codes per byte), {@link
 * org.peft4j.quant.blockwise.Blockwise8Bit} (256-entry code maps) and {@link
 * org.peft4j.quant.blockwise.DoubleQuantization} (8-bit absmax statistics).
 */
package org.peft4j.quant.blockwise;
