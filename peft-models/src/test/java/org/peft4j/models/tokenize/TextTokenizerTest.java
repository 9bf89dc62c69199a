package org.peft4j.models.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;
import org.peft4j.models.pretrained.PretrainedModels;

import java.util.List;

class TextTokenizerTest {

    @Test
    void longTextsAreTruncatedToMaxLengthAndShortOnesPadded() {
        String longText = "word ".repeat(50);
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                TextTokenizer t = PretrainedModels.miniLmL6V2Tokenizer(16, TextTokenizer.Padding.LONGEST)) {
            TokenizedBatch batch = t.encode(List.of(longText, "hi"), m);
            assertEquals(new Shape(2, 16), batch.inputIds().getShape());
            long[] ids = batch.inputIds().toLongArray();
            // BERT uncased vocabulary: [CLS] = 101, [SEP] = 102, [PAD] = 0
            assertEquals(101, ids[0]);
            assertEquals(102, ids[15]);
            assertEquals(102, ids[16 + 2]);
            assertEquals(0, ids[16 + 3]);
            long[] mask = batch.attentionMask().toLongArray();
            assertEquals(3, java.util.Arrays.stream(mask, 16, 32).sum());
        }
    }

    @Test
    void maxLengthPaddingGivesFixedWidthBatches() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                TextTokenizer t = PretrainedModels.miniLmL6V2Tokenizer(12, TextTokenizer.Padding.MAX_LENGTH)) {
            assertEquals(new Shape(1, 12), t.encode(List.of("hello"), m).inputIds().getShape());
        }
    }

    @Test
    void pairsMarkTheSecondTextWithTokenTypeOne() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                TextTokenizer t = PretrainedModels.miniLmL6V2Tokenizer(32, TextTokenizer.Padding.LONGEST)) {
            TokenizedBatch batch = t.encodePairs(List.of("a question"), List.of("an answer"), m);
            assertEquals(List.of("[CLS]", "a", "question", "[SEP]"), t.tokens("a question"));
            // [CLS] a question [SEP] an answer [SEP]
            assertEquals(List.of(0L, 0L, 0L, 0L, 1L, 1L, 1L), boxed(batch.tokenTypeIds().toLongArray()));
        }
    }

    private static List<Long> boxed(long[] a) {
        return java.util.Arrays.stream(a).boxed().toList();
    }
}
