package org.peft4j.benchmarks.workload;

/** What one timed step of a row does. */
public enum RowKind {
    /** A forward pass without gradients ({@code training=false}, dropout off). */
    INFERENCE,
    /** Forward, cross-entropy loss, backward and an AdamW update of the trainable parameters. */
    TRAINING
}
