/**
 * Merging fine-tuned models and adapters: task vectors, model soups, LiNeS, task arithmetic, TIES,
 * DARE, SLERP and the combination of LoRA adapters, on DJL {@code NDArray}s in float32, streaming over
 * safetensors checkpoints one tensor at a time.
 *
 * <p>Sub-packages: {@link org.peft4j.merge.sparsify} (magnitude and random pruning, seeded masks),
 * {@link org.peft4j.merge.consensus} (TIES sign election and disjoint mean), {@link
 * org.peft4j.merge.method} (the per-tensor merge methods), {@link org.peft4j.merge.lines} (LiNeS
 * layer-increasing scaling), {@link org.peft4j.merge.checkpoint} (checkpoint views, task vectors,
 * streaming writer), {@link org.peft4j.merge.soup} (uniform and greedy soups) and {@link
 * org.peft4j.merge.lora} (PEFT's {@code add_weighted_adapter} combinations).
 *
 * <p>Depends on peft-core, and on peft-lora only for the truncated SVD of the {@code svd} adapter
 * combinations ({@link org.peft4j.lora.linalg.Svd}).
 *
 * <p>Arrays are float32. Every method returns its result in the manager of its (left) input and
 * closes its temporaries; inside an {@link ai.djl.ndarray.NDScope} the result is registered with
 * that scope like any freshly created array. Every random mask comes from a seed ({@link
 * org.peft4j.merge.sparsify.MaskSource}).
 */
package org.peft4j.merge;
