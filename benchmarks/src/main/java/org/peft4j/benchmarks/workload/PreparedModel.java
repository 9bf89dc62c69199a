package org.peft4j.benchmarks.workload;

import ai.djl.nn.Block;

import org.peft4j.core.PeftModel;
import org.peft4j.models.bert.BertConfig;

/**
 * A model built by a row, ready to time.
 *
 * @param block the model: inputs {@code NDList(input_ids, attention_mask, token_type_ids)}, logits
 *     {@code [B, labels]} as the last output
 * @param peft the adapter wrapper, or null for a plain model
 * @param config the encoder config (for FLOP counting)
 */
public record PreparedModel(Block block, PeftModel peft, BertConfig config) {}
