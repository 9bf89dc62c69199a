package org.peft4j.examples.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.io.TensorDType;
import org.peft4j.core.io.TensorInfo;
import org.peft4j.lora.LoraConfig;
import org.peft4j.models.bert.BertCheckpoints;
import org.peft4j.models.bert.BertModel;
import org.peft4j.models.checkpoint.LoadOptions;
import org.peft4j.models.pretrained.PretrainedModels;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The export for {@code peft_interop.py quickstart}: the float16 encoder it writes, loaded back here
 * with the adapter, gives exactly the logits it wrote (so the Python side is compared against the
 * weights it actually receives), and those logits differ from the adapter-free model's.
 */
class PythonCheckExportTest {

    @Test
    void exportedHalfPrecisionEncoderAndAdapterReproduceTheExportedLogits(@TempDir Path tmp) throws IOException {
        Path adapter = tmp.resolve("adapter");
        try (NDManager manager = NDManager.newBaseManager()) {
            ai.djl.engine.Engine.getInstance().setRandomSeed(5);
            MeanPoolingClassifier model = new MeanPoolingClassifier(PretrainedModels.miniLmL6V2Encoder(manager), 2, manager);
            PeftModel peft = PeftModel.wrap(model, LoraConfig.builder().taskType("SEQ_CLS").r(2).loraAlpha(4)
                    .targetModules("query", "value").modulesToSave("classifier").build());
            for (AdapterHost h : peft.hosts()) {
                NDArray b = h.adapter("default").stateTensors().get("lora_B.weight").getArray();
                b.addi(manager.randomNormal(0f, 0.2f, b.getShape(), DataType.FLOAT32));
            }
            peft.save(adapter);
        }
        Path out = tmp.resolve("export");
        PythonCheckExport.main(new String[] {adapter.toString(), out.toString()});

        try (SafetensorsReader r = SafetensorsReader.open(out.resolve("base").resolve("model.safetensors"))) {
            assertEquals(101, r.tensors().size(), "the 101 tensors of all-MiniLM-L6-v2's encoder");
            for (TensorInfo t : r.tensors()) {
                assertEquals(TensorDType.F16, t.dtype(), t.name());
                assertTrue(t.name().startsWith("bert."), t.name());
            }
        }
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsReader io = SafetensorsReader.open(out.resolve("inputs_and_logits.safetensors"))) {
            // the half-precision file, widened to float32 on reading, is the base both sides use
            BertModel bert = BertCheckpoints.loadModel(out.resolve("base"), manager, LoadOptions.strict()).model();
            MeanPoolingClassifier model = new MeanPoolingClassifier(bert, 2, manager);
            NDList x = new NDList(io.load("input_ids", manager), io.load("attention_mask", manager), io.load("token_type_ids", manager));
            float[] exported = io.readFloats("logits");
            PeftModel peft = PeftModel.load(model, out.resolve("adapter"), false);
            float[] again = peft.block().forward(new ParameterStore(manager, false), x, false).head().toFloatArray();
            assertEquals(16 * 2, exported.length);
            long length = io.info("input_ids").shape()[1];
            assertTrue(length <= PythonCheckExport.MAX_LENGTH, "ids at the quickstart's length, got " + length);
            com.google.gson.JsonObject texts = com.google.gson.JsonParser.parseString(
                    java.nio.file.Files.readString(out.resolve("texts.json"))).getAsJsonObject();
            assertEquals(16, texts.getAsJsonArray("texts").size());
            assertEquals(PythonCheckExport.MAX_LENGTH, texts.get("max_length").getAsInt());
            assertTrue(java.nio.file.Files.size(out.resolve("tokenizer.json")) > 100_000, "the WordPiece tokenizer file");
            double same = 0;
            for (int i = 0; i < again.length; i++) {
                same = Math.max(same, Math.abs(again[i] - exported[i]));
            }
            // the same float32 computation on the same weights in the same process: equal to round-off
            assertTrue(same <= 1e-5, "exported logits differ from a reload of the export by " + same);
            float[] without;
            try (PeftModel.DisabledAdapters off = peft.disableAdapters()) {
                without = peft.block().forward(new ParameterStore(manager, false), x, false).head().toFloatArray();
            }
            double effect = 0;
            for (int i = 0; i < without.length; i++) {
                effect = Math.max(effect, Math.abs(without[i] - exported[i]));
            }
            assertTrue(effect > 1e-2, "the adapter changes the logits by only " + effect);
        }
    }
}
