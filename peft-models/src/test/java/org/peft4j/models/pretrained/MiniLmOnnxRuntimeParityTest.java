package org.peft4j.models.pretrained;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.models.bert.BertSentenceEmbedder;
import org.peft4j.models.testing.Compare;
import org.peft4j.models.tokenize.TokenizedBatch;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Our MiniLM, built from the ONNX file's weights, against ONNX Runtime running the same file: an
 * independent engine and an independent implementation of the graph.
 */
class MiniLmOnnxRuntimeParityTest {

    static final List<String> SENTENCES = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "A man is playing a guitar on the street corner.",
            "The stock market fell sharply after the announcement.",
            "She opened the window to let in some fresh air.",
            "Photosynthesis converts light energy into chemical energy.",
            "Can you recommend a good book about the history of Rome?",
            "The train to Berlin leaves at half past seven.",
            "Low-rank adapters make fine-tuning large models affordable.",
            "My grandmother bakes the best apple pie in town.",
            "Heavy rain is expected across the north of the country tomorrow.",
            "The committee postponed its decision until next month.",
            "Java is a statically typed programming language.",
            "He forgot his umbrella and got soaked on the way home.",
            "Whales communicate with each other using complex songs.",
            "The museum reopened after a two-year renovation.",
            "Please remember to turn off the lights when you leave.",
            "Quantum computers could break some of today's encryption schemes.",
            "The children built a sandcastle near the water.",
            "Our flight was delayed by three hours because of fog.",
            "Good coffee needs freshly ground beans and clean water.");

    static NDManager manager;
    static Pretrained<BertSentenceEmbedder> miniLm;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        miniLm = PretrainedModels.miniLmL6V2(manager);
    }

    @AfterAll
    static void close() {
        miniLm.close();
        manager.close();
    }

    @Test
    void lastHiddenStateAndEmbeddingsMatchOnnxRuntimeOnTwentySentences(@TempDir Path dir) throws Exception {
        Path onnx = dir.resolve("all-minilm-l6-v2.onnx");
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(PretrainedModels.MINILM_L6_V2_ONNX)) {
            Files.copy(in, onnx);
        }
        float[] ours;
        float[] ourEmbeddings;
        long[] ids;
        long[] mask;
        long[] types;
        Shape shape;
        try (NDManager batchManager = manager.newSubManager()) {
            TokenizedBatch batch = miniLm.tokenizer().encode(SENTENCES, batchManager);
            ids = batch.inputIds().toLongArray();
            mask = batch.attentionMask().toLongArray();
            types = batch.tokenTypeIds().toLongArray();
            shape = batch.inputIds().getShape();
            NDList out = miniLm.model().forward(new ai.djl.training.ParameterStore(batchManager, false), batch.toNDList(), false);
            ours = out.get(0).toFloatArray();
            ourEmbeddings = out.get(1).toFloatArray();
        }
        float[] reference;
        try (Model model = Model.newInstance("minilm", Device.cpu(), "OnnxRuntime")) {
            model.load(onnx);
            try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator());
                    NDManager ort = model.getNDManager().newSubManager()) {
                NDArray i = ort.create(ids, shape);
                i.setName("input_ids");
                NDArray m = ort.create(mask, shape);
                m.setName("attention_mask");
                NDArray t = ort.create(types, shape);
                t.setName("token_type_ids");
                reference = predictor.predict(new NDList(i, m, t)).get(0).toFloatArray();
            }
        }
        int batch = (int) shape.get(0);
        int length = (int) shape.get(1);
        int hidden = 384;
        assertEquals((long) batch * length * hidden, reference.length);
        // float32 kernels of two engines summing in different orders over 6 layers: observed 2.4e-5
        double diff = Compare.maxAbsDiff(ours, reference);
        assertTrue(diff <= 1e-4, "max |ours - onnxruntime| on last_hidden_state = " + diff);

        // sentence-transformers mean pooling of the reference, in plain Java
        for (int b = 0; b < batch; b++) {
            float[] pooled = new float[hidden];
            int count = 0;
            for (int s = 0; s < length; s++) {
                if (mask[b * length + s] == 0) {
                    continue;
                }
                count++;
                for (int h = 0; h < hidden; h++) {
                    pooled[h] += reference[(b * length + s) * hidden + h];
                }
            }
            for (int h = 0; h < hidden; h++) {
                pooled[h] /= count;
            }
            double cosine = Compare.cosine(ourEmbeddings, b * hidden, pooled, 0, hidden);
            // normalisation does not change the direction; the engines agree to ~1e-5 per element
            assertTrue(cosine >= 0.9999, "sentence " + b + ": cosine " + cosine);
        }
    }
}
