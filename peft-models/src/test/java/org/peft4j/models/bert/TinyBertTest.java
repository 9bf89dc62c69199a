package org.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.nn.ModuleBlock;
import org.peft4j.models.checkpoint.LoadOptions;
import org.peft4j.models.checkpoint.LoadedModel;
import org.peft4j.models.testing.Compare;
import org.peft4j.models.testing.JsonFixture;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/** The tiny BERT classifier written by transformers (fixtures/tiny-bert, see NOTE.md). */
class TinyBertTest {

    static final Path CHECKPOINT = JsonFixture.dir("fixtures/tiny-bert");

    NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    @AfterEach
    void close() {
        manager.close();
    }

    static NDList input(NDManager m) {
        JsonFixture in = JsonFixture.load("fixtures/tiny-bert/input.json");
        Shape s = new Shape(in.shape("input_ids"));
        return new NDList(
                m.create(in.longs("input_ids"), s), m.create(in.longs("attention_mask"), s), m.create(in.longs("token_type_ids"), s));
    }

    static NDList forward(Block model, NDManager m) {
        return model.forward(new ParameterStore(m, false), input(m), false);
    }

    BertForSequenceClassification load() {
        return BertCheckpoints.loadForSequenceClassification(CHECKPOINT, manager, LoadOptions.strict()).model();
    }

    @Test
    void reproducesTransformersLogitsHiddenStatesAndPoolerOutput() {
        JsonFixture expected = JsonFixture.load("fixtures/tiny-bert/base_outputs.json");
        try (NDManager batch = manager.newSubManager()) {
            NDList out = forward(load(), batch);
            assertEquals(new Shape(3, 9, 32), out.get(0).getShape());
            assertEquals(new Shape(3, 32), out.get(1).getShape());
            assertEquals(new Shape(3, 3), out.get(2).getShape());
            // float32 on both sides; differences come from summation order only (observed < 1e-6)
            assertTrue(Compare.maxAbsDiff(out.get("last_hidden_state").toFloatArray(), expected.floats("last_hidden_state")) <= 1e-4);
            assertTrue(Compare.maxAbsDiff(out.get("pooler_output").toFloatArray(), expected.floats("pooler_output")) <= 1e-4);
            assertTrue(Compare.maxAbsDiff(out.get("logits").toFloatArray(), expected.floats("logits")) <= 1e-4);
        }
    }

    @Test
    void parameterPathsAreExactlyTheCheckpointKeys() throws Exception {
        Set<String> keys;
        try (SafetensorsReader reader = SafetensorsReader.open(CHECKPOINT.resolve("model.safetensors"))) {
            keys = new HashSet<>(reader.names());
        }
        BertForSequenceClassification model = new BertForSequenceClassification(BertConfig.fromFile(CHECKPOINT.resolve("config.json")));
        Set<String> paths = BlockPaths.parameters(model).keySet();
        assertEquals(41, keys.size());
        assertEquals(keys, paths);
        assertTrue(paths.contains("bert.encoder.layer.0.attention.self.query.weight"));
        assertEquals(new Shape(37, 32), BlockPaths.parameters(model).get("bert.encoder.layer.1.intermediate.dense.weight").getShape());
    }

    /** Passes its input to the layer it replaced and counts calls, scaling the result by 1000. */
    static final class ScalingWrapper extends ModuleBlock {
        int calls;

        ScalingWrapper(Block base) {
            registerModule("base_layer", base);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            calls++;
            return new NDList(module("base_layer").forward(ps, inputs, training, params).head().mul(1000));
        }
    }

    @Test
    void replacingABlockByPathMakesTheForwardUseTheReplacement() {
        BertForSequenceClassification model = load();
        String path = "bert.encoder.layer.0.attention.self.query";
        Block original = BlockPaths.get(model, path);
        try (NDManager batch = manager.newSubManager()) {
            float[] before = forward(model, batch).get(0).toFloatArray();
            ScalingWrapper wrapper = new ScalingWrapper(original);
            assertSame(original, BlockPaths.replace(model, path, wrapper));
            assertSame(wrapper, BlockPaths.get(model, path));
            assertTrue(BlockPaths.parameters(model).containsKey(path + ".base_layer.weight"));
            float[] after = forward(model, batch).get(0).toFloatArray();
            assertEquals(1, wrapper.calls);
            // queries x1000 turn layer 0's near-uniform attention (std 0.02 weights) sharp: the states move visibly
            assertTrue(Compare.maxAbsDiff(before, after) > 1e-3);
        }
    }

    @Test
    void forwardAllocatesNothingInTheModelsManager() {
        BertForSequenceClassification model = load();
        int held = ((BaseNDManager) manager).getManagedArrays().size();
        try (NDManager batch = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            forward(model, batch);
            forward(model, batch);
        }
        assertEquals(held, ((BaseNDManager) manager).getManagedArrays().size());
    }

    @Test
    void dropoutIsActiveOnlyWhenTraining() {
        BertForSequenceClassification model = load();
        try (NDManager batch = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(batch, false);
            float[] eval1 = model.forward(ps, input(batch), false).get(0).toFloatArray();
            float[] eval2 = model.forward(ps, input(batch), false).get(0).toFloatArray();
            float[] train = model.forward(ps, input(batch), true).get(0).toFloatArray();
            assertEquals(0.0, Compare.maxAbsDiff(eval1, eval2));
            assertTrue(Compare.maxAbsDiff(eval1, train) > 1e-3);
        }
    }

    @Test
    void savedFolderReloadsWithIdenticalOutputs(@TempDir Path dir) {
        BertForSequenceClassification model = load();
        Path saved = dir.resolve("saved");
        BertCheckpoints.save(saved, model);
        LoadedModel<BertForSequenceClassification> reloaded =
                BertCheckpoints.loadForSequenceClassification(saved, manager, LoadOptions.strict());
        assertEquals(model.config(), reloaded.model().config());
        assertEquals(41, reloaded.report().loaded().size());
        try (NDManager batch = manager.newSubManager()) {
            NDList a = forward(model, batch);
            NDList b = forward(reloaded.model(), batch);
            for (int i = 0; i < 3; i++) {
                assertEquals(0.0, Compare.maxAbsDiff(a.get(i).toFloatArray(), b.get(i).toFloatArray()));
            }
        }
    }

    @Test
    void encoderLoadsFromTheClassifierCheckpointIgnoringTheHead() {
        LoadedModel<BertModel> loaded = BertCheckpoints.loadModel(CHECKPOINT, manager, LoadOptions.strict());
        assertEquals(Set.of("classifier.weight", "classifier.bias"), new HashSet<>(loaded.report().ignored()));
        JsonFixture expected = JsonFixture.load("fixtures/tiny-bert/base_outputs.json");
        try (NDManager batch = manager.newSubManager()) {
            NDList out = forward(loaded.model(), batch);
            assertTrue(Compare.maxAbsDiff(out.get(1).toFloatArray(), expected.floats("pooler_output")) <= 1e-4);
        }
    }

    @Test
    void inputsWithoutMaskOrTokenTypesUseAllOnesAndZeros() {
        BertModel model = BertCheckpoints.loadModel(CHECKPOINT, manager, LoadOptions.strict()).model();
        try (NDManager batch = manager.newSubManager()) {
            NDArray ids = input(batch).get(0).get("0:1");
            ParameterStore ps = new ParameterStore(batch, false);
            float[] implicit = model.forward(ps, new NDList(ids), false).get(0).toFloatArray();
            float[] explicit = model.forward(ps, new NDList(ids, ids.onesLike(), ids.zerosLike()), false).get(0).toFloatArray();
            assertEquals(0.0, Compare.maxAbsDiff(implicit, explicit));
        }
    }

    @Test
    void badInputShapesAreRejectedWithTheirNames() {
        BertModel model = BertCheckpoints.loadModel(CHECKPOINT, manager, LoadOptions.strict()).model();
        try (NDManager batch = manager.newSubManager()) {
            NDArray ids = input(batch).get(0);
            ParameterStore ps = new ParameterStore(batch, false);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(ps, new NDList(ids, ids.get("0:2")), false));
            assertTrue(e.getMessage().contains("attention_mask"), e.getMessage());
        }
    }
}
