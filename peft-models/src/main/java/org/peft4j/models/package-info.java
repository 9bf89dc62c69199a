/**
 * Real base models as DJL blocks whose block and parameter paths are Hugging Face's module paths
 * and state-dict keys: the BERT family ({@link org.peft4j.models.bert}), the Llama family ({@link
 * org.peft4j.models.llama}), checkpoint loading and saving in Hugging Face layout ({@link
 * org.peft4j.models.checkpoint}), weights read from ONNX graphs ({@link org.peft4j.models.onnx}),
 * tokenizers ({@link org.peft4j.models.tokenize}) and the bundled all-MiniLM-L6-v2 ({@link
 * org.peft4j.models.pretrained}).
 *
 * <p>Every block is a {@link org.peft4j.core.nn.ModuleBlock} and every linear layer a {@link
 * org.peft4j.core.nn.DenseLinear}, so peft-core can find a layer by path and replace it with an
 * adapter host. This module depends on peft-core only.
 */
package org.peft4j.models;
