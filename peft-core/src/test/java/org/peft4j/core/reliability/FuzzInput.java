package org.peft4j.core.reliability;

import java.nio.file.Path;

/**
 * One mutated input, already written to disk.
 *
 * @param label what was done to the valid input, enough to reproduce it with the seed and index
 * @param path the file (or folder) the reader under test opens
 * @param expected what the reader must do with it
 */
public record FuzzInput(String label, Path path, Expect expected) {

    /** What a reader must do with an input. */
    public enum Expect {
        /** The input breaks the format on purpose: acceptance is a defect. */
        REJECT,
        /** The input is valid (if unusual): rejection is a defect. */
        ACCEPT,
        /** A random mutation: either outcome may be right, but acceptance must give a valid result. */
        EITHER
    }

    /**
     * A random mutation.
     *
     * @param label what was done
     * @param path where it is
     * @return the input
     */
    public static FuzzInput either(String label, Path path) {
        return new FuzzInput(label, path, Expect.EITHER);
    }
}
