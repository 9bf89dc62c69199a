/**
 * The Llama family (Llama 2/3, TinyLlama, SmolLM and other {@code model_type: llama} checkpoints)
 * with Hugging Face module paths: RMSNorm, rotary embeddings with the checkpoint's {@code
 * rope_theta} (and {@code linear} / {@code llama3} scaling), SwiGLU, grouped-query attention, causal
 * masking, tied or untied {@code lm_head}, the causal-LM loss and greedy generation. The rotary
 * settings are read from transformers 5's {@code rope_parameters} object as well as from the older
 * {@code rope_theta} / {@code rope_scaling} fields, and written both ways.
 */
package org.peft4j.models.llama;
