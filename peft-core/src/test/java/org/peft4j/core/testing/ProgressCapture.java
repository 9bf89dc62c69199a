package org.peft4j.core.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs work with a given {@code peft4j.progressAfterMs} and returns what it printed on standard output. */
public final class ProgressCapture {

    private static final String PROPERTY = "peft4j.progressAfterMs";

    private ProgressCapture() {}

    /**
     * Runs {@code work} with the property set (or cleared, for {@code null}) and {@code System.out} captured;
     * both are restored afterwards.
     *
     * @param afterMs the property's value, or {@code null} for the default
     * @param work what to run
     * @return the captured output
     */
    public static String printed(String afterMs, Runnable work) {
        String oldProperty = System.getProperty(PROPERTY);
        PrintStream oldOut = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try {
            if (afterMs == null) {
                System.clearProperty(PROPERTY);
            } else {
                System.setProperty(PROPERTY, afterMs);
            }
            System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
            work.run();
        } finally {
            System.setOut(oldOut);
            if (oldProperty == null) {
                System.clearProperty(PROPERTY);
            } else {
                System.setProperty(PROPERTY, oldProperty);
            }
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }
}
