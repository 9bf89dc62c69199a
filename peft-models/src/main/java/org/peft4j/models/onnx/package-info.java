/**
 * Weights of ONNX graphs as a {@link org.peft4j.models.checkpoint.TensorSource}: {@link
 * org.peft4j.models.onnx.OnnxWeights} reads the float32 initializers of a transformer exported to
 * ONNX with protobuf-java (classes generated from {@code onnx_subset.proto}, the ONNX IR's field
 * numbers) and names them by Hugging Face state-dict keys.
 */
package org.peft4j.models.onnx;
