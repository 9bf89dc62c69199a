package org.peft4j.benchmarks.workload;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;

import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.Adapter;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.lora.LoraAdapter;
import org.peft4j.lora.LoraConfig;
import org.peft4j.models.bert.BertCheckpoints;
import org.peft4j.models.bert.BertForSequenceClassification;
import org.peft4j.models.checkpoint.LoadOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The rows every run has: inference with the base model, with a LoRA adapter unmerged and merged;
 * LoRA training steps (r=8 on query and value; r=16 on all linear layers); full fine-tuning for
 * reference; then QLoRA r=8 on query and value ({@link QloraRow}), LoRA-SB r=16 on the blocks' 36
 * linear layers ({@link LoraSbRow}) and LoLDU on query and value ({@link LolduRow}), which run on
 * the JVM only. LoRA rows use {@code lora_alpha = 2r}, no LoRA dropout, the classifier in {@code
 * modules_to_save} (as PEFT does for sequence classification), and {@code lora_B} drawn from
 * N(0, 0.02) instead of zeros so that the adapter changes the outputs the PyTorch side is checked
 * against (timing does not depend on the values).
 */
public final class BuiltInRows {

    /** The query/value targets of the r=8 rows. */
    public static final List<String> QUERY_VALUE = List.of("query", "value");

    private BuiltInRows() {}

    /**
     * Returns the built-in rows in table order.
     *
     * @return the rows
     */
    public static List<BenchmarkRow> all() {
        return List.of(
                new PlainRow("inference-base", "inference: base model", RowKind.INFERENCE, false),
                new LoraRow("inference-lora-unmerged", "inference: LoRA r=8 q,v unmerged", RowKind.INFERENCE, 8, QUERY_VALUE, false),
                new LoraRow("inference-lora-merged", "inference: LoRA r=8 q,v merged", RowKind.INFERENCE, 8, QUERY_VALUE, true),
                new LoraRow("train-lora-r8-qv", "train: LoRA r=8 query,value", RowKind.TRAINING, 8, QUERY_VALUE, false),
                new LoraRow("train-lora-r16-all-linear", "train: LoRA r=16 all linear", RowKind.TRAINING, 16, List.of("all-linear"), false),
                new PlainRow("train-full", "train: full fine-tuning", RowKind.TRAINING, true),
                QloraRow.r8QueryValue(),
                LoraSbRow.r16AllLinear(),
                LolduRow.queryValue());
    }

    /**
     * Loads the exported classifier with every parameter frozen.
     *
     * @param context the row context
     * @return the model
     */
    public static BertForSequenceClassification loadFrozen(RowContext context) {
        BertForSequenceClassification model =
                BertCheckpoints.loadForSequenceClassification(context.checkpoint(), context.manager(), LoadOptions.strict()).model();
        for (Parameter p : BlockPaths.parameters(model).values()) {
            p.freeze(true);
        }
        return model;
    }

    /**
     * Draws every LoRA {@code lora_B} of the model from N(0, std) with the engine's generator.
     *
     * @param peft the wrapped model
     * @param std the standard deviation
     */
    public static void randomizeLoraB(PeftModel peft, float std) {
        for (AdapterHost h : peft.hosts()) {
            for (Adapter a : h.adapters().values()) {
                if (a instanceof LoraAdapter lora) {
                    NDArray b = lora.loraB().getArray();
                    try (var scratch = b.getManager().newSubManager()) {
                        NDArray r = scratch.randomNormal(0f, std, b.getShape(), DataType.FLOAT32);
                        b.set(r.toType(b.getDataType(), false).toFloatArray());
                    }
                }
            }
        }
    }

    /** A model without adapters: frozen for inference, all trainable for full fine-tuning. */
    private record PlainRow(String id, String title, RowKind kind, boolean trainAll) implements BenchmarkRow {
        @Override
        public PreparedModel prepare(RowContext context) {
            BertForSequenceClassification model = loadFrozen(context);
            if (trainAll) {
                BlockPaths.parameters(model).values().forEach(p -> p.freeze(false));
            }
            return new PreparedModel(model, null, model.config());
        }

        @Override
        public PythonRowSpec python(PreparedModel model, RowContext context) {
            return new PythonRowSpec(null, false, trainAll);
        }
    }

    /** LoRA with {@code alpha = 2r} on the given targets; merged before timing when asked. */
    private record LoraRow(String id, String title, RowKind kind, int rank, List<String> targets, boolean merged)
            implements BenchmarkRow {
        @Override
        public PreparedModel prepare(RowContext context) {
            BertForSequenceClassification model = loadFrozen(context);
            LoraConfig.Builder b = LoraConfig.builder().r(rank).loraAlpha(2.0 * rank).loraDropout(0.0)
                    .modulesToSave("classifier").taskType("SEQ_CLS");
            if (targets.equals(List.of("all-linear"))) {
                b.targetModules(org.peft4j.core.config.TargetModules.allLinear());
            } else {
                b.targetModules(targets.toArray(new String[0]));
            }
            PeftModel peft = PeftModel.wrap(model, b.build());
            randomizeLoraB(peft, 0.02f);
            if (kind == RowKind.INFERENCE) {
                BlockPaths.parameters(model).values().forEach(p -> p.freeze(true));
            }
            if (merged) {
                peft.merge(false);
            }
            return new PreparedModel(model, peft, model.config());
        }

        /** The adapter is saved unmerged; the Python side merges it itself when the row is merged. */
        @Override
        public PythonRowSpec python(PreparedModel model, RowContext context) {
            Path dir = context.workDir().resolve("adapter");
            try {
                model.peft().save(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot save the adapter to " + dir + ": " + e.getMessage(), e);
            }
            return new PythonRowSpec(dir, merged, false);
        }
    }
}
