/**
 * The end-to-end and side-by-side runners: {@link org.peft4j.benchmarks.runner.BenchmarkRun} forks
 * one JVM per row ({@link org.peft4j.benchmarks.runner.RowProcess}) so that each row's peak memory
 * and warm-up are its own, and collects their results into a report.
 */
package org.peft4j.benchmarks.runner;
