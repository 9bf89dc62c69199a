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
 * <p>Depends on peft-core only (not on peft-lora): the truncated SVD that the {@code svd}
 * combinations need is behind {@link org.peft4j.merge.lora.LowRankFactorizer}.
 */
package org.peft4j.merge;
