package org.peft4j.examples.quickstart;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.translate.Batchifier;

import org.peft4j.core.PeftModel;
import org.peft4j.examples.data.LabelledText;
import org.peft4j.examples.data.Splits;
import org.peft4j.examples.train.BatchEncoder;
import org.peft4j.lora.LoraConfig;
import org.peft4j.lora.LoraInit;
import org.peft4j.lora.eva.EvaConfig;
import org.peft4j.lora.eva.EvaInitializer;
import org.peft4j.lora.eva.EvaResult;
import org.peft4j.lora.loldu.LolduConfig;
import org.peft4j.lora.sb.LoraSbConfig;
import org.peft4j.lora.sb.UpdateEstimator;
import org.peft4j.lora.xs.LoraXsConfig;
import org.peft4j.quant.QuantConfig;
import org.peft4j.quant.nn.KbitTraining;
import org.peft4j.quant.nn.ModelQuantizer;
import org.peft4j.quant.nn.QuantizationReport;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The quickstart's {@code --method} values and how each adapts the model. */
public final class AdapterRecipes {

    /** The base model name written into adapter configs. */
    public static final String BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2";

    private static final Map<String, AdapterRecipe> RECIPES = new LinkedHashMap<>();

    static {
        RECIPES.put("lora", (model, o, data, encoder, manager) -> PeftModel.wrap(model, lora(o)));
        RECIPES.put("qlora", (model, o, data, encoder, manager) -> {
            // QLoRA: the encoder's linear weights held in NF4 with double quantization (blocksize 64), frozen;
            // LoRA in float32 on top; the new head stays float32 and trains through modules_to_save
            QuantizationReport q = ModelQuantizer.quantize(model.module("bert"), QuantConfig.qlora());
            KbitTraining.prepare(model);
            System.out.printf(java.util.Locale.ROOT, "qlora: %d linear layers in NF4+DQ, %.1f MB -> %.1f MB (%.3f bits per parameter)%n",
                    q.quantized().size(), q.bytesBefore() / 1e6, q.bytesAfter() / 1e6, q.bitsPerParameter());
            return PeftModel.wrap(model, lora(o));
        });
        // DoRA: LoRA's factors plus a trainable magnitude per output row of every adapted matrix (use_dora)
        RECIPES.put("dora", (model, o, data, encoder, manager) -> PeftModel.wrap(model, lora(o).toBuilder().useDora(true).build()));
        RECIPES.put("pissa", (model, o, data, encoder, manager) -> PeftModel.wrap(model,
                lora(o).toBuilder().initLoraWeights(LoraInit.PISSA).build()));
        RECIPES.put("lora-xs", (model, o, data, encoder, manager) -> PeftModel.wrap(model, LoraXsConfig.builder()
                .r(o.rank()).loraAlpha(o.alpha()).loraDropout(o.dropout())
                .targetModules(o.targets().toArray(new String[0])).modulesToSave("classifier")
                .baseModelNameOrPath(BASE_MODEL).build()));
        RECIPES.put("lora-sb", AdapterRecipes::loraSb);
        // EVA: lora_A from the principal directions of each layer's inputs on the training split, ranks
        // redistributed by explained variance (PEFT's init_lora_weights "eva", default eva_config)
        RECIPES.put("eva", AdapterRecipes::eva);
        // LoLDU: r pivots per matrix (use --rank 384 for MiniLM's full rank, as the paper does); σ0 = 1
        RECIPES.put("loldu", (model, o, data, encoder, manager) -> PeftModel.wrap(model, LolduConfig.builder()
                .r(o.rank()).targetModules(o.targets().toArray(new String[0])).modulesToSave("classifier")
                .baseModelNameOrPath(BASE_MODEL).build()));
    }

    /** Samples of the training split LoRA-SB estimates its starting point from. */
    private static final int LORA_SB_SAMPLES = 64;

    /**
     * LoRA-SB: estimates the first full fine-tuning update on {@value #LORA_SB_SAMPLES} training
     * samples, or the whole training split when it is smaller (the loss is the run's own
     * cross-entropy, the learning rate the one the first warm-up step of the quickstart's schedule
     * will use), then wraps. {@code num_samples} in the saved config is the number actually used.
     * Scaling 1 (alpha = r), as the official scripts force.
     */
    private static PeftModel loraSb(MeanPoolingClassifier model, QuickstartOptions o, Splits data, BatchEncoder encoder, NDManager manager) {
        int steps = o.epochs() * ((data.train().size() + o.batchSize() - 1) / o.batchSize());
        int warmup = Math.max(1, (int) Math.round(steps * 0.06)); // Quickstart's FineTuner warm-up fraction
        // num_samples documents how many samples the gradient was summed over: a small training split gives fewer
        int samples = Math.min(data.train().size(), LORA_SB_SAMPLES);
        LoraSbConfig config = LoraSbConfig.builder()
                .r(o.rank()).loraDropout(o.dropout()).numSamples(samples).estimationSchedule(o.learningRate(), warmup)
                .targetModules(o.targets().toArray(new String[0])).modulesToSave("classifier")
                .baseModelNameOrPath(BASE_MODEL).build();
        List<LabelledText> items = data.train().shuffled(o.seed()).items();
        List<Batch> batches = new ArrayList<>();
        for (int start = 0; start < samples; start += o.batchSize()) {
            List<LabelledText> part = items.subList(start, Math.min(samples, start + o.batchSize()));
            NDManager bm = manager.newSubManager(); // closed with its batch
            long[] labels = new long[part.size()];
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < labels.length; i++) {
                labels[i] = data.train().labelIndex(part.get(i).label());
                texts.add(part.get(i).text());
            }
            batches.add(new Batch(bm, encoder.encode(texts, bm), new NDList(bm.create(labels)), part.size(), Batchifier.STACK, Batchifier.STACK, 0, 0));
        }
        return UpdateEstimator.wrap(model, config, batches.iterator(), Loss.softmaxCrossEntropyLoss());
    }

    /**
     * EVA: runs the data pass over the training split in batches of the run's batch size (cycled until
     * the components converge; padding positions left out through the attention mask), then wraps.
     */
    private static PeftModel eva(MeanPoolingClassifier model, QuickstartOptions o, Splits data, BatchEncoder encoder, NDManager manager) {
        LoraConfig config = lora(o).toBuilder().initLoraWeights(LoraInit.EVA).evaConfig(EvaConfig.defaults()).build();
        List<LabelledText> items = data.train().shuffled(o.seed()).items();
        Iterable<Batch> batches = () -> new java.util.Iterator<>() {
            private int start;

            @Override
            public boolean hasNext() {
                return start < items.size();
            }

            @Override
            public Batch next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                List<LabelledText> part = items.subList(start, Math.min(items.size(), start + o.batchSize()));
                start += part.size();
                NDManager bm = manager.newSubManager(); // closed with its batch
                List<String> texts = part.stream().map(LabelledText::text).toList();
                return new Batch(bm, encoder.encode(texts, bm), new NDList(), part.size(), Batchifier.STACK, Batchifier.STACK, 0, 0);
            }
        };
        long start = System.nanoTime();
        PeftModel peft = EvaInitializer.wrap(model, PeftModel.DEFAULT_ADAPTER, config, batches, EvaInitializer.Options.defaults());
        EvaResult result = ((LoraConfig) peft.config(PeftModel.DEFAULT_ADAPTER)).evaResult();
        System.out.printf(java.util.Locale.ROOT, "eva: converged after %d forward passes (%.0f s); ranks %s%n", result.forwardPasses(),
                (System.nanoTime() - start) / 1e9, result.ranks().values());
        return peft;
    }

    private AdapterRecipes() {}

    /**
     * The LoRA config the quickstart uses: the options' rank, alpha, dropout and targets, with the
     * {@code classifier} head trained and saved through {@code modules_to_save}.
     *
     * @param o the options
     * @return the config
     */
    public static LoraConfig lora(QuickstartOptions o) {
        return LoraConfig.builder().r(o.rank()).loraAlpha(o.alpha()).loraDropout(o.dropout())
                .targetModules(o.targets().toArray(new String[0])).modulesToSave("classifier")
                .baseModelNameOrPath(BASE_MODEL).build();
    }

    /**
     * Returns the accepted method names.
     *
     * @return names in the order help shows them
     */
    public static List<String> names() {
        return List.copyOf(RECIPES.keySet());
    }

    /**
     * Returns the recipe for a method.
     *
     * @param method the {@code --method} value
     * @return the recipe
     * @throws IllegalArgumentException naming the allowed values
     */
    public static AdapterRecipe of(String method) {
        AdapterRecipe r = RECIPES.get(method);
        if (r == null) {
            throw new IllegalArgumentException("--method: '" + method + "' is not available; allowed values: " + String.join(", ", names()));
        }
        return r;
    }
}
