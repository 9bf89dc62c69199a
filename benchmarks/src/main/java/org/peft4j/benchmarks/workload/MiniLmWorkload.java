package org.peft4j.benchmarks.workload;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.peft4j.core.io.AtomicFiles;
import org.peft4j.core.io.SafetensorsWriter;
import org.peft4j.models.bert.BertCheckpoints;
import org.peft4j.models.bert.BertConfig;
import org.peft4j.models.bert.BertForSequenceClassification;
import org.peft4j.models.checkpoint.HfCheckpoints;
import org.peft4j.models.pretrained.PretrainedModels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The end-to-end workload: all-MiniLM-L6-v2 (6 layers, hidden 384, 12 heads, FFN 1536) as a
 * two-class {@code BertForSequenceClassification}, batch {@value #BATCH} x {@value #SEQ_LEN} tokens.
 *
 * <p>The classifier is exported once as a Hugging Face folder (encoder from the embedded ONNX
 * weights, pooler and classifier drawn with seed {@value #SEED}), and every row and the PyTorch side
 * load that same folder, so both sides start from identical weights.
 */
public final class MiniLmWorkload {

    /** Sequences per step. */
    public static final int BATCH = 32;
    /** Tokens per sequence. */
    public static final int SEQ_LEN = 128;
    /** Classes of the classifier. */
    public static final int LABELS = 2;
    /** Seed of the new heads, the inputs and adapter initialisation. */
    public static final long SEED = 42;

    private static final String STAMP = "peft4j-benchmark-checkpoint";
    private static final String STAMP_TEXT = "all-MiniLM-L6-v2 classifier, labels=" + LABELS + ", seed=" + SEED + "\n";

    private MiniLmWorkload() {}

    /**
     * Exports the classifier into {@code dir} unless an export with the same settings is there.
     *
     * @param dir the folder
     * @return {@code dir}
     * @throws UncheckedIOException if the folder cannot be written
     */
    public static Path exportCheckpoint(Path dir) {
        try {
            Path stamp = dir.resolve(STAMP);
            if (Files.isRegularFile(stamp) && Files.readString(stamp).equals(STAMP_TEXT)
                    && Files.isRegularFile(dir.resolve(HfCheckpoints.CONFIG_FILE))) {
                return dir;
            }
            Engine.getInstance().setRandomSeed((int) SEED);
            try (NDManager manager = NDManager.newBaseManager()) {
                BertForSequenceClassification model =
                        PretrainedModels.miniLmL6V2ForSequenceClassification(manager, LABELS, null).model();
                BertCheckpoints.save(dir, model);
            }
            AtomicFiles.writeString(stamp, STAMP_TEXT);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot export the benchmark checkpoint to " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Returns the config of the exported classifier.
     *
     * @param checkpoint the exported folder
     * @return its config
     */
    public static BertConfig config(Path checkpoint) {
        return BertConfig.fromFile(HfCheckpoints.configFile(checkpoint));
    }

    /**
     * Returns the fixed input batch.
     *
     * @param config the model config (for the vocabulary size)
     * @return {@value #BATCH} x {@value #SEQ_LEN} tokens with seed {@value #SEED}
     */
    public static WorkloadInputs inputs(BertConfig config) {
        return inputs(config, BATCH, SEQ_LEN);
    }

    /**
     * Returns a fixed input batch of another shape, drawn the same way with seed {@value #SEED}.
     *
     * @param config the model config (for the vocabulary size)
     * @param batch sequences {@code B}, at least 1
     * @param seqLen tokens per sequence {@code T}, at least 2 and at most the model's position limit
     * @return {@code B x T} tokens
     * @throws IllegalArgumentException if a size is out of range
     */
    public static WorkloadInputs inputs(BertConfig config, int batch, int seqLen) {
        if (seqLen > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("seqLen " + seqLen + " exceeds the model's max_position_embeddings "
                    + config.maxPositionEmbeddings());
        }
        return WorkloadInputs.random(batch, seqLen, config.vocabSize(), LABELS, SEED);
    }

    /**
     * Writes a batch as safetensors ({@code input_ids}, {@code attention_mask}, {@code
     * token_type_ids} {@code [B, T]} and {@code labels} {@code [B]}, all int64) for the Python side.
     *
     * @param file the target file
     * @param inputs the batch
     * @throws UncheckedIOException if the file cannot be written
     */
    public static void writeInputs(Path file, WorkloadInputs inputs) {
        try (NDManager m = NDManager.newBaseManager()) {
            var list = inputs.toNDList(m);
            Map<String, NDArray> t = new LinkedHashMap<>();
            t.put("input_ids", list.get(0));
            t.put("attention_mask", list.get(1));
            t.put("token_type_ids", list.get(2));
            t.put("labels", inputs.labels(m).reshape(new Shape(inputs.batch())));
            SafetensorsWriter.save(file, t, Map.of("format", "pt"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
