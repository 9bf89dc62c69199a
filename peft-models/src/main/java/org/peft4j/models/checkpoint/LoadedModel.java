package org.peft4j.models.checkpoint;

import ai.djl.nn.Block;

/**
 * A model with the report of the checkpoint load that filled it.
 *
 * @param model the model
 * @param report what was loaded, initialised and ignored
 * @param <M> the model type
 */
public record LoadedModel<M extends Block>(M model, LoadReport report) {}
