package org.peft4j.core.config;

import java.util.List;

/**
 * Which layers a config adapts, with PEFT's field names: {@code target_modules}, {@code
 * exclude_modules}, {@code layers_to_transform}, {@code layers_pattern}. Validated on construction
 * with PEFT's rules: layer selection needs list-form targets, and {@code layers_pattern} needs
 * {@code layers_to_transform}.
 *
 * @param targetModules the targets (never null)
 * @param excludeModules the exclusions, or null
 * @param layersToTransform the layer indices to adapt, or null for all
 * @param layersPattern the names of the layer containers (e.g. {@code "layer"}, {@code "layers"}),
 *     or null
 */
public record TargetSpec(
        TargetModules targetModules,
        TargetModules excludeModules,
        List<Integer> layersToTransform,
        List<String> layersPattern) {

    /** Validates the combination of fields. */
    public TargetSpec {
        if (targetModules == null) {
            throw new IllegalArgumentException(
                    "target_modules: required (a list of names, a regex string, or \"all-linear\")");
        }
        layersToTransform = layersToTransform == null || layersToTransform.isEmpty() ? null : List.copyOf(layersToTransform);
        layersPattern = layersPattern == null || layersPattern.isEmpty() ? null : List.copyOf(layersPattern);
        if (targetModules.kind() == TargetModules.Kind.REGEX && layersToTransform != null) {
            throw new IllegalArgumentException(
                    "layers_to_transform cannot be used when target_modules is a regex string; give target_modules as a list");
        }
        if (targetModules.kind() == TargetModules.Kind.REGEX && layersPattern != null) {
            throw new IllegalArgumentException(
                    "layers_pattern cannot be used when target_modules is a regex string; give target_modules as a list");
        }
        if (layersPattern != null && layersToTransform == null) {
            throw new IllegalArgumentException("layers_pattern requires layers_to_transform to be set");
        }
        if (layersToTransform != null) {
            for (Integer i : layersToTransform) {
                if (i == null || i < 0) {
                    throw new IllegalArgumentException("layers_to_transform: indices must be >= 0, got " + layersToTransform);
                }
            }
        }
    }

    /**
     * Targets only, no exclusions or layer selection.
     *
     * @param targets the targets
     * @return the spec
     */
    public static TargetSpec of(TargetModules targets) {
        return new TargetSpec(targets, null, null, null);
    }
}
