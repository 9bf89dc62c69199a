package org.peft4j.merge.lines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.peft4j.core.PeftException;

// lambda(l) = alpha + beta (l-1)/(L-1) (methods-spec.md 5.1), l = HF index + 1. Lambdas below are
// worked by hand; they are doubles computed from exact fractions, compared at 1e-12.
class LinesScheduleTest {

    @Test
    void lambdaGrowsLinearlyFromAlphaAtTheFirstBlockToAlphaPlusBetaAtTheLast() {
        LinesSchedule s = LinesSchedule.multiTask(0.2, 0.9, 4);
        assertEquals(0.2, s.lambda("bert.encoder.layer.0.attention.self.query.weight"), 1e-12);
        assertEquals(0.5, s.lambda("bert.encoder.layer.1.attention.self.query.weight"), 1e-12);
        assertEquals(0.8, s.lambda("bert.encoder.layer.2.output.dense.weight"), 1e-12);
        assertEquals(1.1, s.lambda("bert.encoder.layer.3.output.LayerNorm.bias"), 1e-12);
    }

    @Test
    void everythingOutsideTheBlocksGetsAlpha() {
        LinesSchedule s = LinesSchedule.multiTask(0.25, 1.0, 6);
        assertEquals(0.25, s.lambda("bert.embeddings.word_embeddings.weight"), 1e-12);
        assertEquals(0.25, s.lambda("bert.pooler.dense.weight"), 1e-12);
        assertEquals(0.25, s.lambda("model.norm.weight"), 1e-12);
    }

    @Test
    void llamaStyleLayersAreMatched() {
        LinesSchedule s = LinesSchedule.multiTask(0.0, 1.0, 3);
        assertEquals(0.5, s.lambda("model.layers.1.mlp.up_proj.weight"), 1e-12);
    }

    @Test
    void blockIndexIsMatchedExactlyNotAsASubstring() {
        // with L = 12, "layer.11." is block 11 (lambda 1), not block 1 (the code's ".1." substring match)
        LinesSchedule s = LinesSchedule.singleTask(0.0, 12);
        assertEquals(1.0, s.lambda("encoder.layer.11.attention.self.value.weight"), 1e-12);
        assertEquals(1.0 / 11.0, s.lambda("encoder.layer.1.attention.self.value.weight"), 1e-12);
        // "player.3." is not a block
        assertEquals(0.0, s.lambda("player.3.weight"), 1e-12);
    }

    @Test
    void singleTaskFormKeepsTheLastBlockFullyAndScalesTheFirstByAlpha() {
        LinesSchedule s = LinesSchedule.singleTask(0.3, 6);
        assertEquals(0.7, s.beta(), 1e-12);
        assertEquals(0.3, s.lambda("layer.0.x"), 1e-12);
        assertEquals(0.3 + 0.7 * 2 / 5, s.lambda("layer.2.x"), 1e-12);
        assertEquals(1.0, s.lambda("layer.5.x"), 1e-12);
    }

    @Test
    void negativeBetaIsRejectedNamingBeta() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> LinesSchedule.multiTask(0.5, -0.1, 6));
        assertTrue(e.getMessage().startsWith("beta"), e.getMessage());
    }

    @Test
    void blockIndexBeyondNumBlocksIsRejectedNamingTheKey() {
        LinesSchedule s = LinesSchedule.multiTask(0.5, 0.5, 2);
        PeftException e = assertThrows(PeftException.class, () -> s.lambda("encoder.layer.2.output.dense.weight"));
        assertTrue(e.getMessage().contains("'encoder.layer.2.output.dense.weight'"), e.getMessage());
    }

    @Test
    void customBlockPatternSelectsOtherArchitectures() {
        LinesSchedule s =
                LinesSchedule.singleTask(0.0, 4).withBlockPattern(Pattern.compile("\\.resblocks\\.(\\d+)\\."));
        assertEquals(2.0 / 3.0, s.lambda("visual.transformer.resblocks.2.attn.in_proj_weight"), 1e-12);
        assertEquals(0.0, s.lambda("encoder.layer.2.output.dense.weight"), 1e-12);
    }

    @Test
    void countBlocksIsTheLargestIndexPlusOne() {
        assertEquals(
                3,
                LinesSchedule.countBlocks(
                        List.of("emb.w", "encoder.layer.0.a", "encoder.layer.2.b", "encoder.layer.1.c"),
                        LinesSchedule.DEFAULT_BLOCK_PATTERN));
    }
}
