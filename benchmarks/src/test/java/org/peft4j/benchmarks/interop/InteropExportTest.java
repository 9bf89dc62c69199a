package org.peft4j.benchmarks.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.io.SafetensorsReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The export that {@code benchmarks/python/peft_interop.py check} reads: every case of the manifest
 * has its base, adapter, merged model and outputs, and the adapter visibly changes the outputs (else
 * the cross-check in transformers + PEFT could pass on a no-op adapter).
 */
class InteropExportTest {

    private static final Path TINY_BERT = Path.of("../peft-models/src/test/resources/fixtures/tiny-bert");

    @Test
    void writesEveryCaseWithAVisibleAdapter(@TempDir Path out) throws IOException {
        InteropExport.main(new String[] {out.toString(), TINY_BERT.toString()});
        JsonObject manifest = JsonParser.parseString(Files.readString(out.resolve("manifest.json"))).getAsJsonObject();
        List<String> names = new ArrayList<>();
        for (JsonElement e : manifest.getAsJsonArray("cases")) {
            JsonObject c = e.getAsJsonObject();
            String name = c.get("name").getAsString();
            names.add(name);
            assertTrue(Files.isRegularFile(out.resolve(c.get("base").getAsString()).resolve("config.json")), name + ": base");
            assertTrue(Files.isRegularFile(out.resolve(c.get("adapter").getAsString()).resolve("adapter_config.json")), name + ": adapter");
            assertTrue(Files.isRegularFile(out.resolve(c.get("merged_model").getAsString()).resolve("model.safetensors")), name + ": merged");
            try (SafetensorsReader r = SafetensorsReader.open(out.resolve(c.get("outputs").getAsString()))) {
                String output = c.get("kind").getAsString().equals("bert") ? "last_hidden_state" : "logits";
                float[] base = r.readFloats("base." + output);
                float[] peft = r.readFloats("peft." + output);
                float[] merged = r.readFloats("merged." + output);
                double effect = 0;
                double mergeGap = 0;
                for (int i = 0; i < base.length; i++) {
                    effect = Math.max(effect, Math.abs(peft[i] - base[i]));
                    mergeGap = Math.max(mergeGap, Math.abs(peft[i] - merged[i]));
                }
                assertTrue(effect > 1e-2, name + ": the adapter moves " + output + " by only " + effect);
                // merging changes only the summation order: float32 round-off of outputs of order 1-10
                assertTrue(mergeGap < 1e-4, name + ": merged differs from unmerged by " + mergeGap);
                // the training loss and a gradient for every trainable tensor, not all zero
                assertTrue(r.contains("loss") && Float.isFinite(r.readFloats("loss")[0]), name + ": loss");
                long grads = r.names().stream().filter(k -> k.startsWith("grad.")).count();
                assertTrue(grads >= 4, name + ": " + grads + " gradients");
                for (String k : r.names()) {
                    if (k.startsWith("grad.") && k.contains("lora_B")) {
                        float largest = 0;
                        for (float g : r.readFloats(k)) {
                            largest = Math.max(largest, Math.abs(g));
                        }
                        assertTrue(largest > 0, name + ": " + k + " is all zero");
                    }
                }
            }
        }
        assertClassifierGradientIsSoftmaxMinusOneHot(out.resolve("bert_lora_qv_classifier").resolve("outputs.safetensors"));
        try (SafetensorsReader r = SafetensorsReader.open(out.resolve("bert_dora").resolve("outputs.safetensors"))) {
            // named as PEFT names the saved tensor, which peft_interop.py check --gradients pairs with PEFT's parameter
            assertTrue(r.contains("grad.bert.encoder.layer.0.attention.self.query.lora_magnitude_vector"), r.names().toString());
            assertTrue(r.contains("grad.bert.encoder.layer.0.attention.self.query.lora_A.weight"), r.names().toString());
        }
        // EVA's case carries the ranks it moved, as PEFT writes them, for PEFT to build the layers from
        com.google.gson.JsonObject eva = com.google.gson.JsonParser.parseString(
                Files.readString(out.resolve("bert_eva").resolve("adapter").resolve("adapter_config.json"))).getAsJsonObject();
        assertEquals("eva", eva.get("init_lora_weights").getAsString());
        assertTrue(eva.has("eva_config") && eva.getAsJsonObject("rank_pattern").size() > 0, eva.toString());
        assertEquals(List.of("bert_lora_qv_classifier", "bert_lora_rslora_patterns_bias", "bert_lora_layers_to_transform",
                "bert_pissa", "bert_cat_combination", "bert_dora", "bert_eva", "llama_lora_all_linear", "llama31_tied_lora_qv", "mistral_window4_lora_all_linear", "qwen2_tied_lora_qv"), names);
    }

    /**
     * For the mean cross-entropy of logits {@code z = W h + b} against labels y, the loss is
     * {@code -mean_i log softmax(z_i)[y_i]} and its gradient with respect to the classifier bias is
     * {@code mean_i (softmax(z_i) - onehot(y_i))}: both follow from the exported logits alone, so they
     * check the exported loss and the backward pass independently of the autograd that made them.
     */
    private static void assertClassifierGradientIsSoftmaxMinusOneHot(Path outputs) throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(outputs)) {
            float[] z = r.readFloats("peft.logits");
            int classes = 3;
            int rows = z.length / classes;
            double loss = 0;
            double[] grad = new double[classes];
            for (int i = 0; i < rows; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) {
                    max = Math.max(max, z[i * classes + c]);
                }
                double sum = 0;
                for (int c = 0; c < classes; c++) {
                    sum += Math.exp(z[i * classes + c] - max);
                }
                for (int c = 0; c < classes; c++) {
                    double p = Math.exp(z[i * classes + c] - max) / sum;
                    grad[c] += (p - (c == i ? 1 : 0)) / rows; // labels 0, 1, 2
                    if (c == i) {
                        loss -= Math.log(p) / rows;
                    }
                }
            }
            assertEquals(loss, r.readFloats("loss")[0], 1e-6, "loss");
            float[] exported = r.readFloats("grad.classifier.modules_to_save.bias");
            for (int c = 0; c < classes; c++) {
                // float32 softmax of logits of order 0.1: round-off ~1e-8
                assertEquals(grad[c], exported[c], 1e-6, "d loss / d bias[" + c + "]");
            }
        }
    }
}
