package org.peft4j.benchmarks.workload;

import ai.djl.ndarray.NDManager;

import java.nio.file.Path;

/**
 * What a row gets to build its model.
 *
 * @param manager the owner of the model's arrays (closed when the row is done)
 * @param checkpoint the exported classifier folder ({@code config.json} + {@code model.safetensors})
 * @param workDir a folder the row may write to (adapter exports for the Python side)
 * @param seed the seed for anything random (adapter initialisation)
 */
public record RowContext(NDManager manager, Path checkpoint, Path workDir, long seed) {}
