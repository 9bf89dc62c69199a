package org.peft4j.merge.checkpoint;

import java.io.PrintStream;

/**
 * Hears about each tensor a statistics pass over whole checkpoints has read (the passes a merge
 * runs before it writes anything, such as the whole-model thresholds of {@link
 * org.peft4j.merge.global.TiesOriginal}).
 */
@FunctionalInterface
public interface PassProgressListener {

    /**
     * Called after a tensor is read in a pass.
     *
     * @param pass what the pass computes, for example {@code "TIES magnitudes 1/2"}
     * @param index 1-based position of the tensor in the pass
     * @param total number of tensors the pass reads
     * @param name the tensor's key
     */
    void onTensor(String pass, int index, int total, String name);

    /**
     * Prints {@code [pass i/n] name} per tensor.
     *
     * @param out where to print
     * @return the listener
     */
    static PassProgressListener printing(PrintStream out) {
        return (pass, index, total, name) -> out.println("[" + pass + ": " + index + "/" + total + "] " + name);
    }

    /**
     * @return a listener that does nothing
     */
    static PassProgressListener silent() {
        return (pass, index, total, name) -> {};
    }
}
