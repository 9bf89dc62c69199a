package org.peft4j.merge.checkpoint;

import java.nio.file.Path;

/**
 * What {@link StreamingMerger#write} wrote.
 *
 * @param output the committed file
 * @param tensors number of tensors written
 * @param bytes bytes of tensor data written (header excluded)
 * @param seconds wall-clock time of the whole write
 */
public record StreamingReport(Path output, int tensors, long bytes, double seconds) {}
