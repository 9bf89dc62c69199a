package org.peft4j.models.pretrained;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.Test;
import org.peft4j.models.bert.BertForSequenceClassification;
import org.peft4j.models.bert.BertModel;
import org.peft4j.models.checkpoint.SafetensorsTensorSource;
import org.peft4j.models.testing.Compare;
import org.peft4j.models.testing.JsonFixture;
import org.peft4j.models.tokenize.TokenizedBatch;

import java.util.List;

/**
 * all-MiniLM-L6-v2 as a sequence classifier, built from the bundled ONNX file plus the pooler and
 * classifier of fixtures/minilm/extra_weights.safetensors, against transformers' outputs
 * (fixtures/minilm, see NOTE.md).
 */
class MiniLmFixtureTest {

    @Test
    void onnxWeightsPlusHeadsReproduceTransformersOutputs() {
        JsonFixture input = JsonFixture.load("fixtures/minilm/input.json");
        JsonFixture expected = JsonFixture.load("fixtures/minilm/base_outputs.json");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                Pretrained<BertForSequenceClassification> miniLm = PretrainedModels.miniLmL6V2ForSequenceClassification(
                        manager, 2, SafetensorsTensorSource.open(JsonFixture.dir("fixtures/minilm").resolve("extra_weights.safetensors")))) {
            assertEquals(105, miniLm.report().loaded().size());
            assertTrue(miniLm.report().complete());
            Shape s = new Shape(input.shape("input_ids"));
            NDList in = new NDList(
                    manager.create(input.longs("input_ids"), s),
                    manager.create(input.longs("attention_mask"), s),
                    manager.create(input.longs("token_type_ids"), s));
            NDList out = miniLm.model().forward(new ParameterStore(manager, false), in, false);
            // float32 on both sides; 6 layers of 384-wide sums in different orders (fixture's own
            // numpy cross-check differs by 2.4e-6)
            assertTrue(Compare.maxAbsDiff(out.get("last_hidden_state").toFloatArray(), expected.floats("last_hidden_state")) <= 2e-4);
            assertTrue(Compare.maxAbsDiff(out.get("logits").toFloatArray(), expected.floats("logits")) <= 2e-4);
        }
    }

    @Test
    void bareEncoderReproducesTransformersLastHiddenState() {
        JsonFixture input = JsonFixture.load("fixtures/minilm/input.json");
        JsonFixture expected = JsonFixture.load("fixtures/minilm/base_outputs.json");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            BertModel encoder = PretrainedModels.miniLmL6V2Encoder(manager);
            assertEquals(101, encoder.getParameters().size(), "embeddings (5) and 6 blocks of 16 tensors, no pooler");
            Shape s = new Shape(input.shape("input_ids"));
            NDList in = new NDList(
                    manager.create(input.longs("input_ids"), s),
                    manager.create(input.longs("attention_mask"), s),
                    manager.create(input.longs("token_type_ids"), s));
            NDList out = encoder.forward(new ParameterStore(manager, false), in, false);
            // same tolerance and reason as above
            assertTrue(Compare.maxAbsDiff(out.get(0).toFloatArray(), expected.floats("last_hidden_state")) <= 2e-4);
        }
    }

    @Test
    void tokenizerReproducesTheFixturesTokenIds() {
        JsonFixture input = JsonFixture.load("fixtures/minilm/input.json");
        List<String> sentences = input.strings("sentences");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                var tokenizer = PretrainedModels.miniLmL6V2Tokenizer(128, org.peft4j.models.tokenize.TextTokenizer.Padding.LONGEST)) {
            TokenizedBatch batch = tokenizer.encode(sentences, manager);
            assertEquals(new Shape(input.shape("input_ids")), batch.inputIds().getShape());
            assertEquals(List.of(toBoxed(input.longs("input_ids"))), List.of(toBoxed(batch.inputIds().toLongArray())));
            assertEquals(List.of(toBoxed(input.longs("attention_mask"))), List.of(toBoxed(batch.attentionMask().toLongArray())));
            assertEquals(List.of(toBoxed(input.longs("token_type_ids"))), List.of(toBoxed(batch.tokenTypeIds().toLongArray())));
        }
    }

    private static Long[] toBoxed(long[] a) {
        Long[] b = new Long[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
        return b;
    }
}
