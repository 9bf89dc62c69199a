/**
 * Building blocks shared by the model families, each a {@link org.peft4j.core.nn.ModuleBlock} with
 * Hugging Face parameter names: {@link org.peft4j.models.layers.Embedding}, {@link
 * org.peft4j.models.layers.LayerNorm}, {@link org.peft4j.models.layers.RmsNorm}, {@link
 * org.peft4j.models.layers.ModuleList}; plus the activation functions named as in {@code
 * config.json} and the additive attention masks.
 */
package org.peft4j.models.layers;
