package org.peft4j.merge.soup;

import org.peft4j.merge.checkpoint.CheckpointView;

/**
 * One fine-tuned model offered to a soup.
 *
 * @param name a label for reports (for example the run name)
 * @param checkpoint its parameters
 */
public record SoupIngredient(String name, CheckpointView checkpoint) {

    /** Validates. */
    public SoupIngredient {
        if (name == null || checkpoint == null) {
            throw new IllegalArgumentException("name and checkpoint must not be null");
        }
    }
}
