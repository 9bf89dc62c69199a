package org.peft4j.benchmarks.workload;

import org.peft4j.core.PeftModel;
import org.peft4j.lora.LoraConfig;
import org.peft4j.models.bert.BertForSequenceClassification;
import org.peft4j.quant.QuantConfig;
import org.peft4j.quant.QuantType;
import org.peft4j.quant.nn.KbitTraining;
import org.peft4j.quant.nn.ModelQuantizer;

/**
 * QLoRA (Dettmers et al. 2023): every linear layer of the encoder blocks held as NF4 codes with
 * double-quantized statistics (block size 64), the pooler and the classifier kept float32 (as
 * {@code llm_int8_skip_modules} keeps a task head), then LoRA r=8, {@code lora_alpha} 16 on
 * query and value with the classifier in {@code modules_to_save}: the same adapter and the same
 * step as {@code train-lora-r8-qv}, on a 4-bit base. JVM only (the PyTorch fallback has no
 * bitsandbytes).
 *
 * @param id the row id
 * @param title the table label
 */
public record QloraRow(String id, String title) implements BenchmarkRow {

    /** Layers left dense: the pooler and the classifier (whole dotted paths). */
    public static final String KEEP = "(.*\\.)?(pooler|classifier)(\\..*)?";

    /** The quantization of the base: NF4, block size 64, double quantization, {@link #KEEP} dense. */
    public static final QuantConfig QUANT = new QuantConfig(QuantType.NF4, 64, true, KEEP);

    /** The adapter rank (as {@code train-lora-r8-qv}). */
    public static final int RANK = 8;

    /**
     * Returns the row {@code train-qlora-r8-qv}.
     *
     * @return the row
     */
    public static QloraRow r8QueryValue() {
        return new QloraRow("train-qlora-r8-qv", "train: QLoRA (NF4+dq) r=8 query,value");
    }

    @Override
    public RowKind kind() {
        return RowKind.TRAINING;
    }

    @Override
    public PreparedModel prepare(RowContext context) {
        BertForSequenceClassification model = BuiltInRows.loadFrozen(context);
        ModelQuantizer.quantize(model, QUANT);
        KbitTraining.prepare(model);
        LoraConfig config = LoraConfig.builder().r(RANK).loraAlpha(2.0 * RANK).loraDropout(0.0)
                .targetModules(BuiltInRows.QUERY_VALUE.toArray(new String[0]))
                .modulesToSave("classifier").taskType("SEQ_CLS").build();
        PeftModel peft = PeftModel.wrap(model, config);
        BuiltInRows.randomizeLoraB(peft, 0.02f);
        return new PreparedModel(model, peft, model.config());
    }
}
