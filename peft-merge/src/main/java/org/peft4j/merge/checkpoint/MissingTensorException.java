package org.peft4j.merge.checkpoint;

import org.peft4j.core.PeftException;

/** A checkpoint lacks a tensor key that a merge needs. The message names the key and the checkpoint. */
public class MissingTensorException extends PeftException {

    private static final long serialVersionUID = 1L;

    /**
     * @param key the missing key
     * @param where which checkpoint (for example "input 2" or a file path)
     */
    public MissingTensorException(String key, String where) {
        super("tensor '" + key + "' is missing from " + where);
    }
}
