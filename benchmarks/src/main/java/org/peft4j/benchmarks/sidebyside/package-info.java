/**
 * The PyTorch side of the side-by-side benchmark: a Python worker process
 * ({@code benchmarks/python/peft4j_bench_worker.py}) that builds the same model from the exported
 * checkpoint and adapter, checks its outputs against the JVM's and times steps when asked, so that
 * the two sides can run alternately under the same machine load.
 */
package org.peft4j.benchmarks.sidebyside;
