package org.peft4j.core.config;

import org.peft4j.core.config.PeftConfig.Common;

import java.util.ArrayList;
import java.util.List;

/**
 * The fields every method's config shares ({@code target_modules} and the other target fields, {@code
 * modules_to_save}, {@code bias}, {@code task_type}, {@code base_model_name_or_path}, {@code inference_mode}),
 * as the base of a method config's builder. {@code B} is the concrete builder, so that every setter returns it
 * and calls chain across the shared and the method's own setters.
 *
 * @param <B> the concrete builder
 */
public abstract class CommonFieldsBuilder<B extends CommonFieldsBuilder<B>> {

    private Common common;
    private TargetSpec targets;
    private List<String> modulesToSave;
    private BiasMode bias = BiasMode.NONE;
    private String taskType;
    private String baseModel;
    private boolean inferenceMode;

    /**
     * Returns this builder as its concrete type, for the setters of a subclass to return.
     *
     * @return this
     */
    @SuppressWarnings("unchecked")
    protected final B self() {
        return (B) this;
    }

    /**
     * Starts from the shared fields of an existing config (replacing whatever the shared setters set so far).
     *
     * @param common the shared fields
     * @return this
     */
    public B common(Common common) {
        this.common = common;
        return self();
    }

    /**
     * Sets {@code target_modules} as names.
     *
     * @param names names matched exactly or as whole-segment suffixes
     * @return this
     */
    public B targetModules(String... names) {
        return targets(TargetSpec.of(TargetModules.names(names)));
    }

    /**
     * Sets all target fields.
     *
     * @param spec {@code target_modules}, {@code exclude_modules}, {@code layers_to_transform},
     *     {@code layers_pattern}
     * @return this
     */
    public B targets(TargetSpec spec) {
        this.targets = spec;
        common = null;
        return self();
    }

    /**
     * Sets {@code modules_to_save}.
     *
     * @param modules modules trained and saved whole (e.g. a new classifier head)
     * @return this
     */
    public B modulesToSave(String... modules) {
        this.modulesToSave = List.of(modules);
        common = null;
        return self();
    }

    /**
     * Sets {@code bias}.
     *
     * @param bias which base biases train
     * @return this
     */
    public B bias(BiasMode bias) {
        this.bias = bias;
        common = null;
        return self();
    }

    /**
     * Sets {@code task_type}; {@code "SEQ_CLS"} adds {@code classifier} and {@code score} to
     * {@code modules_to_save}, as PEFT does.
     *
     * @param taskType the task type
     * @return this
     */
    public B taskType(String taskType) {
        this.taskType = taskType;
        common = null;
        return self();
    }

    /**
     * Sets {@code base_model_name_or_path}.
     *
     * @param name informational base model name
     * @return this
     */
    public B baseModelNameOrPath(String name) {
        this.baseModel = name;
        common = null;
        return self();
    }

    /**
     * Sets {@code inference_mode}.
     *
     * @param mode whether the adapter is frozen
     * @return this
     */
    public B inferenceMode(boolean mode) {
        this.inferenceMode = mode;
        common = null;
        return self();
    }

    /**
     * Validates and returns the shared fields: those given to {@link #common(Common)} if no shared setter
     * was called after it, else the ones set.
     *
     * @return the shared fields
     * @throws IllegalArgumentException if no target was given
     */
    protected Common buildCommon() {
        if (common != null) {
            return common;
        }
        if (targets == null) {
            throw new IllegalArgumentException("target_modules: required; give names (e.g. \"query\", \"value\"), a regex, or \"all-linear\"");
        }
        List<String> save = new ArrayList<>(modulesToSave == null ? List.of() : modulesToSave);
        if ("SEQ_CLS".equals(taskType)) {
            save.add("classifier");
            save.add("score");
        }
        return new Common(taskType, baseModel, null, inferenceMode, targets, save, bias);
    }
}
