/**
 * Whole checkpoints, one tensor at a time. A {@link org.peft4j.merge.checkpoint.CheckpointView}
 * names tensors by their Hugging Face keys and loads one on request; views compose lazily: {@link
 * org.peft4j.merge.checkpoint.TaskVector} ({@code theta_ft - theta_base}), {@link
 * org.peft4j.merge.checkpoint.MergedCheckpoint} (a {@link org.peft4j.merge.method.MergeMethod}
 * over a base and several inputs), {@link org.peft4j.merge.checkpoint.FineTuneTransfer} (a task
 * vector added to another checkpoint). {@link org.peft4j.merge.checkpoint.StreamingMerger} writes
 * any view to a safetensors file tensor by tensor, so peak memory is bounded by the largest tensor
 * times the number of models read for it.
 */
package org.peft4j.merge.checkpoint;
