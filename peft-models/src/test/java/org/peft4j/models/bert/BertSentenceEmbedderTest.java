package org.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;
import org.peft4j.core.nn.BlockPaths;

class BertSentenceEmbedderTest {

    @Test
    void meanPoolingAveragesOnlyUnmaskedTokens() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            // B = 1, T = 3, H = 2; the third token is padding
            NDArray hidden = m.create(new float[] {1, 2, 3, 4, 100, 100}, new Shape(1, 3, 2));
            NDArray mask = m.create(new long[] {1, 1, 0}, new Shape(1, 3));
            float[] pooled = BertSentenceEmbedder.meanPool(hidden, mask, false).toFloatArray();
            assertEquals(2f, pooled[0]);
            assertEquals(3f, pooled[1]);
            float[] normalized = BertSentenceEmbedder.meanPool(hidden, mask, true).toFloatArray();
            assertEquals(2 / Math.sqrt(13), normalized[0], 1e-7);
            assertEquals(3 / Math.sqrt(13), normalized[1], 1e-7);
        }
    }

    @Test
    void hasTheParameterPathsOfABertModelWithoutPooler() {
        BertConfig config = BertConfig.builder().vocabSize(10).hiddenSize(8).numAttentionHeads(2).numHiddenLayers(1)
                .intermediateSize(16).maxPositionEmbeddings(12).build();
        assertEquals(BlockPaths.parameters(new BertModel(config, false)).keySet(),
                BlockPaths.parameters(new BertSentenceEmbedder(config, true)).keySet());
        assertEquals(BlockPaths.parameters(new BertModel(config, false)).size() + 2, BlockPaths.parameters(new BertModel(config)).size());
    }
}
