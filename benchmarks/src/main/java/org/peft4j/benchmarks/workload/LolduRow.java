package org.peft4j.benchmarks.workload;

import org.peft4j.core.PeftModel;
import org.peft4j.lora.loldu.LolduConfig;
import org.peft4j.models.bert.BertForSequenceClassification;

/**
 * LoLDU on query and value at {@code r = 384}, MiniLM's full rank (the rank of {@code
 * docs/methods/loldu.md} and of the methods' miniature): trainable are {@code z} ({@code r}
 * values) and {@code σ} per matrix, 12 x 385 = 4,620 values, plus the classifier in {@code
 * modules_to_save}. The pivoted LU of each target runs in {@link #prepare}, not in the step.
 *
 * @param id the row id
 * @param title the table label
 */
public record LolduRow(String id, String title) implements BenchmarkRow {

    /** The rank: MiniLM's hidden size, so every pivot is adapted. */
    public static final int RANK = 384;

    /**
     * Returns the row {@code train-loldu-qv}.
     *
     * @return the row
     */
    public static LolduRow queryValue() {
        return new LolduRow("train-loldu-qv", "train: LoLDU r=384 query,value");
    }

    @Override
    public RowKind kind() {
        return RowKind.TRAINING;
    }

    @Override
    public PreparedModel prepare(RowContext context) {
        BertForSequenceClassification model = BuiltInRows.loadFrozen(context);
        PeftModel peft = PeftModel.wrap(model, LolduConfig.builder().r(RANK).targetModules(BuiltInRows.QUERY_VALUE.toArray(new String[0]))
                .modulesToSave("classifier").taskType("SEQ_CLS").build());
        return new PreparedModel(model, peft, model.config());
    }
}
