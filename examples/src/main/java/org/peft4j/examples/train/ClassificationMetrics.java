package org.peft4j.examples.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Accuracy, F1 of a positive label and accuracy per group, from predicted and true label indices.
 *
 * @param count number of examples
 * @param accuracy fraction correct
 * @param positiveF1 F1 of the positive label (harmonic mean of its precision and recall; 0 when both are 0)
 * @param groupAccuracy accuracy per group (e.g. {@code hard-ham-1}), sorted by group
 * @param meanLoss mean cross-entropy loss, or NaN when not computed
 */
public record ClassificationMetrics(int count, double accuracy, double positiveF1, Map<String, Double> groupAccuracy, double meanLoss) {

    /**
     * Computes the metrics.
     *
     * @param predicted predicted label indices
     * @param actual true label indices
     * @param groups the group of each example (null entries are skipped for group accuracy)
     * @param positive the index of the positive label
     * @param meanLoss the mean loss, or NaN
     * @return the metrics
     */
    public static ClassificationMetrics of(int[] predicted, int[] actual, List<String> groups, int positive, double meanLoss) {
        if (predicted.length != actual.length || groups.size() != actual.length) {
            throw new IllegalArgumentException("predicted " + predicted.length + ", actual " + actual.length + ", groups " + groups.size() + " must have the same length");
        }
        int correct = 0;
        int tp = 0;
        int fp = 0;
        int fn = 0;
        Map<String, int[]> perGroup = new TreeMap<>();
        for (int i = 0; i < actual.length; i++) {
            boolean ok = predicted[i] == actual[i];
            correct += ok ? 1 : 0;
            if (predicted[i] == positive && actual[i] == positive) {
                tp++;
            } else if (predicted[i] == positive) {
                fp++;
            } else if (actual[i] == positive) {
                fn++;
            }
            if (groups.get(i) != null) {
                int[] g = perGroup.computeIfAbsent(groups.get(i), k -> new int[2]);
                g[0] += ok ? 1 : 0;
                g[1]++;
            }
        }
        double precision = tp + fp == 0 ? 0 : (double) tp / (tp + fp);
        double recall = tp + fn == 0 ? 0 : (double) tp / (tp + fn);
        double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        Map<String, Double> ga = new LinkedHashMap<>();
        perGroup.forEach((k, v) -> ga.put(k, (double) v[0] / v[1]));
        return new ClassificationMetrics(actual.length, actual.length == 0 ? 0 : (double) correct / actual.length, f1, ga, meanLoss);
    }
}
