package org.peft4j.benchmarks.workload;

/**
 * One line of the end-to-end table: a model configuration and what a step does with it. A row is
 * stateless; {@link #prepare} builds a fresh model each time it is called.
 */
public interface BenchmarkRow {

    /**
     * Returns the stable identifier used in JSON, file names and on the command line.
     *
     * @return lower-case words joined by {@code -}, e.g. {@code train-lora-r8-qv}
     */
    String id();

    /**
     * Returns the label shown in tables and charts.
     *
     * @return e.g. {@code "LoRA r=8 query,value: train step"}
     */
    String title();

    /**
     * Returns what a step does.
     *
     * @return inference or training
     */
    RowKind kind();

    /**
     * Builds the model: loads the exported classifier, adds adapters, sets what trains.
     *
     * @param context the manager, checkpoint, work folder and seed
     * @return the model
     */
    PreparedModel prepare(RowContext context);

    /**
     * Describes the same row for the PyTorch side, writing what it needs (an adapter folder) into
     * {@code context.workDir()}.
     *
     * @param model the model {@link #prepare} returned
     * @param context the context it was built with
     * @return the Python row, or null when the row has no PyTorch counterpart (it is then run on the
     *     JVM only)
     */
    default PythonRowSpec python(PreparedModel model, RowContext context) {
        return null;
    }
}
