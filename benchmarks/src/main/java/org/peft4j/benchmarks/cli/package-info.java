/** The command line of the benchmark runners ({@code benchmarks/run.sh}). */
package org.peft4j.benchmarks.cli;
