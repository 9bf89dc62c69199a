package org.peft4j.examples.quickstart;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

import org.peft4j.examples.data.LabelledText;
import org.peft4j.examples.data.LabelledTextSet;
import org.peft4j.examples.train.BatchEncoder;
import org.peft4j.models.bert.BertSentenceEmbedder;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Mean-pooled sentence vectors of a frozen encoder, computed once per text. A head-only baseline
 * trains on them: the encoder is frozen, so its output never changes and recomputing it every epoch
 * would only cost time.
 */
final class EncoderFeatures implements BatchEncoder {

    private final Map<String, float[]> byText = new HashMap<>();
    private final int hidden;

    private EncoderFeatures(int hidden) {
        this.hidden = hidden;
    }

    /**
     * Runs the encoder once over every text of the given sets.
     *
     * @param bert the frozen encoder
     * @param tokens the tokenizer
     * @param hidden the hidden size
     * @param manager the owner of temporaries
     * @param sets the data sets
     * @return the features
     */
    static EncoderFeatures compute(Block bert, BatchEncoder tokens, int hidden, NDManager manager, LabelledTextSet... sets) {
        EncoderFeatures f = new EncoderFeatures(hidden);
        List<String> todo = new ArrayList<>();
        for (LabelledTextSet s : sets) {
            for (LabelledText t : s.items()) {
                if (!f.byText.containsKey(t.text())) {
                    f.byText.put(t.text(), null);
                    todo.add(t.text());
                }
            }
        }
        ai.djl.training.util.ProgressBar bar = new ai.djl.training.util.ProgressBar("features", todo.size());
        bar.start(0);
        for (int start = 0; start < todo.size(); start += 64) {
            List<String> batch = todo.subList(start, Math.min(todo.size(), start + 64));
            try (NDManager sm = manager.newSubManager()) {
                NDList in = tokens.encode(batch, sm);
                NDArray hiddenStates = bert.forward(new ParameterStore(sm, false), in, false).get(0);
                float[] pooled = BertSentenceEmbedder.meanPool(hiddenStates, in.get(1), false).toFloatArray();
                for (int i = 0; i < batch.size(); i++) {
                    float[] row = new float[hidden];
                    System.arraycopy(pooled, i * hidden, row, 0, hidden);
                    f.byText.put(batch.get(i), row);
                }
            }
            bar.update(Math.min(todo.size(), start + 64) - 1); // the 0-based index of the last text done, as DJL's bar expects
        }
        bar.end();
        return f;
    }

    /** Returns {@code NDList([B, hidden])} of the cached vectors of the texts. */
    @Override
    public NDList encode(List<String> texts, NDManager manager) {
        float[] data = new float[texts.size() * hidden];
        for (int i = 0; i < texts.size(); i++) {
            float[] row = byText.get(texts.get(i));
            if (row == null) {
                throw new IllegalStateException("no cached features for a text outside the prepared sets");
            }
            System.arraycopy(row, 0, data, i * hidden, hidden);
        }
        return new NDList(manager.create(data, new Shape(texts.size(), hidden)));
    }
}
