package org.peft4j.models.checkpoint;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * How strictly a checkpoint must fit a model. By default every model parameter must be present with
 * its exact shape and every checkpoint tensor must belong to the model, except buffers that Hugging
 * Face checkpoints may carry and models do not load ({@code *position_ids}, {@code
 * *rotary_emb.inv_freq}), which are ignored and reported.
 *
 * <p>Patterns are globs over the dotted key: {@code *} matches any characters, dots included
 * ({@code classifier.*}, {@code *.position_ids}).
 *
 * @param allowMissing patterns of model parameters that may be absent; they keep their initial
 *     values and are reported in {@link LoadReport#initialized()}
 * @param allowMissingHeads whether the task-head parameters a model declares ({@link
 *     HeadParameters}) may be absent
 * @param ignoreUnexpected patterns of checkpoint tensors to skip; reported in {@link
 *     LoadReport#ignored()}
 */
public record LoadOptions(List<String> allowMissing, boolean allowMissingHeads, List<String> ignoreUnexpected) {

    /** The buffers ignored unless told otherwise. */
    public static final List<String> DEFAULT_IGNORED = List.of("*position_ids", "*rotary_emb.inv_freq");

    /** Copies the lists. */
    public LoadOptions {
        allowMissing = List.copyOf(allowMissing);
        ignoreUnexpected = List.copyOf(ignoreUnexpected);
    }

    /**
     * Returns the strict default: nothing missing, only {@link #DEFAULT_IGNORED} unexpected.
     *
     * @return the options
     */
    public static LoadOptions strict() {
        return builder().build();
    }

    /**
     * Returns a builder starting from {@link #strict()}.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns a copy that also skips checkpoint tensors matching {@code globs}.
     *
     * @param globs e.g. {@code "classifier.*"}
     * @return the new options
     */
    public LoadOptions withIgnored(String... globs) {
        List<String> ignored = new ArrayList<>(ignoreUnexpected);
        ignored.addAll(List.of(globs));
        return new LoadOptions(allowMissing, allowMissingHeads, ignored);
    }

    /**
     * Returns whether a model parameter may be absent.
     *
     * @param key the parameter key
     * @param heads the model's head patterns
     * @return whether it may be missing
     */
    boolean missingAllowed(String key, List<String> heads) {
        return matchesAny(key, allowMissing) || (allowMissingHeads && matchesAny(key, heads));
    }

    /**
     * Returns whether a checkpoint tensor is skipped.
     *
     * @param key the tensor name
     * @return whether it is ignored
     */
    boolean unexpectedIgnored(String key) {
        return matchesAny(key, ignoreUnexpected);
    }

    static boolean matchesAny(String key, List<String> globs) {
        for (String glob : globs) {
            if (glob(glob).matcher(key).matches()) {
                return true;
            }
        }
        return false;
    }

    private static Pattern glob(String glob) {
        String[] parts = glob.split("\\*", -1);
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                regex.append(".*");
            }
            if (!parts[i].isEmpty()) {
                regex.append(Pattern.quote(parts[i]));
            }
        }
        return Pattern.compile(regex.toString());
    }

    /** Builds {@link LoadOptions}. */
    public static final class Builder {
        private final List<String> allowMissing = new ArrayList<>();
        private boolean allowMissingHeads;
        private final List<String> ignoreUnexpected = new ArrayList<>(DEFAULT_IGNORED);

        private Builder() {}

        /**
         * Lets parameters matching these globs be absent (they keep their initial values).
         *
         * @param globs e.g. {@code "classifier.*"}
         * @return this
         */
        public Builder allowMissing(String... globs) {
            allowMissing.addAll(List.of(globs));
            return this;
        }

        /**
         * Lets the model's task head (for example a new classifier) be absent.
         *
         * @return this
         */
        public Builder allowMissingHeads() {
            this.allowMissingHeads = true;
            return this;
        }

        /**
         * Skips checkpoint tensors matching these globs.
         *
         * @param globs e.g. {@code "cls.*"}
         * @return this
         */
        public Builder ignoreUnexpected(String... globs) {
            ignoreUnexpected.addAll(List.of(globs));
            return this;
        }

        /**
         * Builds the options.
         *
         * @return the options
         */
        public LoadOptions build() {
            return new LoadOptions(allowMissing, allowMissingHeads, ignoreUnexpected);
        }
    }
}
