package org.peft4j.lora.reliability;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.peft4j.core.NoTargetMatchedException;
import org.peft4j.core.PeftException;
import org.peft4j.core.PeftModel;
import org.peft4j.core.format.AdapterFiles;
import org.peft4j.core.testing.TinyNet;
import org.peft4j.lora.LoraConfig;
import org.peft4j.lora.LoraInit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Every invalid config value, given through the builder, through {@code PeftModel} or in adapter_config.json, fails
 * with a typed exception whose message names the field and what is allowed (the allowed values, the allowed range,
 * the expected JSON type, or the layers that exist).
 */
class ConfigErrorMessagesTest {

    /** A valid config that each JSON case changes in one field. */
    private static final String VALID = "{\"peft_type\": \"LORA\", \"target_modules\": [\"query\", \"value\"]%s}";

    @TempDir
    static Path dir;
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        Engine.getInstance().setRandomSeed(11);
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /**
     * One invalid value.
     *
     * @param what the value, as the test name
     * @param action what fails
     * @param type the exception it must throw
     * @param mentions substrings the message must hold: the field and what is allowed
     */
    record BadValue(String what, Executable action, Class<? extends Throwable> type, List<String> mentions) {
        @Override
        public String toString() {
            return what;
        }
    }

    static List<BadValue> badValues() {
        List<BadValue> cases = new ArrayList<>();
        // builder values (IllegalArgumentException from the one validating constructor)
        builder(cases, "r 0", () -> lora().r(0).build(), "r:", "positive integer");
        builder(cases, "r -3", () -> lora().r(-3).build(), "r:", "positive integer");
        builder(cases, "lora_dropout 1.0", () -> lora().loraDropout(1.0).build(), "lora_dropout", "[0, 1)");
        builder(cases, "lora_dropout -0.1", () -> lora().loraDropout(-0.1).build(), "lora_dropout", "[0, 1)");
        builder(cases, "lora_dropout NaN", () -> lora().loraDropout(Double.NaN).build(), "lora_dropout", "[0, 1)");
        builder(cases, "lora_alpha infinite", () -> lora().loraAlpha(Double.POSITIVE_INFINITY).build(),
                "lora_alpha", "finite number");
        builder(cases, "no target_modules", () -> LoraConfig.builder().build(), "target_modules", "all-linear");
        builder(cases, "blank target name", () -> lora().targetModules("query", " ").build(), "target_modules",
                "non-empty strings");
        builder(cases, "invalid target regex", () -> lora().targetModulesRegex("(query").build(), "target_modules",
                "invalid regular expression");
        builder(cases, "layers_pattern without layers_to_transform", () -> lora().layersPattern("layer").build(),
                "layers_pattern", "requires layers_to_transform");
        builder(cases, "regex target with layers_to_transform",
                () -> lora().targetModulesRegex(".*query").layersToTransform(0).build(), "layers_to_transform",
                "target_modules is a regex", "as a list");
        builder(cases, "regex target with layers_pattern",
                () -> lora().targetModulesRegex(".*query").layersPattern("layer").build(), "layers_pattern",
                "target_modules is a regex", "as a list");
        builder(cases, "negative layer index", () -> lora().layersToTransform(-1).build(), "layers_to_transform",
                ">= 0");
        builder(cases, "task_type CLASSIFY", () -> lora().taskType("CLASSIFY").build(), "task_type", "SEQ_CLS",
                "CAUSAL_LM", "TOKEN_CLS");
        builder(cases, "rank_pattern rank 0", () -> lora().rankPattern("query", 0).build(), "rank_pattern.query",
                "positive integers");
        builder(cases, "alpha_pattern NaN", () -> lora().alphaPattern("query", Double.NaN).build(),
                "alpha_pattern.query", "finite number");
        builder(cases, "lora_bias with gaussian init",
                () -> lora().loraBias(true).initLoraWeights(LoraInit.GAUSSIAN).build(), "lora_bias",
                "init_lora_weights true or false");
        // wrapping
        cases.add(new BadValue("target that matches no layer", () -> PeftModel.wrap(net(),
                LoraConfig.builder().targetModules("q_proj").build()), NoTargetMatchedException.class,
                List.of("Target modules [q_proj] not found", "encoder.layer.0.attention.self.query")));
        cases.add(new BadValue("layers_to_transform beyond the model", () -> PeftModel.wrap(net(),
                lora().layersToTransform(7).layersPattern("layer").build()), NoTargetMatchedException.class,
                List.of("layers_to_transform=[7]", "layers_pattern=[layer]", "encoder.layer.0.attention.self.query")));
        cases.add(new BadValue("adapter name with a slash", () -> PeftModel.wrap(net(), "a/b", lora().build()),
                PeftException.class, List.of("adapter name 'a/b'", "letters, digits, '_' and '-'")));
        // adapter_config.json (IOException naming the file, then the field)
        json(cases, "\"bias\": \"some\"", "bias", "none, all, lora_only");
        json(cases, "\"bias\": 5", "bias", "expected a string");
        json(cases, "\"task_type\": \"FOO\"", "task_type", "SEQ_CLS", "CAUSAL_LM");
        json(cases, "\"init_lora_weights\": \"corda\"", "init_lora_weights", "true, false, \"gaussian\"");
        json(cases, "\"init_lora_weights\": 5", "init_lora_weights", "true, false, \"gaussian\"");
        json(cases, "\"init_lora_weights\": []", "init_lora_weights", "true, false, \"gaussian\"");
        json(cases, "\"init_lora_weights\": {}", "init_lora_weights", "true, false, \"gaussian\"");
        json(cases, "\"r\": \"8\"", "r:", "expected an integer");
        json(cases, "\"r\": 8.5", "r:", "expected an integer");
        json(cases, "\"r\": 1e10", "r:", "expected an integer");
        json(cases, "\"r\": 0", "r:", "positive integer");
        json(cases, "\"lora_alpha\": \"x\"", "lora_alpha", "expected a number");
        json(cases, "\"lora_alpha\": 1e999", "lora_alpha", "finite number");
        json(cases, "\"lora_dropout\": 1.5", "lora_dropout", "[0, 1)");
        json(cases, "\"lora_dropout\": true", "lora_dropout", "expected a number");
        json(cases, "\"use_rslora\": \"yes\"", "use_rslora", "true or false");
        json(cases, "\"inference_mode\": 0", "inference_mode", "true or false");
        json(cases, "\"lora_bias\": 1", "lora_bias", "true or false");
        jsonReplacing(cases, "\"peft_type\": \"LORA\", \"target_modules\": 5", "target_modules",
                "a list of names or a regex string");
        jsonReplacing(cases, "\"peft_type\": \"LORA\", \"target_modules\": [1]", "target_modules",
                "must be strings");
        jsonReplacing(cases, "\"peft_type\": \"LORA\", \"target_modules\": null", "target_modules",
                "all-linear");
        json(cases, "\"exclude_modules\": {}", "exclude_modules", "a list of names or a regex string");
        json(cases, "\"layers_to_transform\": \"1\"", "layers_to_transform", "an integer or a list of integers");
        json(cases, "\"layers_to_transform\": [1e10]", "layers_to_transform", "an integer or a list of integers");
        json(cases, "\"layers_to_transform\": [0.5]", "layers_to_transform", "an integer or a list of integers");
        json(cases, "\"layers_pattern\": \"layer\"", "layers_pattern", "requires layers_to_transform");
        jsonReplacing(cases, "\"peft_type\": \"LORA\", \"target_modules\": \".*query\", \"layers_to_transform\": [0]",
                "layers_to_transform", "target_modules is a regex", "as a list");
        json(cases, "\"modules_to_save\": 5", "modules_to_save", "a list of strings");
        json(cases, "\"rank_pattern\": []", "rank_pattern", "an object of numbers");
        json(cases, "\"rank_pattern\": {\"query\": 2.5}", "rank_pattern.query", "positive integers");
        json(cases, "\"rank_pattern\": {\"query\": 4294967297}", "rank_pattern.query", "positive integers");
        json(cases, "\"rank_pattern\": {\"query\": \"2\"}", "rank_pattern.query", "expected a number");
        json(cases, "\"alpha_pattern\": {\"query\": 1e999}", "alpha_pattern.query", "finite number");
        json(cases, "\"use_dora\": true, \"lora_bias\": true", "lora_bias", "use_dora");
        json(cases, "\"use_dora\": 1", "use_dora");
        json(cases, "\"fan_in_fan_out\": true", "fan_in_fan_out", "only false");
        json(cases, "\"layer_replication\": [[0, 1]]", "layer_replication", "allowed value: null");
        // PEFT's LoRA variants and other targets, written by PEFT 0.21.0 with these defaults when unused
        json(cases, "\"use_qalora\": true", "use_qalora", "QALoRA", "not supported", "null, false or empty");
        json(cases, "\"trainable_token_indices\": [5, 7]", "trainable_token_indices", "trainable tokens", "not supported");
        json(cases, "\"target_parameters\": [\"experts.gate_up_proj\"]", "target_parameters", "nn.Parameter", "not supported");
        json(cases, "\"alora_invocation_tokens\": [101, 102]", "alora_invocation_tokens", "aLoRA", "not supported");
        json(cases, "\"arrow_config\": {\"top_k\": 3}", "arrow_config", "Arrow", "not supported");
        json(cases, "\"velora_config\": {\"rank\": 2}", "velora_config", "VeLoRA", "not supported");
        json(cases, "\"monteclora_config\": {\"n\": 2}", "monteclora_config", "MonteCLoRA", "not supported");
        json(cases, "\"use_bdlora\": true", "use_bdlora", "BD-LoRA", "not supported");
        json(cases, "\"kasa_config\": {\"k\": 1}", "kasa_config", "KaSA", "not supported");
        jsonReplacing(cases, "\"peft_type\": \"NOPE\", \"target_modules\": [\"query\"]", "peft_type 'NOPE'",
                "registered: [", "LORA");
        jsonReplacing(cases, "\"peft_type\": 5, \"target_modules\": [\"query\"]", "peft_type", "expected a string");
        jsonReplacing(cases, "\"target_modules\": [\"query\"]", "peft_type is missing", "\"LORA\"");
        cases.add(new BadValue("document that is a list", () -> readConfig("[]"), IOException.class,
                List.of(AdapterFiles.CONFIG_FILE, "expected a JSON object")));
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badValues")
    void messageNamesTheFieldAndWhatIsAllowed(BadValue bad) {
        Throwable error = assertThrows(bad.type(), bad.action());
        String message = error.getMessage();
        for (String mention : bad.mentions()) {
            assertTrue(message.contains(mention), "message must mention '" + mention + "': " + message);
        }
        if (error instanceof IOException) {
            assertTrue(message.contains(AdapterFiles.CONFIG_FILE), "a file error names the file: " + message);
        }
    }

    private static LoraConfig.Builder lora() {
        return LoraConfig.builder().targetModules("query", "value");
    }

    private static TinyNet net() {
        return new TinyNet(manager, 8, 2, 2);
    }

    private static void builder(List<BadValue> cases, String what, Executable action, String... mentions) {
        cases.add(new BadValue(what, action, IllegalArgumentException.class, List.of(mentions)));
    }

    /** A valid config plus one more field (a later duplicate of a field replaces it). */
    private static void json(List<BadValue> cases, String field, String... mentions) {
        cases.add(new BadValue("json " + field, () -> readConfig(String.format(VALID, ", " + field)),
                IOException.class, List.of(mentions)));
    }

    /** A config made only of the given fields. */
    private static void jsonReplacing(List<BadValue> cases, String fields, String... mentions) {
        cases.add(new BadValue("json " + fields, () -> readConfig("{" + fields + "}"), IOException.class,
                List.of(mentions)));
    }

    private static void readConfig(String text) throws IOException {
        Path folder = Files.createTempDirectory(dir, "config");
        Files.writeString(folder.resolve(AdapterFiles.CONFIG_FILE), text);
        AdapterFiles.readConfig(folder);
    }
}
