/**
 * bitsandbytes' serialized form of 4-bit weights: {@link org.peft4j.quant.bnb.BnbCheckpoint} maps a
 * {@link org.peft4j.quant.QuantState} to and from the {@code weight}, {@code weight.absmax}, {@code
 * weight.quant_map}, {@code weight.nested_*} and {@code weight.quant_state.bitsandbytes__nf4|fp4}
 * tensors, byte-identical with what {@code Linear4bit} saves.
 */
package org.peft4j.quant.bnb;
