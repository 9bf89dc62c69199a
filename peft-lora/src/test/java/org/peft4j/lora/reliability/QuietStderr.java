package org.peft4j.lora.reliability;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Discards {@code System.err} while open and counts the lines written to it. The config reader logs one warning per
 * file with unknown fields (slf4j-simple writes to the current {@code System.err}); a campaign of 100,000 mutated
 * configs would otherwise print tens of thousands of them.
 */
final class QuietStderr implements AutoCloseable {

    private final PrintStream original = System.err;
    private long lines;

    QuietStderr() {
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                if (b == '\n') {
                    lines++;
                }
            }
        }, true, StandardCharsets.UTF_8));
    }

    /** @return lines discarded so far */
    long lines() {
        return lines;
    }

    @Override
    public void close() {
        System.setErr(original);
    }
}
