/**
 * What the runners measure besides step time: the engine's matmul peak, analytic model FLOPs,
 * peak resident memory, CPU time and page faults, the load average, and profiler traces.
 */
package org.peft4j.benchmarks.measure;
