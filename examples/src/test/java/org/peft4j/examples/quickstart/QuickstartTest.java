package org.peft4j.examples.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.examples.data.DataFormatException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The quickstart on a small slice of the bundled corpus (32 training emails, 16 tokens). */
class QuickstartTest {

    private static QuickstartOptions small(Path out, Path data) {
        return new QuickstartOptions("lora", 4, 8, 0.1, List.of("query", "value"), 1, 1e-3f, 3e-3f, 16, 16, data, out, 42, 32, 32, "spam", List.of("ham", "spam"));
    }

    private static QuickstartResult run(QuickstartOptions o) throws IOException {
        return new Quickstart(o, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
    }

    @Test
    void sameSeedGivesTheSameMetricsAndWritesEveryOutput(@TempDir Path tmp) throws IOException {
        QuickstartResult a = run(small(tmp.resolve("a"), null));
        QuickstartResult b = run(small(tmp.resolve("b"), null));
        // the whole run is seeded (engine RNG, shuffling, dropout); CPU float32 kernels are deterministic here
        assertEquals(a.adapted().accuracy(), b.adapted().accuracy(), 1e-6);
        assertEquals(a.adapted().meanLoss(), b.adapted().meanLoss(), 1e-6);
        assertEquals(a.headOnly().meanLoss(), b.headOnly().meanLoss(), 1e-6);
        for (int i = 0; i < a.adaptedHistory().steps().size(); i++) {
            assertEquals(a.adaptedHistory().steps().get(i).loss(), b.adaptedHistory().steps().get(i).loss(), 1e-6, "step " + i);
        }
        for (String f : List.of("adapter/adapter_config.json", "adapter/adapter_model.safetensors", "merged-model/config.json",
                "merged-model/model.safetensors", "metrics.json", "training.png")) {
            assertTrue(Files.isRegularFile(tmp.resolve("a").resolve(f)), f);
        }
        assertTrue(a.adaptedTrainable().trainable() > a.headOnlyTrainable().trainable());
    }

    @Test
    void malformedDataNamesFileAndLineAndWritesNothing(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("out");
        String[][] cases = {
            {"{\"text\":\"hello\",\"label\":\"ham\"}\n{\"text\":\"win money\"}\n", ":2:", "label"},
            {"{\"text\":\"hello\",\"label\":\"ham\"}\n{\"text\":\"\",\"label\":\"spam\"}\n", ":2:", "empty"},
            {"{\"text\":\"hello\",\"label\":\"ham\"}\n{\"text\":\"x\",\"label\":\"eggs\"}\n{\"text\":\"y\",\"label\":\"spam\"}\n", ":2:", "eggs"},
        };
        for (String[] c : cases) {
            Path data = tmp.resolve("bad.jsonl");
            Files.writeString(data, c[0]);
            Exception e = assertThrows(Exception.class, () -> run(small(out, data)));
            assertTrue(e.getMessage().contains("bad.jsonl" + c[1]) && e.getMessage().contains(c[2]), e.getMessage());
            assertFalse(Files.exists(out), "nothing may be written for bad data");
        }
        Path latin1 = tmp.resolve("latin1.jsonl");
        Files.write(latin1, "{\"text\":\"caf\u00e9\",\"label\":\"ham\"}\n".getBytes(StandardCharsets.ISO_8859_1));
        DataFormatException e = assertThrows(DataFormatException.class, () -> run(small(out, latin1)));
        assertTrue(e.getMessage().contains("latin1.jsonl:1:") && e.getMessage().contains("UTF-8"), e.getMessage());
        assertFalse(Files.exists(out));
    }
}
