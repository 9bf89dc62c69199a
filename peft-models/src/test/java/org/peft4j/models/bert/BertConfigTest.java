package org.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.peft4j.models.config.ModelConfigException;
import org.peft4j.models.layers.HiddenActivation;
import org.peft4j.models.testing.JsonFixture;

import java.util.List;

class BertConfigTest {

    @Test
    void readsTransformersConfigJson() {
        BertConfig c = BertConfig.fromFile(JsonFixture.dir("fixtures/tiny-bert").resolve("config.json"));
        assertEquals(64, c.vocabSize());
        assertEquals(32, c.hiddenSize());
        assertEquals(2, c.numHiddenLayers());
        assertEquals(4, c.numAttentionHeads());
        assertEquals(8, c.headSize());
        assertEquals(37, c.intermediateSize());
        assertEquals(40, c.maxPositionEmbeddings());
        assertEquals(2, c.typeVocabSize());
        assertEquals(1e-12, c.layerNormEps());
        assertEquals(HiddenActivation.GELU, c.hiddenAct());
        assertEquals(List.of("LABEL_0", "LABEL_1", "LABEL_2"), c.labels());
        assertNull(c.classifierDropout());
        assertEquals(0.1, c.effectiveClassifierDropout());
    }

    @Test
    void unknownFieldsAreIgnoredAndAbsentOnesTakeHfDefaults() {
        BertConfig c = BertConfig.fromJson("{\"hidden_size\": 64, \"num_attention_heads\": 2, \"gradient_checkpointing\": true, \"foo\": [1]}");
        assertEquals(64, c.hiddenSize());
        assertEquals(30522, c.vocabSize());
        assertEquals(12, c.numHiddenLayers());
        assertEquals(2, c.numLabels());
    }

    @Test
    void numLabelsWithoutId2LabelGivesDefaultLabels() {
        assertEquals(List.of("LABEL_0", "LABEL_1", "LABEL_2", "LABEL_3"), BertConfig.fromJson("{\"num_labels\": 4}").labels());
    }

    @Test
    void invalidFieldsAreNamedWithTheAllowedValues() {
        assertMessage("{\"hidden_size\": 30, \"num_attention_heads\": 4}", "hidden_size 30 must be a multiple of num_attention_heads 4");
        assertMessage("{\"vocab_size\": 0}", "vocab_size is 0; allowed: >= 1");
        assertMessage("{\"vocab_size\": \"big\"}", "field 'vocab_size' must be an integer");
        assertMessage("{\"hidden_act\": \"swishy\"}", "field 'hidden_act' is 'swishy'; allowed: gelu");
        assertMessage("{\"hidden_dropout_prob\": 1.5}", "hidden_dropout_prob is 1.5; allowed: 0 <= p < 1");
        assertMessage("{\"position_embedding_type\": \"relative_key\"}", "position_embedding_type");
        assertMessage("{\"num_labels\": 3, \"id2label\": {\"0\": \"a\", \"1\": \"b\"}}", "num_labels");
        assertMessage("{\"pad_token_id\": 99, \"vocab_size\": 10}", "pad_token_id is 99; allowed: 0..9");
        assertMessage("[1, 2]", "expected a JSON object");
    }

    @Test
    void otherEncoderFamiliesAndDecoderModesAreRefused() {
        // a RoBERTa checkpoint has BERT's tensor names but other position ids: it must not load as BERT
        assertMessage("{\"model_type\": \"roberta\", \"pad_token_id\": 1, \"type_vocab_size\": 1}",
                "field 'model_type' is 'roberta'; allowed: 'bert'");
        assertMessage("{\"model_type\": \"xlm-roberta\"}", "model_type");
        assertMessage("{\"model_type\": \"distilbert\"}", "model_type");
        assertMessage("{\"is_decoder\": true}", "field 'is_decoder' is true; allowed: false");
        assertMessage("{\"add_cross_attention\": true}", "add_cross_attention");
        assertEquals(2, BertConfig.fromJson("{\"model_type\": \"bert\", \"is_decoder\": false}").numLabels());
    }

    @Test
    void jsonRoundTripKeepsEveryField() {
        BertConfig c = BertConfig.builder().hiddenSize(48).numAttentionHeads(3).numHiddenLayers(1).intermediateSize(50)
                .vocabSize(99).labels(List.of("neg", "pos")).classifierDropout(0.25).layerNormEps(1e-5).build();
        assertEquals(c, BertConfig.fromJson(c.toJson("BertForSequenceClassification")));
    }

    private static void assertMessage(String json, String expected) {
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> BertConfig.fromJson(json));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
