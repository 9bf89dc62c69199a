package org.peft4j.core.io;

import java.io.IOException;

/**
 * A consumer that may throw {@link IOException}, used for bodies that write into a stream.
 *
 * @param <T> the consumed type
 */
@FunctionalInterface
public interface IOConsumer<T> {

    /**
     * Consumes {@code value}.
     *
     * @param value the value
     * @throws IOException if writing fails
     */
    void accept(T value) throws IOException;
}
