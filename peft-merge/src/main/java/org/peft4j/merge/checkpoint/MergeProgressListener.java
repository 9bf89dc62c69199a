package org.peft4j.merge.checkpoint;

import java.io.PrintStream;

/** Hears about each tensor {@link StreamingMerger} has written. */
@FunctionalInterface
public interface MergeProgressListener {

    /**
     * Called after a tensor is written.
     *
     * @param index 1-based position of the tensor
     * @param total number of tensors
     * @param name its key
     */
    void onTensor(int index, int total, String name);

    /**
     * Prints {@code [i/n] name} per tensor.
     *
     * @param out where to print
     * @return the listener
     */
    static MergeProgressListener printing(PrintStream out) {
        return (index, total, name) -> out.println("[" + index + "/" + total + "] " + name);
    }

    /**
     * @return a listener that prints {@code [i/n] name} to standard output (the default)
     */
    static MergeProgressListener printing() {
        return printing(System.out);
    }

    /**
     * @return a listener that does nothing
     */
    static MergeProgressListener silent() {
        return (index, total, name) -> {};
    }
}
