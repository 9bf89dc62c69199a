package org.peft4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs {@code bin/peft4j}'s entry point in-process for tests, capturing what it prints. */
final class CliRun {

    private CliRun() {}

    /**
     * Runs the CLI with standard output and error captured, and checks its exit status.
     *
     * @param expectedStatus the exit status the run must end with
     * @param args the command line
     * @return {@code {stdout, stderr}}
     */
    static String[] run(int expectedStatus, String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int status = Peft4jCli.execute(args);
            assertEquals(expectedStatus, status, "exit status of " + String.join(" ", args) + "; stderr: " + e);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new String[] {o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
    }
}
