package org.peft4j.benchmarks.workload;

import java.util.List;

/**
 * Adds rows to the end-to-end benchmark. Implementations are found with {@link
 * java.util.ServiceLoader}: list the class in {@code
 * META-INF/services/org.peft4j.benchmarks.workload.RowProvider}. Row ids must not clash with the
 * built-in ones or each other.
 */
public interface RowProvider {

    /**
     * Returns the rows, in the order they appear in the table.
     *
     * @return rows
     */
    List<BenchmarkRow> rows();
}
