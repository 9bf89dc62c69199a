/**
 * Merges whose statistics span the whole model: every tensor of a task vector is treated as part of
 * one flat vector, as in the TIES authors' code ({@link org.peft4j.merge.global.TiesOriginal}). The
 * statistics come from streaming passes over the checkpoints before the merge, so the model is never
 * held in memory; the merge itself then runs tensor by tensor like the per-tensor methods of {@link
 * org.peft4j.merge.method}.
 */
package org.peft4j.merge.global;
