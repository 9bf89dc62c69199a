/**
 * LoLDU: the pivoted LDU decomposition {@code W = P·L·diag(D)·U} of the frozen weight, with only a
 * diagonal {@code z} of {@code r} values (and optionally one scale {@code σ}) trained ({@code
 * peft_type} {@code LOLDU}).
 *
 * <pre>{@code
 * PeftModel peft = PeftModel.wrap(model, LolduConfig.builder().r(384)
 *         .targetModules("query", "value").modulesToSave("classifier").build());
 * }</pre>
 */
package org.peft4j.lora.loldu;
