package org.peft4j.models.checkpoint;

import java.util.List;

/**
 * A model with a task head (a classifier, a pooler, an LM head) whose parameters a base checkpoint
 * may lack; {@link LoadOptions.Builder#allowMissingHeads()} lets exactly these be absent.
 */
public interface HeadParameters {

    /**
     * Returns globs of the head's parameter keys, e.g. {@code "classifier.*"}.
     *
     * @return the patterns
     */
    List<String> headParameterPatterns();
}
