package org.peft4j.core.adapter;

import org.peft4j.core.config.JsonFields;
import org.peft4j.core.config.PeftConfig;

/**
 * An adapter method, registered with {@link java.util.ServiceLoader} under its {@code peft_type}
 * (file {@code META-INF/services/org.peft4j.core.adapter.PeftMethod}) so that loading an adapter
 * folder picks the right code.
 */
public interface PeftMethod {

    /**
     * Returns the {@code peft_type} this method handles.
     *
     * @return e.g. {@code "LORA"}
     */
    String peftType();

    /**
     * Parses adapter_config.json. Unknown fields are left unread (the caller reports them).
     *
     * @param fields the config's fields
     * @return the validated config
     */
    PeftConfig parseConfig(JsonFields fields);

    /**
     * Creates the adapter for one layer. Methods that change the frozen weight (PiSSA, LoLDU's
     * residual) do so here through {@link AdapterSite#base()}.
     *
     * @param config the config (of this method's type)
     * @param site the layer
     * @return the adapter
     */
    Adapter createAdapter(PeftConfig config, AdapterSite site);
}
