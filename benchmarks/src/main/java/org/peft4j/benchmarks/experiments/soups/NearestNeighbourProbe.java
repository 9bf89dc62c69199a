package org.peft4j.benchmarks.experiments.soups;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Leave-one-out k-nearest-neighbour accuracy of frozen sentence embeddings: each example is
 * classified by a majority vote of the labels of its {@code k} most cosine-similar other examples
 * (a tie goes to the label of the nearest of the tied labels). No parameter is trained, so the score
 * measures only how the encoder arranges the texts.
 */
final class NearestNeighbourProbe {

    private final int k;

    /** @param k neighbours that vote, {@code >= 1} */
    NearestNeighbourProbe(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, got " + k);
        }
        this.k = k;
    }

    /**
     * @param embeddings {@code [n, d]} float32, unit rows (cosine similarity = dot product)
     * @param labels class index per row, length {@code n}
     * @return fraction of rows whose vote equals their label
     */
    double accuracy(NDArray embeddings, int[] labels) {
        int n = labels.length;
        if (embeddings.getShape().get(0) != n || n <= k) {
            throw new IllegalArgumentException("embeddings " + embeddings.getShape() + " must have one row per label (" + n
                    + " labels) and more rows than k=" + k);
        }
        long[] nearest;
        try (NDManager scratch = embeddings.getManager().newSubManager()) {
            NDArray e = embeddings.duplicate();
            e.attach(scratch);
            NDArray sim = e.matMul(e.transpose()).sub(scratch.eye(n).mul(1e4f));
            nearest = sim.argSort(1, false).get(":, 0:" + k).toLongArray();
        }
        int classes = 0;
        for (int l : labels) {
            classes = Math.max(classes, l + 1);
        }
        int correct = 0;
        for (int i = 0; i < n; i++) {
            int[] votes = new int[classes];
            int best = -1;
            for (int j = 0; j < k; j++) {
                int l = labels[(int) nearest[i * k + j]];
                votes[l]++;
                // strictly more votes wins; on a tie the label reached first (the nearer one) stays
                if (best < 0 || votes[l] > votes[best]) {
                    best = l;
                }
            }
            if (best == labels[i]) {
                correct++;
            }
        }
        return (double) correct / n;
    }
}
