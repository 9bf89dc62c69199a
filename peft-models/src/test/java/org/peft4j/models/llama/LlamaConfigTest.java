package org.peft4j.models.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

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

    /** The same Llama 3.2 1B values as transformers 5 writes them: rope_theta and rope_scaling moved into rope_parameters. */
    static final String LLAMA_32_1B_V5 = LLAMA_32_1B
            .replace("\"rope_scaling\": {", "\"rope_parameters\": {\"rope_theta\": 500000.0, ")
            .replace(", \"rope_theta\": 500000.0,", ",");

    @Test
    void readsRopeParametersOfTransformers5() {
        assertTrue(!LLAMA_32_1B_V5.contains("rope_scaling") && LLAMA_32_1B_V5.contains("\"rope_parameters\": {\"rope_theta\""),
                LLAMA_32_1B_V5);
        LlamaConfig c = LlamaConfig.fromJson("{\"hidden_size\": 64, \"num_attention_heads\": 4,"
                + " \"rope_parameters\": {\"rope_theta\": 500000.0, \"rope_type\": \"default\"}}");
        assertEquals(500000.0, c.ropeTheta());
        assertNull(c.ropeScaling());
        assertEquals(500000.0, LlamaConfig.fromJson("{\"rope_parameters\": {\"type\": \"default\", \"rope_theta\": 500000}}").ropeTheta());
        assertEquals(20000.0, LlamaConfig.fromJson("{\"rope_parameters\": {\"rope_theta\": 20000, \"partial_rotary_factor\": 1.0}}").ropeTheta());
    }

    @Test
    void llama3ScalingFromRopeParametersEqualsTheLegacyForm() {
        LlamaConfig legacy = LlamaConfig.fromJson(LLAMA_32_1B);
        LlamaConfig v5 = LlamaConfig.fromJson(LLAMA_32_1B_V5);
        assertEquals(new RopeScaling("llama3", 32, 1, 4, 8192), v5.ropeScaling());
        assertEquals(500000.0, v5.ropeTheta());
        assertEquals(legacy, v5);
        // linear, with the same defaults as rope_scaling
        assertEquals(LlamaConfig.fromJson("{\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}}"),
                LlamaConfig.fromJson("{\"rope_parameters\": {\"rope_type\": \"linear\", \"factor\": 2.0}}"));
    }

    @Test
    void bothFormsAreAcceptedWhenTheyAgree() {
        String both = LLAMA_32_1B.replace("\"rope_theta\": 500000.0,", "\"rope_theta\": 500000.0, \"rope_parameters\": {\"rope_type\":"
                + " \"llama3\", \"rope_theta\": 500000.0, \"factor\": 32.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
                + " \"original_max_position_embeddings\": 8192},");
        assertEquals(LlamaConfig.fromJson(LLAMA_32_1B), LlamaConfig.fromJson(both));
    }

    @Test
    void legacyAndRopeParametersThatDisagreeAreRefused() {
        assertMessage("{\"rope_theta\": 10000.0, \"rope_parameters\": {\"rope_theta\": 500000.0, \"rope_type\": \"default\"}}",
                "fields 'rope_theta' (10000.0) and 'rope_parameters.rope_theta' (500000.0) disagree");
        String scaling = "{\"rope_theta\": 500000.0, \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0},"
                + " \"rope_parameters\": {\"rope_theta\": 500000.0, \"rope_type\": \"llama3\", \"factor\": 32.0}}";
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> LlamaConfig.fromJson(scaling));
        assertTrue(e.getMessage().contains("fields 'rope_scaling' ({\"rope_type\":\"llama3\",\"factor\":8.0,")
                && e.getMessage().contains("and 'rope_parameters' ({\"rope_type\":\"llama3\",\"factor\":32.0,"), e.getMessage());
        assertMessage("{\"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": 2.0},"
                + " \"rope_parameters\": {\"rope_theta\": 10000.0, \"rope_type\": \"default\"}}",
                "fields 'rope_scaling' ({\"rope_type\":\"linear\",\"factor\":2.0}) and 'rope_parameters' ({\"rope_type\":\"default\"})");
    }

    @Test
    void unsupportedRopeParametersAreRefusedNamingTheField() {
        assertMessage("{\"rope_parameters\": {\"rope_theta\": 1000000.0, \"rope_type\": \"yarn\", \"factor\": 4.0}}",
                "field 'rope_parameters.rope_type' is 'yarn'; allowed: " + RopeScaling.ALLOWED_TYPES);
        assertMessage("{\"rope_parameters\": {\"type\": \"dynamic\"}}", "field 'rope_parameters.type' is 'dynamic'");
        assertMessage("{\"rope_scaling\": {\"rope_type\": \"yarn\"}}", "field 'rope_scaling.rope_type' is 'yarn'");
        assertMessage("{\"rope_parameters\": {\"rope_theta\": 10000.0, \"rope_type\": \"default\", \"partial_rotary_factor\": 0.5}}",
                "field 'rope_parameters.partial_rotary_factor' is 0.5; allowed: 1.0");
        assertMessage("{\"rope_theta\": 10000.0, \"partial_rotary_factor\": 0.25}",
                "field 'partial_rotary_factor' is 0.25; allowed: 1.0");
        assertMessage("{\"rope_parameters\": {\"rope_type\": \"linear\", \"factor\": -2.0}}",
                "field 'rope_parameters': rope scaling factor is -2.0");
    }

    @Test
    void writtenConfigHasBothFormsAndReadsBack() {
        for (RopeScaling scaling : new RopeScaling[] {null, new RopeScaling("linear", 2, 1, 4, 8192), new RopeScaling("llama3", 8, 1, 4, 8192)}) {
            LlamaConfig c = TinyLlamas.config().ropeScaling(scaling).build();
            String json = c.toJson();
            assertEquals(c, LlamaConfig.fromJson(json), json);
            JsonObject o = JsonParser.parseString(json).getAsJsonObject();
            JsonObject parameters = o.getAsJsonObject("rope_parameters");
            assertEquals(500000.0, o.get("rope_theta").getAsDouble());
            assertEquals(500000.0, parameters.get("rope_theta").getAsDouble());
            assertEquals(scaling == null ? "default" : scaling.type(), parameters.get("rope_type").getAsString());
            assertEquals(scaling != null, o.has("rope_scaling"), json);
            // each form alone reads to the same config, as transformers 4 and 5 each read their own
            o.remove("rope_parameters");
            assertEquals(c, LlamaConfig.fromJson(o.toString()), "legacy fields only");
            o = JsonParser.parseString(json).getAsJsonObject();
            o.remove("rope_theta");
            o.remove("rope_scaling");
            assertEquals(c, LlamaConfig.fromJson(o.toString()), "rope_parameters only");
        }
    }

    private static void assertMessage(String json, String expected) {
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> LlamaConfig.fromJson(json));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void mistralConfigsReadTheirSlidingWindowAndHaveNoBiases() {
        LlamaConfig windowed = LlamaConfig.fromJson("{\"model_type\": \"mistral\", \"sliding_window\": 4096,"
                + " \"attention_bias\": true, \"num_attention_heads\": 32, \"hidden_size\": 4096}");
        assertEquals("mistral", windowed.modelType());
        assertEquals(4096, windowed.slidingWindow());
        // transformers' Mistral has no bias field: one in the file is ignored, as transformers ignores it
        assertFalse(windowed.attentionBias());
        // MistralConfig's defaults where fields are missing: window 4096, 8 key/value heads, intermediate 14336
        LlamaConfig defaults = LlamaConfig.fromJson("{\"model_type\": \"mistral\"}");
        assertEquals(4096, defaults.slidingWindow());
        assertEquals(8, defaults.numKeyValueHeads());
        assertEquals(14336, defaults.intermediateSize());
        // null (Mistral v0.2 and later): no window
        assertEquals(0, LlamaConfig.fromJson("{\"model_type\": \"mistral\", \"sliding_window\": null}").slidingWindow());
        // Llama has no window, whatever the file says
        assertEquals(0, LlamaConfig.fromJson("{\"model_type\": \"llama\", \"sliding_window\": 8}").slidingWindow());
        assertMessage("{\"model_type\": \"mistral\", \"sliding_window\": 0}", "field 'sliding_window' is 0; allowed: >= 1, or null");
        assertMessage("{\"model_type\": \"qwen3\"}", "field 'model_type' is 'qwen3'; allowed: 'llama', 'mistral' or 'qwen2'");
        for (LlamaConfig c : List.of(windowed, defaults, LlamaConfig.fromJson("{\"model_type\": \"mistral\", \"sliding_window\": null}"))) {
            LlamaConfig again = LlamaConfig.fromJson(c.toJson());
            assertEquals(c, again, "round trip of " + c.toJson());
            assertTrue(c.toJson().contains("\"MistralForCausalLM\""));
        }
    }

    @Test
    void qwen2ConfigsHaveQkvBiasesOnlyAndRefuseTheirSlidingLayers() {
        LlamaConfig q = LlamaConfig.fromJson("{\"model_type\": \"qwen2\", \"use_sliding_window\": false, \"sliding_window\": 4096,"
                + " \"layer_types\": [\"full_attention\", \"full_attention\"], \"num_hidden_layers\": 2,"
                + " \"bos_token_id\": 151643, \"eos_token_id\": 151645}");
        assertEquals("qwen2", q.modelType());
        assertTrue(q.qkvBias(), "q/k/v biases");
        assertFalse(q.attentionBias(), "no o_proj bias");
        assertFalse(q.mlpBias());
        assertEquals(0, q.slidingWindow(), "use_sliding_window false: no window");
        assertEquals(q, LlamaConfig.fromJson(q.toJson()), "round trip of " + q.toJson());
        assertTrue(q.toJson().contains("\"Qwen2ForCausalLM\""));
        assertMessage("{\"model_type\": \"qwen2\", \"use_sliding_window\": true}", "field 'use_sliding_window' is true; allowed: false");
        assertMessage("{\"model_type\": \"qwen2\", \"layer_types\": [\"full_attention\", \"sliding_attention\"]}",
                "field 'layer_types' is \"sliding_attention\"; allowed: 'full_attention' only");
        assertFalse(LlamaConfig.fromJson("{\"model_type\": \"llama\"}").qkvBias());
        assertTrue(LlamaConfig.fromJson("{\"model_type\": \"llama\", \"attention_bias\": true}").qkvBias());
    }
}
