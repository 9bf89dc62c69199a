/**
 * Tensor files: a safetensors reader and writer on {@code java.nio}, Hugging Face sharded checkpoints, atomic
 * file writes, and the refusal of pickle checkpoints.
 *
 * <p>The safetensors layout follows the reference implementation (the Rust {@code safetensors} crate): an 8-byte
 * little-endian header length {@code N}, {@code N} bytes of UTF-8 JSON (space padded), then one contiguous data
 * buffer holding every tensor in row-major, little-endian form. {@link org.peft4j.core.io.SafetensorsReader}
 * validates a header at least as strictly as that implementation before touching any data, memory-maps each
 * tensor's region on demand and never holds a whole file on the heap. {@link org.peft4j.core.io.SafetensorsWriter}
 * streams a file tensor by tensor into a temporary file and renames it over the target only on
 * {@link org.peft4j.core.io.SafetensorsWriter#commit()}.
 *
 * <p>DJL's PyTorch engine aborts the JVM on any {@code BFLOAT16} array, so bf16 data is widened to float32 (and
 * narrowed back on write) in Java by {@link org.peft4j.core.io.BFloat16}.
 */
package org.peft4j.core.io;
