/**
 * LiNeS, layer-increasing network scaling (Wang et al., ICLR 2025): the task vector of transformer
 * block {@code l} (1-based, of {@code L}) is scaled by {@code lambda(l) = alpha + beta (l-1)/(L-1)},
 * everything outside the blocks by {@code alpha}; shallow layers keep the pretrained features,
 * deep layers keep the fine-tuned ones. {@link org.peft4j.merge.lines.LinesSchedule} holds the
 * scales, {@link org.peft4j.merge.lines.LinesMerge} applies them to a merged task vector.
 */
package org.peft4j.merge.lines;
