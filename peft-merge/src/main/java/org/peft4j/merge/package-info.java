/**
 * Merging fine-tuned models and adapters: task vectors, model soups, LiNeS, task arithmetic, TIES,
 * DARE, SLERP and the combination of LoRA adapters, on DJL {@code NDArray}s in float32, streaming over
 * safetensors checkpoints one tensor at a time.
 *
 * <p>Sub-packages: {@link org.peft4j.merge.sparsify} (magnitude and random pruning, seeded masks),
 * {@link org.peft4j.merge.consensus} (TIES sign election and disjoint mean), {@link
 * org.peft4j.merge.method} (the per-tensor merge methods), {@link org.peft4j.merge.lines} (LiNeS
 * layer-increasing scaling), {@link org.peft4j.merge.checkpoint} (checkpoint views, task vectors,
 * streaming writer), {@link org.peft4j.merge.soup} (uniform and greedy soups), {@link
 * org.peft4j.merge.global} (merges that need whole-model statistics first: the TIES authors' rule)
 * and {@link org.peft4j.merge.lora} (PEFT's {@code add_weighted_adapter} combinations).
 *
 * <p>Depends on peft-core, and on peft-lora only for the truncated SVD of the {@code svd} adapter
 * combinations ({@link org.peft4j.lora.linalg.Svd}).
 *
 * <p>Arrays are float32. Every method returns its result in the manager of its (left) input and
 * closes its temporaries; inside an {@link ai.djl.ndarray.NDScope} the result is registered with
 * that scope like any freshly created array. Every random mask comes from a seed ({@link
 * org.peft4j.merge.sparsify.MaskSource}).
 *
 * <p>Choices where papers and libraries disagree (methods-spec.md, "Choices peft4j must make
 * explicitly"):
 *
 * <ul>
 *   <li>Greedy soup acceptance: {@code >=} (paper) by default, {@code >} (official code) selectable
 *       ({@link org.peft4j.merge.soup.AcceptanceRule}).
 *   <li>DARE rescale: {@code 1/density} (paper, PEFT) by default; mergekit's L1-norm match and none
 *       selectable ({@link org.peft4j.merge.sparsify.DareRescale}).
 *   <li>TIES consensus: PEFT's (sign elected on the unweighted trimmed tensors, mean over the
 *       agreeing count) by default; mergekit's weighted rule selectable ({@link
 *       org.peft4j.merge.method.TiesVariant}). Ties elect +1, zeros never agree. The TIES authors'
 *       own rule (whole-model trim per task, zero sums take the global majority sign), which the
 *       LiNeS code reuses, is {@link org.peft4j.merge.global.TiesOriginal}.
 *   <li>Task arithmetic is a plain weighted sum (LiNeS code), so LiNeS' multi-task {@code alpha} is
 *       {@code 1/T} for it.
 *   <li>LiNeS blocks are matched by exact index; tensors outside the blocks (embeddings, final
 *       norm, pooler) get {@code alpha}; keys absent from the base (a new head) are kept as
 *       fine-tuned, unscaled, and so are keys a base also carries when they match {@link
 *       org.peft4j.merge.lines.FineTunedKeys} (a head the base has too).
 *   <li>{@code add_weighted_adapter} SVD types reproduce {@code sum_i w_i Delta W_i} (PEFT 0.21.0),
 *       not the double scaling of PEFT's main branch; the result has scaling 1.
 *   <li>Random masks come from {@link java.util.SplittableRandom} seeded per (merge seed, tensor
 *       name, input index), not from the engine's global generator, so they are reproducible and
 *       independent of processing order; they are not bit-identical to PyTorch's {@code bernoulli}.
 * </ul>
 */
package org.peft4j.merge;
