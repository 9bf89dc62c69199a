package org.peft4j.models.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.peft4j.models.config.ModelConfigException;

import java.util.List;

class LlamaConfigTest {

    /** Field values of a published Llama 3.2 1B config.json (rope, grouped heads, tied embeddings). */
    static final String LLAMA_32_1B = "{\"architectures\": [\"LlamaForCausalLM\"], \"attention_bias\": false,"
            + " \"attention_dropout\": 0.0, \"bos_token_id\": 128000, \"eos_token_id\": [128001, 128008, 128009],"
            + " \"head_dim\": 64, \"hidden_act\": \"silu\", \"hidden_size\": 2048, \"initializer_range\": 0.02,"
            + " \"intermediate_size\": 8192, \"max_position_embeddings\": 131072, \"mlp_bias\": false,"
            + " \"model_type\": \"llama\", \"num_attention_heads\": 32, \"num_hidden_layers\": 16,"
            + " \"num_key_value_heads\": 8, \"pretraining_tp\": 1, \"rms_norm_eps\": 1e-05,"
            + " \"rope_scaling\": {\"factor\": 32.0, \"high_freq_factor\": 4.0, \"low_freq_factor\": 1.0,"
            + " \"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"}, \"rope_theta\": 500000.0,"
            + " \"tie_word_embeddings\": true, \"torch_dtype\": \"bfloat16\", \"use_cache\": true, \"vocab_size\": 128256}";

    @Test
    void readsALlama3Config() {
        LlamaConfig c = LlamaConfig.fromJson(LLAMA_32_1B);
        assertEquals(128256, c.vocabSize());
        assertEquals(32, c.numAttentionHeads());
        assertEquals(8, c.numKeyValueHeads());
        assertEquals(4, c.queriesPerKeyValue());
        assertEquals(64, c.headDim());
        assertEquals(500000.0, c.ropeTheta());
        assertEquals(new RopeScaling("llama3", 32, 1, 4, 8192), c.ropeScaling());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(List.of(128001, 128008, 128009), c.eosTokenIds());
        assertEquals(c, LlamaConfig.fromJson(c.toJson()));
    }

    @Test
    void absentFieldsTakeHfDefaults() {
        LlamaConfig c = LlamaConfig.fromJson("{\"hidden_size\": 64, \"num_attention_heads\": 4}");
        assertEquals(4, c.numKeyValueHeads());
        assertEquals(16, c.headDim());
        assertEquals(10000.0, c.ropeTheta());
        assertNull(c.ropeScaling());
        assertEquals(List.of(2), c.eosTokenIds());
        assertEquals(1e-6, c.rmsNormEps());
    }

    @Test
    void invalidFieldsAreNamed() {
        assertMessage("{\"num_attention_heads\": 6, \"num_key_value_heads\": 4, \"hidden_size\": 48}",
                "num_attention_heads 6 must be a multiple of num_key_value_heads 4");
        assertMessage("{\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}}", "rope_scaling");
        assertMessage("{\"rope_theta\": 0.5}", "rope_theta is 0.5");
        assertMessage("{\"model_type\": \"gpt2\"}", "field 'model_type' is 'gpt2'; allowed: 'llama'");
        assertMessage("{\"eos_token_id\": [1, \"x\"]}", "eos_token_id");
        assertMessage("{\"vocab_size\": 10, \"eos_token_id\": 12}", "eos_token_id 12 out of range");
    }

    private static void assertMessage(String json, String expected) {
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> LlamaConfig.fromJson(json));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
