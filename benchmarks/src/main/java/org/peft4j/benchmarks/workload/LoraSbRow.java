package org.peft4j.benchmarks.workload;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import ai.djl.translate.Batchifier;

import org.peft4j.core.PeftModel;
import org.peft4j.lora.sb.LoraSbConfig;
import org.peft4j.lora.sb.UpdateEstimate;
import org.peft4j.lora.sb.UpdateEstimator;
import org.peft4j.models.bert.BertForSequenceClassification;

import java.util.ArrayList;
import java.util.List;

/**
 * LoRA-SB r=16 on all 36 linear layers of MiniLM's six blocks ({@code query}, {@code key}, {@code
 * value}, {@code attention.output.dense}, {@code intermediate.dense}, {@code output.dense}), the
 * classifier in {@code modules_to_save}. Its initialisation (the gradient of the cross-entropy
 * summed over {@value #ESTIMATION_BATCHES} workload-shaped batches of {@value MiniLmWorkload#BATCH}
 * x {@value MiniLmWorkload#SEQ_LEN} tokens, then a rank-16 SVD per layer) is part of {@link
 * #prepare}, not of the timed step: a step trains only the {@code 16 x 16} matrices {@code R}.
 *
 * @param id the row id
 * @param title the table label
 */
public record LoraSbRow(String id, String title) implements BenchmarkRow {

    /** The adapted layers of each block (suffixes of their paths). */
    public static final String[] ALL_BLOCK_LINEARS = {"query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"};

    /** The rank. */
    public static final int RANK = 16;

    /** Batches the update is estimated from (each drawn with its own seed, unlike the timed batch). */
    public static final int ESTIMATION_BATCHES = 2;

    /**
     * Returns the row {@code train-lora-sb-r16-all}.
     *
     * @return the row
     */
    public static LoraSbRow r16AllLinear() {
        return new LoraSbRow("train-lora-sb-r16-all", "train: LoRA-SB r=16 all linear");
    }

    @Override
    public RowKind kind() {
        return RowKind.TRAINING;
    }

    @Override
    public PreparedModel prepare(RowContext context) {
        BertForSequenceClassification model = BuiltInRows.loadFrozen(context);
        LoraSbConfig config = LoraSbConfig.builder().r(RANK).targetModules(ALL_BLOCK_LINEARS).modulesToSave("classifier")
                .taskType("SEQ_CLS").numSamples(ESTIMATION_BATCHES * MiniLmWorkload.BATCH).build();
        List<Batch> batches = new ArrayList<>();
        for (int i = 0; i < ESTIMATION_BATCHES; i++) {
            WorkloadInputs in = WorkloadInputs.random(MiniLmWorkload.BATCH, MiniLmWorkload.SEQ_LEN, model.config().vocabSize(),
                    MiniLmWorkload.LABELS, context.seed() + 1 + i);
            NDManager bm = context.manager().newSubManager();
            batches.add(new Batch(bm, in.toNDList(bm), new NDList(in.labels(bm)), in.batch(), Batchifier.STACK, Batchifier.STACK, i,
                    ESTIMATION_BATCHES));
        }
        PeftModel peft;
        try (UpdateEstimate estimate = UpdateEstimator.estimate(model, config, batches.iterator(), new LogitsLoss(), null)) {
            peft = PeftModel.wrap(model, config.withUpdateEstimate(estimate));
        }
        return new PreparedModel(model, peft, model.config());
    }
}
