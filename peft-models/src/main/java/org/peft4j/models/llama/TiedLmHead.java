package org.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.ModuleBlock;
import org.peft4j.models.layers.Embedding;

/**
 * The output projection of a model with {@code tie_word_embeddings}: {@code logits = h · Eᵀ} with
 * {@code E} the input embedding table {@code [vocab, H]}. It owns no parameter, so the table appears
 * once in the state dict (as {@code model.embed_tokens.weight}, as HF saves it) and gradients from
 * both uses reach it.
 *
 * <p>It holds the embedding it was built with: replacing {@code model.embed_tokens} by path does not
 * re-tie it.
 *
 * <p>Input {@code NDList([B, T, H])}, output {@code NDList([B, T, vocab])}.
 */
public final class TiedLmHead extends ModuleBlock {

    private final Parameter table;

    /**
     * Ties the head to an embedding table.
     *
     * @param embedding the input embedding
     */
    public TiedLmHead(Embedding embedding) {
        this.table = embedding.weight();
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        return Linear.linear(x, ps.getValue(table, x.getDevice(), training), null);
    }

    /** {@inheritDoc} */
    @Override
    public boolean isInitialized() {
        return table.isInitialized();
    }
}
