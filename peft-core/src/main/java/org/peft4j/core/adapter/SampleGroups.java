package org.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import org.peft4j.core.PeftException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The samples of a mixed-adapter batch grouped by adapter name (PEFT's {@code adapter_names}; {@code
 * "__base__"} for none), in order of first appearance: each group's rows are gathered along the first
 * axis, computed, and put back in the batch's order.
 */
final class SampleGroups {

    /** The name that selects no adapter for a sample (PEFT's). */
    static final String BASE = "__base__";

    private final Map<String, List<Long>> rows = new LinkedHashMap<>();

    private SampleGroups(List<String> names) {
        for (int i = 0; i < names.size(); i++) {
            rows.computeIfAbsent(names.get(i), k -> new ArrayList<>()).add((long) i);
        }
    }

    /**
     * Groups the batch, checking that it has one name per sample.
     *
     * @param names the adapter name of every sample
     * @param batch the first-axis size of the layer input
     * @param training whether the pass trains
     * @param path the layer, for messages
     * @return the groups
     */
    static SampleGroups of(List<String> names, NDArray batch, boolean training, String path) {
        if (training) {
            throw new PeftException("Cannot pass `adapter_names` when the model is in training mode. (layer " + path + ")");
        }
        long n = batch.getShape().dimension() == 0 ? 0 : batch.getShape().get(0);
        if (n != names.size()) {
            throw new PeftException("Length of `adapter_names` should be the same as the number of inputs, but got " + names.size()
                    + " and " + n + " respectively. (layer " + path + ", whose input is " + batch.getShape() + ")");
        }
        return new SampleGroups(names);
    }

    /**
     * Computes every group and assembles the batch: {@code compute(name, rowsOfTheGroup)} returns the
     * group's output rows.
     *
     * @param manager where the indices and the result live
     * @param compute the per-group computation, given the adapter name and the row indices {@code [k]} int64
     * @return the outputs of all samples, in the batch's order
     */
    NDArray apply(NDManager manager, BiFunction<String, NDArray, NDArray> compute) {
        if (rows.size() == 1) {
            return compute.apply(rows.keySet().iterator().next(), null);
        }
        NDList parts = new NDList();
        long[] inverse = new long[rows.values().stream().mapToInt(List::size).sum()];
        int at = 0;
        for (Map.Entry<String, List<Long>> e : rows.entrySet()) {
            long[] idx = e.getValue().stream().mapToLong(Long::longValue).toArray();
            for (long row : idx) {
                inverse[(int) row] = at++;
            }
            parts.add(compute.apply(e.getKey(), manager.create(idx)));
        }
        return NDArrays.concat(parts, 0).get(manager.create(inverse));
    }

    /**
     * The rows {@code idx} of {@code a} along the first axis, or {@code a} itself when {@code idx} is
     * null (the whole batch).
     *
     * @param a an array whose first axis is the batch
     * @param idx row indices or null
     * @return the rows
     */
    static NDArray rows(NDArray a, NDArray idx) {
        return idx == null ? a : a.get(idx);
    }
}
