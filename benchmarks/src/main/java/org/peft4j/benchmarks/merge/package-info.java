/** Benchmarks of peft-merge: streaming merges of large checkpoints against a read-and-write baseline. */
package org.peft4j.benchmarks.merge;
