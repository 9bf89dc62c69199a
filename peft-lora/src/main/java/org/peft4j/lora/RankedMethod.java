package org.peft4j.lora;

import ai.djl.ndarray.NDManager;

import org.peft4j.core.adapter.Adapter;
import org.peft4j.core.adapter.AdapterSite;
import org.peft4j.core.adapter.PeftMethod;
import org.peft4j.core.config.JsonFields;
import org.peft4j.core.config.PeftConfig;

import java.util.function.Function;

/**
 * The part that the methods of a {@link RankedConfig} share: {@link #parseConfig} marks the config
 * it gives the adapter loader {@link RankedConfig#fromFile()}, and {@link #createAdapter} checks
 * the config's class and that {@code r} fits the layer, then creates the adapter as placeholders
 * that the adapter folder's weights fill ({@link #placeholderAdapter}) for such a config, or
 * initialised from the base weights or data ({@link #initialAdapter}) for any other.
 *
 * @param <C> the method's config
 */
public abstract class RankedMethod<C extends RankedConfig<C, ?>> implements PeftMethod {

    private final String peftType;
    private final Class<C> configType;
    private final Function<JsonFields, C> parser;

    /**
     * Creates the shared part.
     *
     * @param peftType the method's {@code peft_type}
     * @param configType the config class the method reads
     * @param parser the config's {@code fromJson}
     */
    protected RankedMethod(String peftType, Class<C> configType, Function<JsonFields, C> parser) {
        this.peftType = peftType;
        this.configType = configType;
        this.parser = parser;
    }

    /** {@inheritDoc} */
    @Override
    public final String peftType() {
        return peftType;
    }

    /**
     * {@inheritDoc} The adapter loader calls this, so the config is marked {@link
     * RankedConfig#fromFile()}: the folder's weights replace the factors, which are therefore not
     * computed from the base weights or data.
     */
    @Override
    public final PeftConfig parseConfig(JsonFields fields) {
        return parser.apply(fields).awaitingAdapterFile();
    }

    /** {@inheritDoc} */
    @Override
    public final Adapter createAdapter(PeftConfig config, AdapterSite site) {
        C c = MethodArguments.config(config, configType, peftType);
        long in = site.base().inFeatures();
        long out = site.base().outFeatures();
        MethodArguments.requireRankFits(c.r(), out, in, site.path());
        if (c.fromFile()) {
            return placeholderAdapter(c, in, out, site.manager());
        }
        return initialAdapter(c, site, in, out);
    }

    /**
     * Creates an adapter whose factors are placeholders for the adapter folder's weights, for a
     * config marked {@link RankedConfig#fromFile()}.
     *
     * @param c the config
     * @param in the layer's input size
     * @param out the layer's output size
     * @param manager the manager the adapter's arrays belong to
     * @return the adapter
     */
    protected abstract Adapter placeholderAdapter(C c, long in, long out, NDManager manager);

    /**
     * Creates an adapter initialised from the base weights or data, for a config that is not marked
     * {@link RankedConfig#fromFile()}. {@code r} has been checked to fit the layer.
     *
     * @param c the config
     * @param site the layer, its path and the manager the adapter's arrays belong to
     * @param in the layer's input size
     * @param out the layer's output size
     * @return the adapter
     */
    protected abstract Adapter initialAdapter(C c, AdapterSite site, long in, long out);
}
