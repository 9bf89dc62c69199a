/**
 * JMH micro-benchmarks: LoRA layer forward/backward overhead against the dense layer, safetensors
 * read throughput against a plain file read, and the merge kernel {@code W += s·B·A} against a
 * same-size add. Run them with {@code benchmarks/run.sh jmh} (all) or {@code benchmarks/run.sh jmh
 * LoraLinear} (a regular expression over benchmark names).
 */
package org.peft4j.benchmarks.micro;
