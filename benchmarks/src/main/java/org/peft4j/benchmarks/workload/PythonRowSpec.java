package org.peft4j.benchmarks.workload;

import java.nio.file.Path;

/**
 * How the Python side builds the same row: the exported base classifier, optionally a PEFT adapter
 * folder, and what is trained.
 *
 * @param adapterDir a PEFT adapter folder ({@code adapter_config.json} + {@code
 *     adapter_model.safetensors}) to load on top of the base, or null
 * @param merged whether the adapter is merged into the base weights before timing
 * @param fullFinetune whether every parameter trains (otherwise: the adapter and its
 *     modules_to_save)
 */
public record PythonRowSpec(Path adapterDir, boolean merged, boolean fullFinetune) {}
