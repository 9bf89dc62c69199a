package org.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.DenseLinear;
import org.peft4j.core.nn.InvertedDropout;
import org.peft4j.core.nn.ModuleBlock;
import org.peft4j.models.checkpoint.HeadParameters;
import org.peft4j.models.layers.HfInitialization;

import java.util.List;

/**
 * A BERT encoder with a classification head, as Hugging Face's {@code
 * BertForSequenceClassification}: children {@code bert} ({@link BertModel} with pooler) and {@code
 * classifier} ({@link DenseLinear} {@code [num_labels, H]}) applied to the dropped-out pooler output.
 * Parameter paths are that class's state-dict keys ({@code bert.encoder.layer.0.attention.self.query.weight},
 * {@code classifier.weight}).
 *
 * <p>Input as {@link BertModel}. Output: {@code NDList(last_hidden_state [B, T, H], pooler_output
 * [B, H], logits [B, num_labels])}, float32, named.
 */
public final class BertForSequenceClassification extends ModuleBlock implements HeadParameters {

    private final BertConfig config;
    private final float dropout;

    /**
     * Creates the model; the number of labels is {@code config.numLabels()}.
     *
     * @param config the model config
     */
    public BertForSequenceClassification(BertConfig config) {
        this.config = config;
        registerModule("bert", new BertModel(config, true));
        registerModule("classifier", new DenseLinear(config.hiddenSize(), config.numLabels(), true));
        HfInitialization.apply(module("classifier"), config.initializerRange());
        this.dropout = (float) config.effectiveClassifierDropout();
    }

    /**
     * Returns the config.
     *
     * @return the config
     */
    public BertConfig config() {
        return config;
    }

    /**
     * The classifier and the pooler: a base encoder checkpoint (sentence-transformers, ONNX exports)
     * often has neither.
     *
     * @return {@code classifier.*}, {@code bert.pooler.*}
     */
    @Override
    public List<String> headParameterPatterns() {
        return List.of("classifier.*", "bert.pooler.*");
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList out = module("bert").forward(ps, inputs, training, params);
        NDArray pooled = out.get(1);
        NDArray x = training && dropout > 0 ? InvertedDropout.apply(pooled, dropout, true) : pooled;
        NDArray logits = module("classifier").forward(ps, new NDList(x), training, params).head();
        logits.setName("logits");
        return new NDList(out.get(0), pooled, logits);
    }
}
