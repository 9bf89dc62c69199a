package org.peft4j.examples.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.peft4j.examples.quickstart.Quickstart;
import org.peft4j.examples.quickstart.QuickstartOptions;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs every JShell notebook in examples/notebooks headless (jshell as a child process, with the
 * module's class path and {@code peft4j.notebook.tiny=true}, which shrinks data and step counts), so
 * the notebooks cannot rot. A notebook passes when it prints {@code NOTEBOOK OK} and no snippet
 * failed.
 */
class NotebooksTest {

    private static final Pattern FAILED_SNIPPET = Pattern.compile("(?m)^(\\|  )?(Exception |Error:|Caused by)");

    static Stream<Path> notebooks() throws IOException {
        Path dir = Path.of("notebooks");
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> all = s.filter(p -> p.toString().endsWith(".jsh")).sorted().toList();
            assertTrue(all.size() >= 4, "expected the four notebooks in " + dir.toAbsolutePath());
            return all.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("notebooks")
    void notebookRunsToTheEnd(Path notebook, @TempDir Path out) throws Exception {
        runNotebook(notebook, out);
    }

    /** Notebook 03 reads the adapter folder the quickstart writes (given with {@code peft4j.notebook.adapter}). */
    @Test
    void notebook03InspectsTheAdapterTheQuickstartWrites(@TempDir Path out) throws Exception {
        Path run = out.resolve("quickstart");
        QuickstartOptions o = new QuickstartOptions("lora", 4, 8, 0.1, List.of("query", "value"), 1, 1e-3f, 3e-3f, 16, 16,
                null, run, 42, 32, 32, "spam", List.of("ham", "spam"));
        new Quickstart(o, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
        String text = runNotebook(Path.of("notebooks", "03-inspect-peft-adapter.jsh"), out,
                "-R-Dpeft4j.notebook.adapter=" + run.resolve("adapter").toAbsolutePath());
        assertTrue(text.contains("LORA targets=[query, value]"), text);
        assertTrue(text.contains("base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight"), text);
        assertTrue(text.contains("[4, 384]"), "lora_A of rank 4 on MiniLM's 384-wide layers:\n" + text);
    }

    private static String runNotebook(Path notebook, Path out, String... extra) throws Exception {
        // jshell refuses class path entries that do not exist (an empty module has no classes folder)
        List<String> entries = new ArrayList<>(List.of(Path.of("target", "classes").toAbsolutePath().toString()));
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (Files.exists(Path.of(e))) {
                entries.add(e);
            }
        }
        String classPath = String.join(java.io.File.pathSeparator, entries);
        Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
        List<String> cmd = new ArrayList<>(List.of(jshell.toString(), "--class-path", classPath, "-R-Xss16m", "-R-Dai.djl.offline=true",
                "-R-Dpeft4j.notebook.tiny=true", "-R-Dpeft4j.notebook.output=" + out, "-R-Dpeft4j.notebook.data=" + Path.of("notebooks", "data").toAbsolutePath(),
                "-R-Dpeft4j.data.dir=" + Path.of("data").toAbsolutePath(), "-R-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-R-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error"));
        cmd.addAll(List.of(extra));
        cmd.add(notebook.toAbsolutePath().toString());
        Path log = out.resolve("jshell.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(5, TimeUnit.MINUTES);
        if (!done) {
            p.destroyForcibly();
        }
        String text = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(done, notebook + " did not finish in 5 minutes:\n" + text);
        assertEquals(0, p.exitValue(), text);
        // jshell reports a failed snippet and goes on: "Exception ...", "Error:" or "Caused by" at the start of a line
        // when it runs a file (as here), the same after "|  " in its interactive feedback mode; none may occur
        assertFalse(FAILED_SNIPPET.matcher(text).find(), notebook + ":\n" + text);
        assertTrue(text.contains("NOTEBOOK OK"), notebook + " did not reach its end:\n" + text);
        return text;
    }
}
