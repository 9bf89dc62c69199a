package org.peft4j.core.reliability;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file format whose reader is fuzzed: it makes the {@code index}-th mutated input for a seed (the same pair always
 * gives the same bytes, so any failure is reproducible from the two numbers) and checks what the reader makes of it.
 */
public interface FuzzFormat {

    /** @return a short name for tables, e.g. {@code safetensors} */
    String name();

    /**
     * Writes the fixed files that every input of this format refers to (shards, decoys outside the folder).
     *
     * @param work an empty folder owned by the campaign
     * @throws IOException if writing fails
     */
    void prepare(Path work) throws IOException;

    /**
     * Writes the {@code index}-th input for {@code seed} into {@code work}, replacing the previous one.
     *
     * @param seed the campaign seed
     * @param index the case number, from 0
     * @param work the folder given to {@link #prepare}
     * @return the input
     * @throws IOException if writing fails
     */
    FuzzInput input(long seed, int index, Path work) throws IOException;

    /**
     * Runs the reader on one input. Returns normally when the reader accepted it and the result passed every
     * check of a valid result; throws the reader's {@link IOException} when it rejected the input; throws an
     * {@link AssertionError} when it accepted something invalid.
     *
     * @param input the input
     * @throws Exception whatever the reader throws
     */
    void check(FuzzInput input) throws Exception;
}
