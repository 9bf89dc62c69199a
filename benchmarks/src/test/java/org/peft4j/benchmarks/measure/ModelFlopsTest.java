package org.peft4j.benchmarks.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.Test;
import org.peft4j.core.PeftModel;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.lora.LoraConfig;
import org.peft4j.lora.loldu.LolduConfig;
import org.peft4j.models.bert.BertConfig;
import org.peft4j.models.bert.BertForSequenceClassification;
import org.peft4j.quant.QuantConfig;
import org.peft4j.quant.nn.KbitTraining;
import org.peft4j.quant.nn.ModelQuantizer;

/**
 * Checks the analytic counts on a tiny BERT against hand arithmetic with the 2·m·k·n rule: hidden 8,
 * 2 layers, 2 heads of 4, feed-forward 16, 2 labels, batch 2 x 4 tokens (N = 8 token rows). All
 * counts are exact integers in double, so equality is exact.
 */
class ModelFlopsTest {

    private static final int B = 2;
    private static final int T = 4;

    // per layer: q, k, v, attention output 4 x 2·8·8·8 = 4096; feed-forward 2 x 2·8·8·16 = 4096
    private static final double LINEAR_PER_LAYER = 4096 + 4096;
    // per layer: Q·Kᵀ and P·V, each 2·B·heads·T·T·headSize = 2·2·2·4·4·4 = 512
    private static final double ATTENTION_PER_LAYER = 1024;
    // pooler 2·B·8·8 = 256, classifier 2·B·8·2 = 64 (they see B rows, not B·T)
    private static final double HEADS = 256 + 64;

    private static BertForSequenceClassification tiny(NDManager m) {
        BertConfig c = BertConfig.builder().vocabSize(20).hiddenSize(8).numAttentionHeads(2).numHiddenLayers(2)
                .intermediateSize(16).maxPositionEmbeddings(16).build();
        BertForSequenceClassification model = new BertForSequenceClassification(c);
        model.initialize(m, DataType.FLOAT32);
        return model;
    }

    @Test
    void inferenceCountsEveryProductOnce() {
        try (NDManager m = NDManager.newBaseManager()) {
            FlopCount f = ModelFlops.bert(tiny(m), 2, 2, 4, B, T, false);
            assertEquals(2 * (LINEAR_PER_LAYER + ATTENTION_PER_LAYER) + HEADS, f.forward());
            assertEquals(0, f.backward());
        }
    }

    @Test
    void fullFineTuningBackwardIsTwiceTheForward() {
        try (NDManager m = NDManager.newBaseManager()) {
            BertForSequenceClassification model = tiny(m);
            BlockPaths.parameters(model).values().forEach(p -> p.freeze(false));
            FlopCount f = ModelFlops.bert(model, 2, 2, 4, B, T, true);
            // input gradient + weight gradient of every linear; two operand gradients per attention product
            assertEquals(2 * f.forward(), f.backward());
        }
    }

    @Test
    void loraAddsItsFactorsAndOnlyTheirWeightGradients() {
        try (NDManager m = NDManager.newBaseManager()) {
            BertForSequenceClassification model = tiny(m);
            BlockPaths.parameters(model).values().forEach(p -> p.freeze(true));
            PeftModel peft = PeftModel.wrap(model, LoraConfig.builder().r(2).loraAlpha(4).targetModules("query", "value").build());
            FlopCount f = ModelFlops.bert(peft.block(), 2, 2, 4, B, T, true);
            // per adapter: x·Aᵀ 2·8·8·2 = 256 and h·Bᵀ 2·8·2·8 = 256; 2 adapters x 2 layers
            double lora = 4 * 512;
            double base = 2 * (LINEAR_PER_LAYER + ATTENTION_PER_LAYER) + HEADS;
            assertEquals(base + lora, f.forward());
            // frozen base: input gradients only (attention: both operands); LoRA: input and weight gradients
            double frozenBackward = 2 * LINEAR_PER_LAYER + HEADS + 2 * 2 * ATTENTION_PER_LAYER;
            assertEquals(frozenBackward + 2 * lora, f.backward());
        }
    }

    @Test
    void qloraCountsTheSameAsLoraOnADenseBase() {
        try (NDManager m = NDManager.newBaseManager()) {
            BertForSequenceClassification dense = tiny(m);
            BlockPaths.parameters(dense).values().forEach(p -> p.freeze(true));
            LoraConfig lora = LoraConfig.builder().r(2).loraAlpha(4).targetModules("query", "value").modulesToSave("classifier").build();
            FlopCount expected = ModelFlops.bert(PeftModel.wrap(dense, lora).block(), 2, 2, 4, B, T, true);
            BertForSequenceClassification quantized = tiny(m);
            ModelQuantizer.quantize(quantized, QuantConfig.qlora().withKeep("(.*\\.)?(pooler|classifier)(\\..*)?"));
            KbitTraining.prepare(quantized);
            FlopCount f = ModelFlops.bert(PeftModel.wrap(quantized, lora).block(), 2, 2, 4, B, T, true);
            // a 4-bit layer stands for its dense product; dequantization is not a matrix product
            assertEquals(expected.forward(), f.forward());
            assertEquals(expected.backward(), f.backward());
        }
    }

    @Test
    void lolduCountsItsTwoFrozenFactorsAndNoWeightGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            BertForSequenceClassification model = tiny(m);
            BlockPaths.parameters(model).values().forEach(p -> p.freeze(true));
            PeftModel peft = PeftModel.wrap(model, LolduConfig.builder().r(8).targetModules("query", "value").build());
            FlopCount f = ModelFlops.bert(peft.block(), 2, 2, 4, B, T, true);
            // per adapter: x·Aᵀ 2·8·8·8 = 1024 and h·Bᵀ 2·8·8·8 = 1024 (z and σ scale elementwise);
            // 2 adapters x 2 layers; A and B are frozen, so backward has their input gradients only
            double loldu = 4 * 2048;
            double base = 2 * (LINEAR_PER_LAYER + ATTENTION_PER_LAYER) + HEADS;
            assertEquals(base + loldu, f.forward());
            double frozenBackward = 2 * LINEAR_PER_LAYER + HEADS + 2 * 2 * ATTENTION_PER_LAYER;
            assertEquals(frozenBackward + loldu, f.backward());
        }
    }
}
