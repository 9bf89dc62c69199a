package org.peft4j.examples.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code bin/peft4j} command line. Every failure is one line on standard error and a non-zero
 * exit status: 2 for bad options, 1 for a failure while running.
 */
@Command(
        name = "peft4j",
        mixinStandardHelpOptions = true,
        version = "peft4j 0.1.0-SNAPSHOT",
        description = "Parameter-efficient fine-tuning on the JVM.",
        subcommands = {
            FinetuneCommand.class,
            MergeCommand.class,
            ForwardCommand.class,
            InspectCommand.class,
            QuantizeCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Peft4jCli implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** {@inheritDoc} */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * Runs the command line.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /**
     * Runs the command line and returns the exit status (for tests).
     *
     * @param args the arguments
     * @return the exit status
     */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Peft4jCli());
        cl.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("peft4j " + ex.getCommandLine().getCommandName() + ": " + ex.getMessage().replace('\n', ' ')
                    + " (see --help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("peft4j " + commandLine.getCommandName() + ": " + oneLine(ex));
            if (Boolean.getBoolean("peft4j.debug")) {
                ex.printStackTrace(commandLine.getErr());
            }
            return ex instanceof UsageError ? 2 : 1;
        });
        return cl.execute(args);
    }

    static String oneLine(Throwable t) {
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            m = t.getClass().getSimpleName();
        }
        return m.replace('\n', ' ').replace('\r', ' ');
    }

    /** A bad option value found after parsing (exit status 2). */
    public static final class UsageError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /**
         * Creates the error.
         *
         * @param message names the option and the allowed values
         */
        public UsageError(String message) {
            super(message);
        }
    }
}
