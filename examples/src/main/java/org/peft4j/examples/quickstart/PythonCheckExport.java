package org.peft4j.examples.quickstart;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

import org.peft4j.core.PeftModel;
import org.peft4j.core.io.AtomicFiles;
import org.peft4j.core.io.SafetensorsWriter;
import org.peft4j.core.io.TensorDType;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.examples.data.BundledData;
import org.peft4j.examples.data.LabelledText;
import org.peft4j.examples.data.LabelledTextSet;
import org.peft4j.models.bert.BertModel;
import org.peft4j.models.pretrained.PretrainedModels;
import org.peft4j.models.tokenize.TextTokenizer;
import org.peft4j.models.tokenize.TokenizedBatch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes what {@code benchmarks/python/peft_interop.py quickstart} needs to run a quickstart adapter
 * in Hugging Face transformers + PEFT and compare with peft4j: the MiniLM encoder as a Hugging Face
 * checkpoint in float16 (half the size, so that it travels; peft4j's reference outputs are computed
 * on the same float16-rounded weights, so both sides start from identical numbers), a copy of the
 * adapter, 16 test e-mails (texts, tokenizer file, peft4j's token ids at the quickstart's 64 tokens)
 * and peft4j's logits for them. Usage: {@code PythonCheckExport
 * ADAPTER_DIR OUT_DIR} (ADAPTER_DIR e.g. {@code output/quickstart/adapter}, a LoRA adapter on the
 * quickstart's mean-pooling classifier).
 */
public final class PythonCheckExport {

    /** Tokens per e-mail: the quickstart's default {@code --max-length}. */
    static final int MAX_LENGTH = 64;

    private PythonCheckExport() {}

    /**
     * Runs the export.
     *
     * @param args {@code ADAPTER_DIR OUT_DIR}
     * @throws IOException if a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: PythonCheckExport ADAPTER_DIR OUT_DIR");
            System.exit(2);
        }
        Path adapter = Path.of(args[0]);
        Path out = Path.of(args[1]);
        if (!Files.isRegularFile(adapter.resolve("adapter_config.json"))) {
            throw new IllegalArgumentException(adapter + ": no adapter_config.json (expected e.g. output/quickstart/adapter)");
        }
        Files.createDirectories(out.resolve("base"));
        Files.createDirectories(out.resolve("adapter"));
        for (String f : List.of("adapter_config.json", "adapter_model.safetensors")) {
            Files.copy(adapter.resolve(f), out.resolve("adapter").resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        LabelledTextSet test = BundledData.spamAssassin().stratifiedSplit(0.7, 0.1, 42).test().stratifiedSample(16, 42);
        List<String> textList = new ArrayList<>();
        for (LabelledText t : test.items()) {
            textList.add(t.text());
        }
        try (NDManager manager = NDManager.newBaseManager();
                TextTokenizer tokenizer = PretrainedModels.miniLmL6V2Tokenizer(MAX_LENGTH, TextTokenizer.Padding.LONGEST)) {
            BertModel bert = PretrainedModels.miniLmL6V2Encoder(manager);
            Map<String, Parameter> params = BlockPaths.parameters(bert);
            SafetensorsWriter.Builder b = SafetensorsWriter.builder().metadata(Map.of("format", "pt"));
            Map<String, NDArray> half = new LinkedHashMap<>();
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                NDArray h = e.getValue().getArray().toType(DataType.FLOAT16, true);
                // the same float16-rounded weights on both sides
                e.getValue().getArray().set(h.toType(DataType.FLOAT32, true).toFloatArray());
                half.put("bert." + e.getKey(), h);
                b.add("bert." + e.getKey(), TensorDType.F16, h.getShape().getShape());
            }
            try (SafetensorsWriter w = b.open(out.resolve("base").resolve("model.safetensors"))) {
                for (Map.Entry<String, NDArray> e : half.entrySet()) {
                    w.write(e.getKey(), e.getValue());
                }
                w.commit();
            }
            AtomicFiles.writeString(out.resolve("base").resolve("config.json"), PretrainedModels.miniLmL6V2Config().toJson("BertModel"));
            MeanPoolingClassifier model = new MeanPoolingClassifier(bert, 2, manager);
            PeftModel peft = PeftModel.load(model, adapter, false);
            TokenizedBatch batch = tokenizer.encode(textList, manager);
            NDArray logits = peft.block().forward(new ParameterStore(manager, false), batch.toNDList(), false).head();
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            tensors.put("input_ids", batch.inputIds());
            tensors.put("attention_mask", batch.attentionMask());
            tensors.put("token_type_ids", batch.tokenTypeIds());
            tensors.put("logits", logits);
            SafetensorsWriter.save(out.resolve("inputs_and_logits.safetensors"), tensors, Map.of("format", "pt"));
            StringBuilder labels = new StringBuilder();
            for (LabelledText t : test.items()) {
                labels.append(t.label()).append('\n');
            }
            AtomicFiles.writeString(out.resolve("labels.txt"), labels.toString());
            // the texts and the tokenizer file, so that the Python side can tokenize them itself and compare the ids
            com.google.gson.JsonObject texts = new com.google.gson.JsonObject();
            texts.addProperty("max_length", MAX_LENGTH);
            texts.add("texts", new com.google.gson.Gson().toJsonTree(textList));
            AtomicFiles.writeString(out.resolve("texts.json"), texts.toString());
            try (java.io.InputStream in = PythonCheckExport.class.getClassLoader().getResourceAsStream(PretrainedModels.MINILM_L6_V2_TOKENIZER)) {
                if (in == null) {
                    throw new IOException("classpath resource " + PretrainedModels.MINILM_L6_V2_TOKENIZER + " not found");
                }
                AtomicFiles.writeBytes(out.resolve("tokenizer.json"), in.readAllBytes());
            }
            System.out.println("wrote " + out + ": " + textList.size() + " e-mails, " + params.size() + " encoder tensors (float16), logits "
                    + logits.getShape());
        }
    }
}
