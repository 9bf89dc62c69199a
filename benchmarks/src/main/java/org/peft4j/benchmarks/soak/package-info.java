/**
 * The native-memory soak: thousands of training steps of one row on the MiniLM workload, sampling the
 * process's resident memory, the Java heap and the live NDArrays, with a verdict on growth after warm-up
 * ({@code benchmarks/run.sh soak}).
 */
package org.peft4j.benchmarks.soak;
