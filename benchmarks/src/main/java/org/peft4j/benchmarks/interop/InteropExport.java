package org.peft4j.benchmarks.interop;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.translate.Batchifier;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.adapter.ModulesToSaveHost;
import org.peft4j.core.io.AtomicFiles;
import org.peft4j.core.io.SafetensorsWriter;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.lora.LoraConfig;
import org.peft4j.lora.LoraInit;
import org.peft4j.lora.eva.EvaInitializer;
import org.peft4j.merge.lora.AdapterCombination;
import org.peft4j.merge.lora.CombinationType;
import org.peft4j.models.bert.BertCheckpoints;
import org.peft4j.models.bert.BertForSequenceClassification;
import org.peft4j.models.checkpoint.LoadOptions;
import org.peft4j.models.llama.LlamaCheckpoints;
import org.peft4j.models.llama.LlamaConfig;
import org.peft4j.models.llama.LlamaForCausalLM;
import org.peft4j.models.llama.RopeScaling;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes adapters, merged models and a Llama checkpoint made here, each with the outputs computed
 * here, so that {@code benchmarks/python/peft_interop.py check} can load them in Hugging Face
 * transformers and PEFT and compare. Usage: {@code InteropExport OUT_DIR [TINY_BERT_DIR]}; the
 * tiny BERT defaults to the test fixture {@code peft-models/src/test/resources/fixtures/tiny-bert}
 * (made by transformers). {@code OUT_DIR/manifest.json} lists the cases.
 *
 * <p>Output keys in {@code outputs.safetensors}: {@code <stage>.<output>} with stage {@code base},
 * {@code peft} (adapter active, unmerged) or {@code merged} ({@code mergeAndUnload}), output {@code
 * logits}, {@code last_hidden_state}, {@code pooler_output} (BERT) or {@code logits} (Llama).
 */
public final class InteropExport {

    private final Path out;
    private final Path tinyBert;
    private final NDManager manager;
    private final JsonArray cases = new JsonArray();

    private InteropExport(Path out, Path tinyBert, NDManager manager) {
        this.out = out;
        this.tinyBert = tinyBert;
        this.manager = manager;
    }

    /**
     * Runs the export.
     *
     * @param args {@code OUT_DIR [TINY_BERT_DIR]}
     * @throws IOException if a file cannot be written
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: InteropExport OUT_DIR [TINY_BERT_DIR]");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        Path tinyBert = Path.of(args.length > 1 ? args[1] : "peft-models/src/test/resources/fixtures/tiny-bert");
        if (!Files.isRegularFile(tinyBert.resolve("config.json"))) {
            throw new IllegalArgumentException(tinyBert + ": no config.json (expected the tiny-bert fixture folder)");
        }
        Files.createDirectories(out);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            InteropExport e = new InteropExport(out, tinyBert, manager);
            e.bertCases();
            e.llamaCases();
            JsonObject manifest = new JsonObject();
            manifest.addProperty("input_bert", "bert-input.json");
            manifest.addProperty("input_llama", "llama-input.json");
            manifest.add("cases", e.cases);
            AtomicFiles.writeString(out.resolve("manifest.json"), new GsonBuilder().setPrettyPrinting().create().toJson(manifest));
        }
        System.out.println("wrote " + out.resolve("manifest.json"));
    }

    // ---------------------------------------------------------------- BERT

    private BertForSequenceClassification bert() {
        return BertCheckpoints.loadForSequenceClassification(tinyBert, manager, LoadOptions.strict()).model();
    }

    private NDList bertInput(NDManager m) throws IOException {
        JsonObject in = JsonParser.parseString(Files.readString(tinyBert.resolve("input.json"), StandardCharsets.UTF_8)).getAsJsonObject();
        return new NDList(longs(m, in, "input_ids"), longs(m, in, "attention_mask"), longs(m, in, "token_type_ids"));
    }

    private static NDArray longs(NDManager m, JsonObject in, String key) {
        JsonArray rows = in.getAsJsonArray(key);
        int b = rows.size();
        int t = rows.get(0).getAsJsonArray().size();
        long[] flat = new long[b * t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                flat[i * t + j] = rows.get(i).getAsJsonArray().get(j).getAsLong();
            }
        }
        return m.create(flat, new Shape(b, t));
    }

    private void bertCases() throws IOException {
        Files.copy(tinyBert.resolve("input.json"), out.resolve("bert-input.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path base = out.resolve("tiny-bert");
        Files.createDirectories(base);
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(tinyBert.resolve(f), base.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }

        // 1. LoRA on query/value with a trained classifier copy (modules_to_save)
        Engine.getInstance().setRandomSeed(101);
        PeftModel qv = PeftModel.wrap(bert(), LoraConfig.builder().taskType("SEQ_CLS").r(4).loraAlpha(8)
                .targetModules("query", "value").modulesToSave("classifier").baseModelNameOrPath("tiny-bert").build());
        perturb(qv, 0.05f);
        bertCase("bert_lora_qv_classifier", qv, "plain LoRA r=4 alpha=8 on query/value, classifier in modules_to_save");

        // 2. rsLoRA with rank and alpha patterns, lora_bias, every Linear of the encoder and the pooler
        Engine.getInstance().setRandomSeed(102);
        PeftModel patterns = PeftModel.wrap(bert(), LoraConfig.builder().taskType("SEQ_CLS").r(4).loraAlpha(8).useRslora(true)
                .targetModules("query", "key", "value", "dense").rankPattern("key", 2).rankPattern("intermediate.dense", 6)
                .alphaPattern("value", 3).loraBias(true).baseModelNameOrPath("tiny-bert").build());
        perturb(patterns, 0.05f);
        bertCase("bert_lora_rslora_patterns_bias", patterns,
                "rsLoRA r=4 alpha=8, rank_pattern {key: 2, intermediate.dense: 6}, alpha_pattern {value: 3}, lora_bias, "
                        + "targets query/key/value/dense (dense includes bert.pooler.dense)");

        // 3. layers_to_transform / layers_pattern
        Engine.getInstance().setRandomSeed(103);
        PeftModel layers = PeftModel.wrap(bert(), LoraConfig.builder().taskType("SEQ_CLS").r(2).loraAlpha(4)
                .targetModules("query", "value", "dense").layersToTransform(1).layersPattern("layer").baseModelNameOrPath("tiny-bert").build());
        perturb(layers, 0.05f);
        bertCase("bert_lora_layers_to_transform", layers, "LoRA r=2 on query/value/dense of layer 1 only (layers_pattern 'layer')");

        // 4. PiSSA (exact SVD): PEFT re-runs the initialisation on the original base when it loads the folder
        Engine.getInstance().setRandomSeed(104);
        PeftModel pissa = PeftModel.wrap(bert(), LoraConfig.builder().taskType("SEQ_CLS").r(4).loraAlpha(8)
                .targetModules("query", "value", "intermediate.dense").initLoraWeights(LoraInit.PISSA).baseModelNameOrPath("tiny-bert").build());
        NDList x = bertInput(manager);
        NDList atInit = forward(pissa.block(), x);
        NDList plain = forward(bert(), x);
        double initDiff = maxAbsDiff(atInit.get("last_hidden_state"), plain.get("last_hidden_state"));
        System.out.println("PiSSA at init vs base: max |diff| last_hidden_state " + initDiff);
        perturbA(pissa, 0.05f);
        bertCase("bert_pissa", pissa, "PiSSA r=4 alpha=8 on query/value/intermediate.dense (exact SVD), A and B moved after init");

        // 5. cat combination of two adapters of different rank (a normal LoRA adapter with scaling 1)
        Engine.getInstance().setRandomSeed(105);
        PeftModel combo = PeftModel.wrap(bert(), "a", LoraConfig.builder().r(4).loraAlpha(8)
                .targetModules("query", "value").build());
        combo.addAdapter("c", LoraConfig.builder().r(2).loraAlpha(2).targetModules("query", "value").build());
        perturbAll(combo, 0.05f);
        AdapterCombination.builder(CombinationType.CAT).weights(0.7, -1.3).build().addWeightedAdapter(combo, List.of("a", "c"), "default");
        combo.setActiveAdapters("default");
        combo.deleteAdapter("a");
        combo.deleteAdapter("c");
        bertCase("bert_cat_combination", combo, "add_weighted_adapter cat of r=4 and r=2 adapters (no task_type, so no modules_to_save), weights [0.7, -1.3]");

        // 6. DoRA: A, B and the magnitude all moved, so the magnitude no longer equals ‖W + s·B·A‖
        Engine.getInstance().setRandomSeed(106);
        PeftModel dora = PeftModel.wrap(bert(), LoraConfig.builder().taskType("SEQ_CLS").r(4).loraAlpha(8).useDora(true)
                .targetModules("query", "value", "intermediate.dense").baseModelNameOrPath("tiny-bert").build());
        perturbA(dora, 0.05f);
        bertCase("bert_dora", dora, "DoRA (use_dora) r=4 alpha=8 on query/value/intermediate.dense, A, B and lora_magnitude_vector moved");

        // 7. EVA: lora_A from the principal directions of the layer inputs on the three input sentences (padding left
        // out), ranks redistributed and written to rank_pattern / alpha_pattern; then A and B moved
        Engine.getInstance().setRandomSeed(107);
        LoraConfig evaConfig = LoraConfig.builder().taskType("SEQ_CLS").r(4).loraAlpha(8).targetModules("query", "value", "intermediate.dense", "output.dense")
                .initLoraWeights(LoraInit.EVA).baseModelNameOrPath("tiny-bert").build();
        Iterable<Batch> evaBatches = () -> {
            NDManager bm = manager.newSubManager(); // closed with its batch
            try {
                return List.of(new Batch(bm, bertInput(bm), new NDList(), 3, Batchifier.STACK, Batchifier.STACK, 0, 0)).iterator();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        PeftModel eva = EvaInitializer.wrap(bert(), PeftModel.DEFAULT_ADAPTER, evaConfig, evaBatches, EvaInitializer.Options.defaults().withProgress(null));
        String ranks = ((LoraConfig) eva.config(PeftModel.DEFAULT_ADAPTER)).evaResult().ranks().values().toString();
        perturbA(eva, 0.05f);
        bertCase("bert_eva", eva, "EVA (init_lora_weights eva, rho 2) r=4 alpha=8 on query/value/intermediate.dense/output.dense"
                + " (attention's and the block's), ranks " + ranks + " (rank_pattern, alpha_pattern), A and B moved");
    }

    private void bertCase(String name, PeftModel peft, String what) throws IOException {
        Path dir = out.resolve(name);
        Files.createDirectories(dir);
        try (NDManager m = manager.newSubManager()) {
            NDList x = bertInput(m);
            // the training loss: mean cross-entropy of the three rows against labels 0, 1, 2
            NDArray oneHot = m.create(new int[] {0, 1, 2}).oneHot(3);
            Loss loss = new Loss(x, out -> out.get("logits").logSoftmax(1).mul(oneHot).sum().neg().div(3f));
            writeCase(dir, x, forward(bert(), x), peft, loss, (d, merged) -> BertCheckpoints.save(d, (BertForSequenceClassification) merged), m);
        }
        addCase(name, "bert", "tiny-bert", what);
    }

    /** Saves a merged model in its Hugging Face layout. */
    private interface MergedSaver {
        void save(Path dir, Block merged) throws IOException;
    }

    /** A training loss: the inputs of the forward pass and the scalar computed from its outputs. */
    private record Loss(NDList inputs, java.util.function.Function<NDList, NDArray> of) {}

    /**
     * Writes the adapter, the merged model and the base / adapter / merged outputs of one case, and
     * the loss and the gradient of every trainable tensor ({@code loss}, {@code grad.<path>} with
     * the adapter name left out, e.g. {@code grad.bert.encoder.layer.0.attention.self.query.lora_A.weight}),
     * from a forward pass without dropout.
     */
    private static void writeCase(Path dir, NDList x, NDList baseOutputs, PeftModel peft, Loss loss, MergedSaver saver, NDManager m)
            throws IOException {
        Map<String, NDArray> outputs = new LinkedHashMap<>();
        put(outputs, "base", baseOutputs);
        put(outputs, "peft", forward(peft.block(), x));
        outputs.putAll(gradients(peft.block(), loss, m));
        peft.save(dir.resolve("adapter"));
        Block merged = peft.mergeAndUnload(true);
        put(outputs, "merged", forward(merged, x));
        saver.save(dir.resolve("merged-model"), merged);
        for (NDArray a : outputs.values()) {
            a.attach(m);
        }
        SafetensorsWriter.save(dir.resolve("outputs.safetensors"), outputs, Map.of("format", "pt"));
    }

    private static Map<String, NDArray> gradients(Block model, Loss loss, NDManager m) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        Map<String, Parameter> trainable = new java.util.TreeMap<>();
        BlockPaths.parameters(model).forEach((k, p) -> {
            if (p.requiresGradient()) {
                trainable.put(k, p);
            }
        });
        try (ai.djl.training.GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray l = loss.of().apply(model.forward(new ParameterStore(m, false), loss.inputs(), false));
            collector.backward(l);
            out.put("loss", l.duplicate().reshape(1));
        }
        for (Map.Entry<String, Parameter> e : trainable.entrySet()) {
            NDArray g = e.getValue().getArray().getGradient();
            out.put("grad." + e.getKey().replace(".default.", "."), g.duplicate());
            g.subi(g); // the collector does not zero gradients
        }
        return out;
    }

    private static NDList forward(Block model, NDList x) {
        return model.forward(new ParameterStore(x.head().getManager(), false), x, false);
    }

    private static void put(Map<String, NDArray> m, String stage, NDList outputs) {
        for (NDArray a : outputs) {
            m.put(stage + "." + a.getName(), a);
        }
    }

    /** Moves every adapter tensor (B, and a LoRA bias) and every modules_to_save copy away from its start. */
    private void perturb(PeftModel peft, float std) {
        for (AdapterHost h : peft.hosts()) {
            for (Map.Entry<String, Parameter> e : h.adapter("default").stateTensors().entrySet()) {
                if (e.getKey().startsWith("lora_B")) {
                    NDArray a = e.getValue().getArray();
                    a.addi(manager.randomNormal(0f, std, a.getShape(), DataType.FLOAT32));
                }
            }
        }
        for (ModulesToSaveHost s : peft.saveHosts()) {
            for (Parameter p : s.copyParameters("default").values()) {
                p.getArray().addi(manager.randomNormal(0f, std, p.getArray().getShape(), DataType.FLOAT32));
            }
        }
    }

    private void perturbA(PeftModel peft, float std) {
        for (AdapterHost h : peft.hosts()) {
            for (Parameter p : h.adapter("default").stateTensors().values()) {
                NDArray a = p.getArray();
                a.addi(manager.randomNormal(0f, std, a.getShape(), DataType.FLOAT32));
            }
        }
    }

    private void perturbAll(PeftModel peft, float std) {
        for (AdapterHost h : peft.hosts()) {
            for (String adapter : h.adapters().keySet()) {
                NDArray b = h.adapter(adapter).stateTensors().get("lora_B.weight").getArray();
                b.addi(manager.randomNormal(0f, std, b.getShape(), DataType.FLOAT32));
            }
        }
    }

    private static double maxAbsDiff(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }

    // ---------------------------------------------------------------- Llama

    private void llamaCases() throws IOException {
        long[][] rows = {{1, 17, 33, 8, 41, 5, 60, 12, 3}, {1, 9, 22, 51, 3, 7, 0, 0, 0}};
        long[][] mask = {{1, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 0, 0, 0}};
        JsonObject in = new JsonObject();
        in.add("input_ids", new com.google.gson.Gson().toJsonTree(rows));
        in.add("attention_mask", new com.google.gson.Gson().toJsonTree(mask));
        in.addProperty("note", "right-padded; compare positions where attention_mask is 1");
        AtomicFiles.writeString(out.resolve("llama-input.json"), new GsonBuilder().setPrettyPrinting().create().toJson(in));

        LlamaConfig plainConfig = LlamaConfig.builder().vocabSize(64).hiddenSize(32).intermediateSize(48).numHiddenLayers(2)
                .numAttentionHeads(4).numKeyValueHeads(2).maxPositionEmbeddings(64).rmsNormEps(1e-5).ropeTheta(500000)
                .bosTokenId(1).eosTokenIds(List.of(2)).build();
        llamaCase("llama_lora_all_linear", plainConfig, 201, rows, mask,
                "tiny Llama made here (GQA 4/2 heads, theta 500000, untied), LoRA r=4 alpha=8 on all 7 projections");
        LlamaConfig tiedConfig = LlamaConfig.builder().vocabSize(64).hiddenSize(32).intermediateSize(48).numHiddenLayers(2)
                .numAttentionHeads(4).numKeyValueHeads(2).maxPositionEmbeddings(64).rmsNormEps(1e-5).ropeTheta(500000)
                .ropeScaling(new RopeScaling("llama3", 8.0, 1.0, 4.0, 16)).tieWordEmbeddings(true)
                .bosTokenId(1).eosTokenIds(List.of(2)).build();
        llamaCase("llama31_tied_lora_qv", tiedConfig, 202, rows, mask,
                "tiny Llama 3.1-style made here (llama3 rope scaling factor 8, original_max_position_embeddings 16, tied embeddings), "
                        + "LoRA r=4 alpha=16 on q_proj/v_proj");
        LlamaConfig mistralConfig = LlamaConfig.builder().modelType("mistral").slidingWindow(4).vocabSize(64).hiddenSize(32)
                .intermediateSize(48).numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2).maxPositionEmbeddings(64)
                .rmsNormEps(1e-5).ropeTheta(1000000).bosTokenId(1).eosTokenIds(List.of(2)).build();
        llamaCase("mistral_window4_lora_all_linear", mistralConfig, 203, rows, mask,
                "tiny Mistral made here (sliding_window 4, shorter than the 9-token inputs), LoRA r=4 alpha=8 on all 7 projections");
        LlamaConfig qwen2Config = LlamaConfig.builder().modelType("qwen2").tieWordEmbeddings(true).vocabSize(64).hiddenSize(32)
                .intermediateSize(48).numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2).maxPositionEmbeddings(64)
                .rmsNormEps(1e-6).ropeTheta(1000000).bosTokenId(-1).eosTokenIds(List.of(2)).build();
        llamaCase("qwen2_tied_lora_qv", qwen2Config, 204, rows, mask,
                "tiny Qwen2 made here (biases on q/k/v only, tied embeddings), LoRA r=4 alpha=16 on q_proj/v_proj");
    }

    private void llamaCase(String name, LlamaConfig config, int seed, long[][] rows, long[][] mask, String what) throws IOException {
        Path dir = out.resolve(name);
        Files.createDirectories(dir);
        Engine.getInstance().setRandomSeed(seed);
        LlamaForCausalLM model = new LlamaForCausalLM(config);
        // std 0.2 (not HF's 0.02) so that the tiny model's logits depend visibly on every weight
        for (Parameter p : BlockPaths.parameters(model).values()) {
            if (p.getType() == Parameter.Type.WEIGHT) {
                p.setInitializer(new NormalInitializer(0.2f));
            }
        }
        model.initialize(manager, DataType.FLOAT32);
        // RMSNorm weights away from 1 and biases away from 0, so that their loading is checked too
        for (Map.Entry<String, Parameter> e : BlockPaths.parameters(model).entrySet()) {
            if (e.getKey().endsWith(".bias")) {
                NDArray b = e.getValue().getArray();
                b.addi(manager.randomNormal(0f, 0.2f, b.getShape(), DataType.FLOAT32));
            }
            if (e.getKey().endsWith("norm.weight")) {
                NDArray w = e.getValue().getArray();
                w.subi(w).addi(1f).addi(manager.randomNormal(0f, 0.1f, w.getShape(), DataType.FLOAT32));
            }
        }
        LlamaCheckpoints.save(dir.resolve("base-model"), model);
        boolean tied = config.tieWordEmbeddings();
        LoraConfig lora = tied
                ? LoraConfig.builder().taskType("CAUSAL_LM").r(4).loraAlpha(16).targetModules("q_proj", "v_proj").build()
                : LoraConfig.builder().taskType("CAUSAL_LM").r(4).loraAlpha(8)
                        .targetModules("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj").build();
        try (NDManager m = manager.newSubManager()) {
            NDList x = new NDList(m.create(flat(rows), new Shape(rows.length, rows[0].length)),
                    m.create(flat(mask), new Shape(mask.length, mask[0].length)));
            NDList base = forward(model, x);
            PeftModel peft = PeftModel.wrap(model, lora);
            perturb(peft, 0.1f);
            // the training loss: next-token cross-entropy, padding labelled -100 (transformers' labels=)
            long[] labels = flat(rows);
            long[] keep = flat(mask);
            for (int i = 0; i < labels.length; i++) {
                labels[i] = keep[i] == 0 ? -100 : labels[i];
            }
            NDList withLabels = new NDList(x.get(0), x.get(1), m.create(labels, x.get(0).getShape()));
            Loss loss = new Loss(withLabels, out -> out.get("loss"));
            writeCase(dir, x, base, peft, loss, (d, merged) -> LlamaCheckpoints.save(d, (LlamaForCausalLM) merged), m);
        }
        addCase(name, "llama", name + "/base-model", what);
    }

    private static long[] flat(long[][] rows) {
        long[] f = new long[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, f, i * rows[0].length, rows[0].length);
        }
        return f;
    }

    private void addCase(String name, String kind, String base, String what) {
        JsonObject c = new JsonObject();
        c.addProperty("name", name);
        c.addProperty("kind", kind);
        c.addProperty("base", base);
        c.addProperty("adapter", name + "/adapter");
        c.addProperty("merged_model", name + "/merged-model");
        c.addProperty("outputs", name + "/outputs.safetensors");
        c.addProperty("what", what);
        cases.add(c);
        System.out.println("case " + name + ": " + what);
    }
}
