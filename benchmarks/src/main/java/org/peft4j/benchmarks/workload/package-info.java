/**
 * The end-to-end workload (all-MiniLM-L6-v2 as a sequence classifier, batch 32 x 128 tokens) and
 * its rows: each {@link org.peft4j.benchmarks.workload.BenchmarkRow} builds one model configuration
 * (base, LoRA merged or not, full fine-tuning, ...) that the runners time. Rows come from {@link
 * org.peft4j.benchmarks.workload.RowRegistry}: the built-in ones plus any {@link
 * org.peft4j.benchmarks.workload.RowProvider} found with {@link java.util.ServiceLoader}.
 */
package org.peft4j.benchmarks.workload;
