package org.peft4j.benchmarks.workload;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * All rows the runners know: {@link BuiltInRows} first, then those of every {@link RowProvider} on
 * the class path, in their order.
 */
public final class RowRegistry {

    private final Map<String, BenchmarkRow> rows = new LinkedHashMap<>();

    private RowRegistry() {}

    /**
     * Builds the registry from the built-in rows and the providers on the class path.
     *
     * @return the registry
     * @throws IllegalStateException if two rows share an id
     */
    public static RowRegistry load() {
        RowRegistry r = new RowRegistry();
        BuiltInRows.all().forEach(r::add);
        for (RowProvider p : ServiceLoader.load(RowProvider.class)) {
            p.rows().forEach(r::add);
        }
        return r;
    }

    /**
     * Builds a registry from given rows only.
     *
     * @param rows the rows
     * @return the registry
     */
    public static RowRegistry of(List<BenchmarkRow> rows) {
        RowRegistry r = new RowRegistry();
        rows.forEach(r::add);
        return r;
    }

    private void add(BenchmarkRow row) {
        if (rows.putIfAbsent(row.id(), row) != null) {
            throw new IllegalStateException("two benchmark rows have the id '" + row.id() + "'");
        }
    }

    /**
     * Returns every row.
     *
     * @return rows in table order
     */
    public List<BenchmarkRow> all() {
        return List.copyOf(rows.values());
    }

    /**
     * Returns the rows with the given ids, in table order.
     *
     * @param ids row ids; empty means all
     * @return the rows
     * @throws IllegalArgumentException naming unknown ids and the known ones
     */
    public List<BenchmarkRow> select(List<String> ids) {
        if (ids == null || ids.isEmpty()) {
            return all();
        }
        List<String> unknown = new ArrayList<>(ids);
        unknown.removeAll(rows.keySet());
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("--rows: unknown " + unknown + "; known rows: " + String.join(", ", rows.keySet()));
        }
        return rows.values().stream().filter(r -> ids.contains(r.id())).toList();
    }

    /**
     * Returns one row.
     *
     * @param id the id
     * @return the row
     * @throws IllegalArgumentException naming the known ids
     */
    public BenchmarkRow get(String id) {
        return select(List.of(id)).get(0);
    }
}
