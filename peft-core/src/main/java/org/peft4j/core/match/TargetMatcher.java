package org.peft4j.core.match;

import org.peft4j.core.config.TargetModules;
import org.peft4j.core.config.TargetSpec;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides whether a module path is adapted, with the semantics of PEFT's {@code
 * check_target_module_exists} (peft/tuners/tuners_utils.py): exclusions first, then the targets,
 * then the layer-index filter.
 */
public final class TargetMatcher {

    /** The outcome for one path. */
    public enum Decision {
        /** Adapt this module. */
        TARGETED,
        /** Matched the targets but removed by {@code exclude_modules}. */
        EXCLUDED,
        /** Not selected. */
        NOT_TARGETED
    }

    private static final Pattern FIRST_INDEX = Pattern.compile(".*?\\.[^.]*\\.(\\d+)\\.");

    private TargetMatcher() {}

    /**
     * Returns the decision for {@code path}.
     *
     * @param spec the config's target fields
     * @param path the dotted module path (as in {@code named_modules()})
     * @param isLinear whether the module is a linear layer (needed for {@code "all-linear"})
     * @return the decision
     */
    public static Decision decide(TargetSpec spec, String path, boolean isLinear) {
        TargetModules exclude = spec.excludeModules();
        if (exclude != null && excludes(exclude, path)) {
            return Decision.EXCLUDED;
        }
        TargetModules targets = spec.targetModules();
        boolean found;
        if (targets.kind() == TargetModules.Kind.ALL_LINEAR) {
            found = isLinear && targets.matches(path);
        } else {
            found = targets.matches(path);
        }
        if (!found) {
            return Decision.NOT_TARGETED;
        }
        if (spec.layersToTransform() != null) {
            Integer index = layerIndex(path, spec.layersPattern());
            if (index == null || !spec.layersToTransform().contains(index)) {
                return Decision.NOT_TARGETED;
            }
        }
        return Decision.TARGETED;
    }

    /**
     * Returns true when {@code path} is targeted.
     *
     * @param spec the config's target fields
     * @param path the dotted module path
     * @param isLinear whether the module is linear
     * @return whether it is adapted
     */
    public static boolean matches(TargetSpec spec, String path, boolean isLinear) {
        return decide(spec, path, isLinear) == Decision.TARGETED;
    }

    private static boolean excludes(TargetModules exclude, String path) {
        if (exclude.kind() == TargetModules.Kind.REGEX) {
            return Pattern.compile(exclude.regex()).matcher(path).matches();
        }
        return exclude.kind() == TargetModules.Kind.NAMES && exclude.matches(path);
    }

    /**
     * Extracts the layer index of {@code path}: without patterns the first numbered segment that
     * follows at least two segments ({@code .*?\.[^.]*\.(\d+)\.}); with patterns the number after
     * {@code .<pattern>.} ({@code .*?\.<pattern>\.(\d+)\.}), first pattern that matches.
     *
     * @param path the module path
     * @param layersPattern the container names, or null
     * @return the index, or null when the path has none
     */
    public static Integer layerIndex(String path, List<String> layersPattern) {
        if (layersPattern == null) {
            Matcher m = FIRST_INDEX.matcher(path);
            return m.lookingAt() ? Integer.valueOf(Integer.parseInt(m.group(1))) : null;
        }
        for (String pattern : layersPattern) {
            Matcher m = Pattern.compile(".*?\\." + pattern + "\\.(\\d+)\\.").matcher(path);
            if (m.lookingAt()) {
                return Integer.parseInt(m.group(1));
            }
        }
        return null;
    }
}
