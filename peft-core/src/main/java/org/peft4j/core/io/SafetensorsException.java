package org.peft4j.core.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file (or a sharded index) is malformed, inconsistent or unsupported. The message names the file and
 * the tensor key or header field at fault.
 */
public class SafetensorsException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The file at fault (not serialized: Path is not Serializable). */
    private final transient Path file;
    /** The tensor key or header field at fault, or null. */
    private final String key;

    /**
     * A problem with a whole file.
     *
     * @param file the file at fault
     * @param problem what is wrong
     */
    public SafetensorsException(Path file, String problem) {
        this(file, null, problem, null);
    }

    /**
     * A problem with one tensor key or header field of a file.
     *
     * @param file the file at fault
     * @param key the tensor key or header field at fault, or {@code null}
     * @param problem what is wrong
     */
    public SafetensorsException(Path file, String key, String problem) {
        this(file, key, problem, null);
    }

    /**
     * A problem with one tensor key or header field of a file, with its cause.
     *
     * @param file the file at fault
     * @param key the tensor key or header field at fault, or {@code null}
     * @param problem what is wrong
     * @param cause the underlying failure, or {@code null}
     */
    public SafetensorsException(Path file, String key, String problem, Throwable cause) {
        super(format(file, key, problem), cause);
        this.file = file;
        this.key = key;
    }

    /** @return the file at fault */
    public Path file() {
        return file;
    }

    /** @return the tensor key or header field at fault, or {@code null} when the whole file is at fault */
    public String key() {
        return key;
    }

    private static String format(Path file, String key, String problem) {
        StringBuilder message = new StringBuilder().append(file);
        if (key != null) {
            message.append(": '").append(abbreviate(key)).append('\'');
        }
        return message.append(": ").append(problem).toString();
    }

    /** Keys come from untrusted files: keep messages readable when a key is megabytes long. */
    static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...(" + text.length() + " chars)";
    }
}
