package org.peft4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The {@code bin/peft4j} commands, run in-process on PEFT's tiny-bert fixture. */
class CommandLineTest {

    private static Path fixture(String p) {
        try {
            return Path.of(CommandLineTest.class.getResource("/fixtures/" + p).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String[] run(int expectedStatus, String... args) {
        return CliRun.run(expectedStatus, args);
    }

    private static List<Double> flat(JsonElement e) {
        List<Double> out = new ArrayList<>();
        if (e.isJsonArray()) {
            e.getAsJsonArray().forEach(x -> out.addAll(flat(x)));
        } else {
            out.add(e.getAsDouble());
        }
        return out;
    }

    private static double maxDiff(JsonElement a, JsonElement b) {
        List<Double> x = flat(a);
        List<Double> y = flat(b);
        assertEquals(x.size(), y.size());
        double m = 0;
        for (int i = 0; i < x.size(); i++) {
            m = Math.max(m, Math.abs(x.get(i) - y.get(i)));
        }
        return m;
    }

    @Test
    void forwardWithPeftAdapterReproducesPeftOutputsUnmergedAndMerged(@TempDir Path tmp) throws IOException {
        JsonObject expected = JsonParser.parseString(Files.readString(fixture("tiny-bert/lora_qv/expected_outputs.json"))).getAsJsonObject();
        for (boolean merge : new boolean[] {false, true}) {
            Path out = tmp.resolve("out-" + merge + ".json");
            List<String> args = new ArrayList<>(List.of("forward", "--base", fixture("tiny-bert").toString(), "--adapter",
                    fixture("tiny-bert/lora_qv").toString(), "--input", fixture("tiny-bert/input.json").toString(), "--output", out.toString()));
            if (merge) {
                args.add("--merge");
            }
            run(0, args.toArray(new String[0]));
            JsonObject got = JsonParser.parseString(Files.readString(out)).getAsJsonObject();
            JsonObject want = expected.getAsJsonObject(merge ? "merged" : "peft");
            for (String k : List.of("logits", "last_hidden_state", "pooler_output")) {
                // float32 on both sides, summation order only (1e-4 as in the models' fixture tests)
                assertTrue(maxDiff(want.get(k), got.getAsJsonObject(k).get("data")) <= 1e-4, k + " merge=" + merge);
            }
        }
    }

    @Test
    void forwardWithoutAdapterGivesTheBaseOutputs(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("base.json");
        run(0, "forward", "--base", fixture("tiny-bert").toString(), "--input", fixture("tiny-bert/input.json").toString(), "--output", out.toString());
        JsonObject base = JsonParser.parseString(Files.readString(fixture("tiny-bert/base_outputs.json"))).getAsJsonObject();
        JsonObject got = JsonParser.parseString(Files.readString(out)).getAsJsonObject();
        assertTrue(maxDiff(base.get("last_hidden_state"), got.getAsJsonObject("last_hidden_state").get("data")) <= 1e-4);
        assertEquals("[3,9,32]", got.getAsJsonObject("last_hidden_state").get("shape").toString());
    }

    @Test
    void inspectSummarisesAPeftAdapterFolder() {
        String out = run(0, "inspect", fixture("tiny-bert/lora_qv").toString())[0];
        assertTrue(out.contains("method: LORA (task SEQ_CLS)"), out);
        assertTrue(out.contains("lora: alpha 8.0, init_lora_weights true\n"), out);
        assertTrue(out.contains("adapted layers: 4, ranks: [4]"), out);
        assertTrue(out.contains("tensors: 10"), out);
    }

    @Test
    void inspectOfAMalformedSafetensorsFileFailsWithOneLine(@TempDir Path tmp) throws IOException {
        byte[] good = Files.readAllBytes(fixture("tiny-bert/lora_qv/adapter_model.safetensors"));
        Path bad = tmp.resolve("bad.safetensors");
        Files.write(bad, java.util.Arrays.copyOf(good, good.length - 7));
        String[] r = run(1, "inspect", bad.toString());
        String err = r[1].strip();
        assertFalse(err.contains("\n"), "one line: " + err);
        assertTrue(err.startsWith("peft4j inspect: ") && err.contains("bad.safetensors"), err);
    }

    @Test
    void badOptionsExitWithStatusTwoAndOneLine() {
        String err = run(2, "finetune", "--method", "nope")[1].strip();
        assertTrue(err.contains("--method") && err.contains("allowed values: lora"), err);
        assertFalse(err.contains("\n"), err);
        String err2 = run(2, "finetune", "--dropout", "1.5")[1].strip();
        assertTrue(err2.contains("--dropout") && err2.contains("[0, 1)"), err2);
    }

    @Test
    void mergeRecipeAppliesTiesAsPeftsPublishedExample(@TempDir Path tmp) throws IOException {
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            org.peft4j.core.io.SafetensorsWriter.save(tmp.resolve("base.safetensors"), java.util.Map.of("w", m.zeros(new ai.djl.ndarray.types.Shape(4))), java.util.Map.of());
            org.peft4j.core.io.SafetensorsWriter.save(tmp.resolve("a.safetensors"), java.util.Map.of("w", m.create(new float[] {1, -2, 3, 0})), java.util.Map.of());
            org.peft4j.core.io.SafetensorsWriter.save(tmp.resolve("b.safetensors"), java.util.Map.of("w", m.create(new float[] {-1, -1, 1, 2})), java.util.Map.of());
        }
        Files.writeString(tmp.resolve("recipe.yaml"), "method: ties\nbase: base.safetensors\nmodels:\n  - {path: a.safetensors, weight: 1}\n"
                + "  - {path: b.safetensors, weight: 1}\ndensity: 1.0\noutput: out/merged.safetensors\n");
        run(0, "merge", tmp.resolve("recipe.yaml").toString());
        try (org.peft4j.core.io.SafetensorsReader r = org.peft4j.core.io.SafetensorsReader.open(tmp.resolve("out/merged.safetensors"))) {
            // PEFT's published TIES example (peft-semantics.md section 7.2)
            org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {1, -1.5f, 2, 2}, r.readFloats("w"));
        }
        Files.writeString(tmp.resolve("bad.yaml"), "method: ties\nbase: base.safetensors\nmodels: [{path: a.safetensors}]\ndensity: 1.5\noutput: x.safetensors\n");
        String err = run(2, "merge", tmp.resolve("bad.yaml").toString())[1].strip();
        assertTrue(err.contains("density") && err.contains("(0, 1]"), err);
    }

    @Test
    void quantizeWritesBitsandbytesLayoutAndDequantizesBack(@TempDir Path tmp) throws IOException {
        Path q = tmp.resolve("q.safetensors");
        run(0, "quantize", "--in", fixture("tiny-bert/model.safetensors").toString(), "--out", q.toString(), "--type", "nf4", "--double-quant", "--keep", "classifier.*");
        try (org.peft4j.core.io.SafetensorsReader r = org.peft4j.core.io.SafetensorsReader.open(q)) {
            String w = "bert.encoder.layer.0.attention.self.query.weight";
            assertTrue(r.contains(w + ".quant_state.bitsandbytes__nf4") && r.contains(w + ".nested_absmax") && r.contains(w + ".absmax"), r.names().toString());
            assertEquals("U8", r.info(w).dtype().fileName());
            assertFalse(r.contains("classifier.weight.absmax"), "--keep leaves the head as it is");
        }
        Path d = tmp.resolve("d.safetensors");
        run(0, "quantize", "--dequantize", "--in", q.toString(), "--out", d.toString());
        try (org.peft4j.core.io.SafetensorsReader orig = org.peft4j.core.io.SafetensorsReader.open(fixture("tiny-bert/model.safetensors"));
                org.peft4j.core.io.SafetensorsReader back = org.peft4j.core.io.SafetensorsReader.open(d)) {
            String w = "bert.encoder.layer.0.attention.self.query.weight";
            float[] a = orig.readFloats(w);
            float[] b = back.readFloats(w);
            double absmax = 0;
            double err = 0;
            for (int i = 0; i < a.length; i++) {
                absmax = Math.max(absmax, Math.abs(a[i]));
                err = Math.max(err, Math.abs(a[i] - b[i]));
            }
            // NF4's largest gap between neighbouring codes is 1 - 0.7230 = 0.277 of a block's absmax: the error is at most half of it
            assertTrue(err <= 0.139 * absmax + 1e-6, "max error " + err + " vs absmax " + absmax);
        }
        assertEquals(2, Peft4jCli.execute("quantize", "--in", q.toString(), "--out", d.toString(), "--blocksize", "100"));
    }
}
