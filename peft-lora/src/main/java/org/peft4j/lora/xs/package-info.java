/**
 * LoRA-XS: {@code W' = W + s·B·R·A} with {@code B}, {@code A} from the truncated SVD of the frozen
 * weight and only the {@code r × r} matrix {@code R} trained ({@code peft_type} {@code LORA_XS}).
 * {@link org.peft4j.lora.xs.LoraXsAdapter} is also LoRA-SB's adapter.
 *
 * <pre>{@code
 * PeftModel peft = PeftModel.wrap(model, LoraXsConfig.builder().r(16)
 *         .targetModules("query", "value").modulesToSave("classifier").build());
 * }</pre>
 */
package org.peft4j.lora.xs;
