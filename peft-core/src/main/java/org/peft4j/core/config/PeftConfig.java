package org.peft4j.core.config;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The fields every adapter method shares, with PEFT's names: {@code peft_type}, {@code task_type},
 * {@code base_model_name_or_path}, {@code revision}, {@code inference_mode}, the target fields
 * ({@link TargetSpec}), {@code modules_to_save} and {@code bias}. A method's config extends this with
 * its own fields; instances are immutable and validated on construction.
 */
public abstract class PeftConfig {

    /**
     * The shared fields.
     *
     * @param taskType PEFT task type ({@code "SEQ_CLS"}, {@code "CAUSAL_LM"}, ...) or null
     * @param baseModelNameOrPath informational name of the base model, or null
     * @param revision informational revision, or null
     * @param inferenceMode whether the adapter is loaded frozen
     * @param targets which layers are adapted
     * @param modulesToSave whole modules trained and saved beside the adapter (e.g. {@code
     *     classifier}), or an empty list
     * @param bias which base biases are trained
     */
    public record Common(
            String taskType,
            String baseModelNameOrPath,
            String revision,
            boolean inferenceMode,
            TargetSpec targets,
            List<String> modulesToSave,
            BiasMode bias) {

        /** Validates and copies. */
        public Common {
            if (targets == null) {
                throw new IllegalArgumentException("target_modules: required");
            }
            modulesToSave = modulesToSave == null ? List.of() : List.copyOf(new java.util.LinkedHashSet<>(modulesToSave));
            bias = bias == null ? BiasMode.NONE : bias;
            if (taskType != null && !TASK_TYPES.contains(taskType)) {
                throw new IllegalArgumentException("task_type: '" + taskType + "' is not allowed; allowed values: " + TASK_TYPES + " or null");
            }
        }

        /**
         * Returns a copy with a different inference mode.
         *
         * @param mode the mode
         * @return the copy
         */
        public Common withInferenceMode(boolean mode) {
            return new Common(taskType, baseModelNameOrPath, revision, mode, targets, modulesToSave, bias);
        }

        /**
         * Returns a copy with other targets.
         *
         * @param t the targets
         * @return the copy
         */
        public Common withTargets(TargetSpec t) {
            return new Common(taskType, baseModelNameOrPath, revision, inferenceMode, t, modulesToSave, bias);
        }

        /**
         * Reads the shared fields from adapter_config.json.
         *
         * @param f the fields
         * @return the common part
         */
        public static Common fromJson(JsonFields f) {
            TargetModules targets = TargetModules.fromJson("target_modules", f.raw("target_modules"));
            if (targets == null) {
                throw new IllegalArgumentException("target_modules: missing; a list of names, a regex string or \"all-linear\" is required");
            }
            TargetModules exclude = TargetModules.fromJson("exclude_modules", f.raw("exclude_modules"));
            TargetSpec spec = new TargetSpec(targets, exclude, f.intList("layers_to_transform"), f.stringList("layers_pattern"));
            return new Common(
                    f.string("task_type", null),
                    f.string("base_model_name_or_path", null),
                    f.string("revision", null),
                    f.bool("inference_mode", false),
                    spec,
                    f.stringList("modules_to_save"),
                    BiasMode.fromJson(f.string("bias", "none")));
        }
    }

    /** PEFT's task types. */
    public static final List<String> TASK_TYPES =
            List.of("SEQ_CLS", "SEQ_2_SEQ_LM", "CAUSAL_LM", "TOKEN_CLS", "QUESTION_ANS", "FEATURE_EXTRACTION");

    private final Common common;

    /**
     * Creates the shared part.
     *
     * @param common the shared fields
     */
    protected PeftConfig(Common common) {
        this.common = common;
    }

    /**
     * Returns the method's {@code peft_type}, e.g. {@code "LORA"}.
     *
     * @return the type
     */
    public abstract String peftType();

    /**
     * Returns a copy with other shared fields.
     *
     * @param common the new shared fields
     * @return the copy
     */
    public abstract PeftConfig withCommon(Common common);

    /**
     * Writes the method's own fields.
     *
     * @param out the sorted field map to add to
     */
    protected abstract void writeMethodFields(Map<String, JsonElement> out);

    /**
     * Returns the shared fields.
     *
     * @return them
     */
    public final Common common() {
        return common;
    }

    /**
     * Returns the target fields.
     *
     * @return the spec
     */
    public final TargetSpec targets() {
        return common.targets();
    }

    /**
     * Returns {@code modules_to_save}.
     *
     * @return the module names
     */
    public final List<String> modulesToSave() {
        return common.modulesToSave();
    }

    /**
     * Returns the {@code bias} mode.
     *
     * @return the mode
     */
    public final BiasMode bias() {
        return common.bias();
    }

    /**
     * Returns the adapter_config.json object, keys sorted as PEFT writes them ({@code
     * json.dumps(sort_keys=True)}).
     *
     * @return the JSON object
     */
    public final JsonObject toJson() {
        Map<String, JsonElement> m = new TreeMap<>();
        m.put("peft_type", new JsonPrimitive(peftType()));
        m.put("task_type", str(common.taskType()));
        m.put("auto_mapping", JsonNull.INSTANCE);
        m.put("base_model_name_or_path", str(common.baseModelNameOrPath()));
        m.put("revision", str(common.revision()));
        m.put("inference_mode", new JsonPrimitive(true));
        m.put("target_modules", common.targets().targetModules().toJson());
        if (common.targets().excludeModules() != null) {
            m.put("exclude_modules", common.targets().excludeModules().toJson());
        }
        m.put("layers_to_transform", common.targets().layersToTransform() == null ? JsonNull.INSTANCE : intArray(common.targets().layersToTransform()));
        List<String> lp = common.targets().layersPattern();
        m.put("layers_pattern", lp == null ? JsonNull.INSTANCE : lp.size() == 1 ? new JsonPrimitive(lp.get(0)) : strArray(lp));
        m.put("modules_to_save", common.modulesToSave().isEmpty() ? JsonNull.INSTANCE : strArray(common.modulesToSave()));
        m.put("bias", new JsonPrimitive(common.bias().json()));
        writeMethodFields(m);
        JsonObject o = new JsonObject();
        m.forEach(o::add);
        return o;
    }

    /**
     * A JSON string or null.
     *
     * @param s the value
     * @return the element
     */
    protected static JsonElement str(String s) {
        return s == null ? JsonNull.INSTANCE : new JsonPrimitive(s);
    }

    /**
     * A JSON array of strings.
     *
     * @param values the values
     * @return the array
     */
    protected static JsonArray strArray(List<String> values) {
        JsonArray a = new JsonArray();
        values.forEach(a::add);
        return a;
    }

    private static JsonArray intArray(List<Integer> values) {
        JsonArray a = new JsonArray();
        values.forEach(a::add);
        return a;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + toJson();
    }
}
