/**
 * LoRA-SB: the LoRA-XS architecture initialised from the truncated SVD of an estimate of the first
 * full fine-tuning update, {@code −η_eff·sign(G)}, with {@code G} the task-loss gradient summed
 * over a few training samples ({@code peft_type} {@code LORA_SB}). {@link
 * org.peft4j.lora.sb.UpdateEstimator} computes the estimate from a model, training batches and a
 * loss; {@link org.peft4j.lora.sb.LoraSbConfig#withUpdateEstimate} hands it to the method.
 *
 * <pre>{@code
 * LoraSbConfig config = LoraSbConfig.builder().r(16).targetModules("query", "value")
 *         .modulesToSave("classifier").numSamples(64).estimationSchedule(1e-3, 10).build();
 * PeftModel peft = UpdateEstimator.wrap(model, config, trainBatches, Loss.softmaxCrossEntropyLoss());
 * }</pre>
 */
package org.peft4j.lora.sb;
