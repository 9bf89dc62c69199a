package org.peft4j.core.match;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Looks up {@code rank_pattern} / {@code alpha_pattern} entries the way PEFT's {@code
 * get_pattern_key} does: the first key {@code k} (in map order) for which {@code (.*\.)?(k)$}
 * matches the module path from its start wins. So {@code "foo"} matches every {@code *.foo} but not
 * {@code foobar}, and {@code "^foo"} only a top-level {@code foo}.
 */
public final class PatternKeys {

    private PatternKeys() {}

    /**
     * Returns the first matching key.
     *
     * @param patterns the pattern map, in priority order
     * @param path the module path
     * @return the key, or empty
     */
    public static Optional<String> find(Map<String, ?> patterns, String path) {
        if (patterns == null) {
            return Optional.empty();
        }
        for (String key : patterns.keySet()) {
            if (Pattern.compile("(.*\\.)?(" + key + ")$").matcher(path).lookingAt()) {
                return Optional.of(key);
            }
        }
        return Optional.empty();
    }

    /**
     * Returns the value for {@code path}, or {@code fallback} when no key matches.
     *
     * @param patterns the pattern map
     * @param path the module path
     * @param fallback the default
     * @param <V> the value type
     * @return the value
     */
    public static <V> V valueFor(Map<String, V> patterns, String path, V fallback) {
        return find(patterns, path).map(patterns::get).orElse(fallback);
    }
}
