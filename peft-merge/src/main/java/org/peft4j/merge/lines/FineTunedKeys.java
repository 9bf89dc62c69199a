package org.peft4j.merge.lines;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Keys whose tensors a LiNeS merge keeps as fine-tuned, outside the task vector: typically a newly
 * trained classification head that the base also carries (a randomly initialised or pretrained-task
 * head), which would otherwise be scaled like any tensor outside the blocks (methods-spec.md Choices
 * #12: "keep the head as fine-tuned (outside tau)"). Keys the base lacks need no entry: they are
 * never in the task vector and the merge keeps them from the first input anyway.
 *
 * <p>A key is kept when any pattern is found in it ({@link java.util.regex.Matcher#find()}, as
 * {@link LinesSchedule#blockPattern()}); anchor with {@code ^...$} for a whole-key match. The default,
 * {@link #none()}, keeps nothing.
 *
 * @param patterns the patterns, in the order given
 */
public record FineTunedKeys(List<Pattern> patterns) {

    /** Validates and copies. */
    public FineTunedKeys {
        if (patterns == null) {
            throw new IllegalArgumentException("patterns must not be null (use FineTunedKeys.none())");
        }
        for (int i = 0; i < patterns.size(); i++) {
            if (patterns.get(i) == null) {
                throw new IllegalArgumentException("patterns[" + i + "] must not be null");
            }
        }
        patterns = List.copyOf(patterns);
    }

    /**
     * @return no key is kept (every floating key of the base is in the task vector)
     */
    public static FineTunedKeys none() {
        return new FineTunedKeys(List.of());
    }

    /**
     * Compiles regular expressions.
     *
     * @param regexes for example {@code "^classifier\\."}
     * @return the keys they select
     * @throws IllegalArgumentException naming the index and text of a regex that does not compile
     */
    public static FineTunedKeys of(String... regexes) {
        List<Pattern> compiled = new ArrayList<>(regexes.length);
        for (int i = 0; i < regexes.length; i++) {
            if (regexes[i] == null) {
                throw new IllegalArgumentException("regexes[" + i + "] must not be null");
            }
            try {
                compiled.add(Pattern.compile(regexes[i]));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(
                        "regexes[" + i + "] '" + regexes[i] + "' is not a valid regular expression: "
                                + e.getDescription(), e);
            }
        }
        return new FineTunedKeys(compiled);
    }

    /**
     * @param key checkpoint key
     * @return whether the key is kept as fine-tuned
     */
    public boolean matches(String key) {
        for (Pattern p : patterns) {
            if (p.matcher(key).find()) {
                return true;
            }
        }
        return false;
    }

    /**
     * @return whether no key is kept
     */
    public boolean isEmpty() {
        return patterns.isEmpty();
    }
}
