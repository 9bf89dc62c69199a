package org.peft4j.examples.guide;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.translate.Batchifier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.peft4j.core.PeftModel;
import org.peft4j.core.testing.GuideSnippets;
import org.peft4j.examples.data.BundledData;
import org.peft4j.examples.data.LabelledText;
import org.peft4j.examples.data.LabelledTextSet;
import org.peft4j.examples.quickstart.MeanPoolingClassifier;
import org.peft4j.lora.LoraConfig;
import org.peft4j.lora.LoraInit;
import org.peft4j.lora.loldu.LolduConfig;
import org.peft4j.lora.sb.LoraSbConfig;
import org.peft4j.lora.sb.UpdateEstimate;
import org.peft4j.lora.sb.UpdateEstimator;
import org.peft4j.lora.xs.LoraXsConfig;
import org.peft4j.models.pretrained.PretrainedModels;
import org.peft4j.models.tokenize.TextTokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Runs the "Use" code of docs/methods (LoRA-XS, LoRA-SB, LoLDU, PiSSA) on the real all-MiniLM-L6-v2
 * and checks the trainable counts the pages state, then checks that the pages show exactly that
 * code ({@link GuideSnippets}). MiniLM: 6 blocks, hidden 384, intermediate 1536, so the six linear
 * layers of a block are 4 of [384, 384], one [1536, 384] and one [384, 1536]; the head
 * {@code Linear(384 -> 2)} has 770 parameters.
 */
class MethodsGuideTest {

    private static final Path SOURCE = Path.of("src", "test", "java", "org", "peft4j", "examples", "guide", "MethodsGuideTest.java");
    private static final Path METHODS = Path.of("..", "docs", "methods");
    private static final long HEAD = 384 * 2 + 2;
    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static MeanPoolingClassifier miniLm() {
        return new MeanPoolingClassifier(PretrainedModels.miniLmL6V2Encoder(manager), 2, manager);
    }

    /** Training batches of the bundled corpus, 16 e-mails each, cut to 32 tokens: 64 e-mails in all. */
    private static Iterator<Batch> trainingBatches(TextTokenizer tokenizer) throws IOException {
        LabelledTextSet train = BundledData.spamAssassin().split("train").stratifiedSample(64, 7);
        List<Batch> batches = new ArrayList<>();
        List<LabelledText> items = train.items();
        for (int start = 0; start < items.size(); start += 16) {
            List<LabelledText> part = items.subList(start, Math.min(items.size(), start + 16));
            NDManager bm = manager.newSubManager(); // closed with its batch
            long[] labels = new long[part.size()];
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < labels.length; i++) {
                labels[i] = train.labelIndex(part.get(i).label());
                texts.add(part.get(i).text());
            }
            batches.add(new Batch(bm, tokenizer.encode(texts, bm).toNDList(), new NDList(bm.create(labels)), part.size(),
                    Batchifier.STACK, Batchifier.STACK, 0, 0));
        }
        return batches.iterator();
    }

    @Test
    void loraXsTrainsRSquaredPerMatrix() {
        MeanPoolingClassifier model = miniLm();
        // guide: lora-xs
        PeftModel peft = PeftModel.wrap(model, LoraXsConfig.builder()
                .r(16)                                  // R is 16 × 16
                .targetModules("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense")
                .modulesToSave("classifier")
                .build());
        peft.trainableParameters();                    // 36 × 256 = 9,216 on MiniLM (+ the head)
        // train peft.block() like any DJL block; peft.save(dir); PeftModel.load(base, dir, false)
        // end guide
        assertEquals(36 * 16 * 16 + HEAD, peft.trainableParameters().trainable());
    }

    @Test
    void lolduAtFullRankTrainsRPlusOnePerMatrix() {
        MeanPoolingClassifier model = miniLm();
        // guide: loldu
        PeftModel peft = PeftModel.wrap(model, LolduConfig.builder()
                .r(384)                         // MiniLM's full rank: 12 × 385 = 4,620 trainable values on q, v
                .targetModules("query", "value")
                .modulesToSave("classifier")
                .build());
        // end guide
        assertEquals(12 * 385 + HEAD, peft.trainableParameters().trainable());
    }

    @Test
    void pissaTrainsLorasFactors() {
        MeanPoolingClassifier model = miniLm();
        // guide: pissa
        PeftModel peft = PeftModel.wrap(model, LoraConfig.builder()
                .r(8).loraAlpha(16)
                .initLoraWeights(LoraInit.PISSA)       // "pissa": exact SVD
                // .pissaNiter(4)                      // "pissa_niter_4": randomized SVD, 4 power iterations
                .targetModules("query", "value").modulesToSave("classifier")
                .build());
        // end guide
        assertEquals(12 * 8 * (384 + 384) + HEAD, peft.trainableParameters().trainable());
    }

    // the six linear layers of a block: 4 x r² each for r = 16, whatever their shapes
    @Test
    void loraSbEstimatesThenTrainsRSquaredPerMatrix() throws IOException {
        MeanPoolingClassifier model = miniLm();
        int warmupSteps = 8;
        try (TextTokenizer tokenizer = PretrainedModels.miniLmL6V2Tokenizer(32, TextTokenizer.Padding.LONGEST)) {
            Iterator<Batch> batches = trainingBatches(tokenizer);
            // guide: lora-sb
            LoraSbConfig config = LoraSbConfig.builder()
                    .r(16)
                    .targetModules("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense")
                    .modulesToSave("classifier")
                    .numSamples(64)
                    .estimationSchedule(1e-3, warmupSteps)   // the training run's peak lr and warm-up length
                    .build();
            // batches: DJL Batch objects (data = the model's inputs, labels = the loss's labels, sample axis first)
            PeftModel peft = UpdateEstimator.wrap(model, config, batches, Loss.softmaxCrossEntropyLoss());
            // end guide
            assertEquals(36 * 16 * 16 + HEAD, peft.trainableParameters().trainable());
        }
    }

    @Test
    void loraSbInTwoStepsGivesTheSameCount() throws IOException {
        MeanPoolingClassifier model = miniLm();
        Loss loss = Loss.softmaxCrossEntropyLoss();
        LoraSbConfig config = LoraSbConfig.builder().r(16).targetModules("query", "value").modulesToSave("classifier")
                .numSamples(64).estimationSchedule(1e-3, 8).build();
        long trainable;
        try (TextTokenizer tokenizer = PretrainedModels.miniLmL6V2Tokenizer(32, TextTokenizer.Padding.LONGEST)) {
            Iterator<Batch> batches = trainingBatches(tokenizer);
            // guide: lora-sb-two-steps
            try (UpdateEstimate estimate = UpdateEstimator.estimate(model, config, batches, loss)) {
                PeftModel peft = PeftModel.wrap(model, config.withUpdateEstimate(estimate));
            // end guide
                trainable = peft.trainableParameters().trainable();
            }
        }
        assertEquals(12 * 16 * 16 + HEAD, trainable);
    }

    @Test
    void thePagesShowExactlyTheCodeTheseTestsRun() throws IOException {
        GuideSnippets.assertPagesShow(SOURCE, 5, METHODS.resolve("lora-xs.md"), METHODS.resolve("loldu.md"), METHODS.resolve("pissa.md"),
                METHODS.resolve("lora-sb.md"));
    }
}
