package org.peft4j.core.adapter;

import ai.djl.ndarray.NDManager;

import org.peft4j.core.nn.LinearLayer;

/**
 * Where an adapter is being created: the layer's path, the adapter's name, the frozen layer it
 * adapts and the manager that owns the model's arrays (adapter parameters are created there, on its
 * device).
 *
 * @param path dotted module path of the layer, e.g. {@code bert.encoder.layer.0.attention.self.query}
 * @param adapterName the adapter's name
 * @param base the frozen layer
 * @param manager the owner of the new parameters
 */
public record AdapterSite(String path, String adapterName, LinearLayer base, NDManager manager) {}
