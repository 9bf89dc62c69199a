package org.peft4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.testing.ProgressCapture;
import org.peft4j.models.bert.BertConfig;
import org.peft4j.models.bert.BertForSequenceClassification;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

class TensorSourceTest {

    NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void prefixesAreAddedAndRemovedAndUnionsRefuseDuplicates() {
        TensorSource a = TensorSource.of(Map.of("embeddings.x", manager.ones(new Shape(2))), "a");
        TensorSource b = TensorSource.of(Map.of("classifier.weight", manager.ones(new Shape(1, 2))), "b");
        TensorSource prefixed = a.withPrefix("bert.");
        assertEquals(List.of("bert.embeddings.x"), prefixed.names());
        assertEquals(List.of("embeddings.x"), prefixed.withoutPrefix("bert.").names());
        TensorSource union = TensorSource.union(prefixed, b);
        assertEquals(List.of("bert.embeddings.x", "classifier.weight"), union.names());
        assertEquals(new Shape(1, 2), union.shape("classifier.weight"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> TensorSource.union(a, a));
        assertTrue(e.getMessage().contains("embeddings.x"), e.getMessage());
    }

    @Test
    void loadedTensorsAreFloat32CopiesInTheGivenManager() {
        NDArray half = manager.ones(new Shape(2, 2), DataType.FLOAT16);
        try (NDManager other = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray loaded = TensorSource.of(Map.of("w", half), "mem").load("w", other);
            assertEquals(DataType.FLOAT32, loaded.getDataType());
            assertTrue(loaded.getManager() == other);
        }
    }

    @Test
    void everyMismatchIsListedInOneError() {
        BertConfig config = BertConfig.builder().vocabSize(10).hiddenSize(8).numAttentionHeads(2).numHiddenLayers(1)
                .intermediateSize(16).maxPositionEmbeddings(12).numLabels(3).build();
        BertForSequenceClassification model = new BertForSequenceClassification(config);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        BlockPaths.parameters(model).forEach((k, p) -> tensors.put(k, manager.zeros(p.getShape())));
        tensors.remove("bert.encoder.layer.0.attention.self.key.bias");
        tensors.put("classifier.weight", manager.zeros(new Shape(2, 8)));
        tensors.put("bert.embeddings.position_ids", manager.zeros(new Shape(1, 12), DataType.INT64));
        tensors.put("cls.predictions.bias", manager.zeros(new Shape(10)));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> CheckpointLoader.load(model, TensorSource.of(tensors, "mem"), manager, LoadOptions.strict()));
        assertEquals(List.of("bert.encoder.layer.0.attention.self.key.bias (8)"), e.missing());
        assertEquals(List.of("cls.predictions.bias (10)"), e.unexpected());
        assertEquals(List.of("classifier.weight: checkpoint (2, 8), model (3, 8)"), e.misshaped());
        assertTrue(e.getMessage().startsWith("checkpoint mem does not fit BertForSequenceClassification: 1 missing, 1 unexpected, 1 mis-shaped"),
                e.getMessage());
        // nothing was loaded before the check failed
        assertTrue(BlockPaths.parameters(model).values().stream().noneMatch(ai.djl.nn.Parameter::isInitialized));
    }

    @Test
    void allowedAbsencesAndIgnoredExtrasAreReported() {
        BertConfig config = BertConfig.builder().vocabSize(10).hiddenSize(8).numAttentionHeads(2).numHiddenLayers(1)
                .intermediateSize(16).maxPositionEmbeddings(12).build();
        BertForSequenceClassification model = new BertForSequenceClassification(config);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        BlockPaths.parameters(model).forEach((k, p) -> {
            if (!k.startsWith("classifier.")) {
                tensors.put(k, manager.zeros(p.getShape()));
            }
        });
        tensors.put("bert.embeddings.position_ids", manager.zeros(new Shape(1, 12), DataType.INT64));
        tensors.put("cls.predictions.bias", manager.zeros(new Shape(10)));
        LoadReport report = CheckpointLoader.load(model, TensorSource.of(tensors, "mem"), manager,
                LoadOptions.builder().allowMissing("classifier.*").ignoreUnexpected("cls.*").build());
        assertEquals(List.of("classifier.weight", "classifier.bias"), report.initialized());
        assertEquals(List.of("bert.embeddings.position_ids", "cls.predictions.bias"), report.ignored());
        assertEquals(tensors.size() - 2, report.loaded().size());
        assertTrue(BlockPaths.parameters(model).values().stream().allMatch(ai.djl.nn.Parameter::isInitialized));
    }

    @Test
    void slowLoadsCountTensorsAndQuickOnesPrintNothing() {
        BertConfig config = BertConfig.builder().vocabSize(10).hiddenSize(8).numAttentionHeads(2).numHiddenLayers(1)
                .intermediateSize(16).maxPositionEmbeddings(12).numLabels(2).build();
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        BlockPaths.parameters(new BertForSequenceClassification(config)).forEach((k, p) -> tensors.put(k, manager.zeros(p.getShape())));
        int n = tensors.size();
        Runnable load = () -> CheckpointLoader.load(new BertForSequenceClassification(config), TensorSource.of(tensors, "mem"), manager,
                LoadOptions.strict());
        assertEquals("", ProgressCapture.printed(null, load));
        // threshold 0: every load counts as slow
        String slow = ProgressCapture.printed("0", load);
        assertTrue(slow.contains("loading:") && slow.contains("1/" + n + " tensors") && slow.contains(n + "/" + n + " tensors"), slow);
        assertFalse(slow.contains((n + 1) + "/" + n), slow);
    }
}
