package org.peft4j.lora.eva;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

import org.peft4j.lora.linalg.Svd;
import org.peft4j.lora.linalg.SvdResult;

/**
 * Incremental principal component analysis, batch by batch, with the algorithm of scikit-learn's
 * {@code IncrementalPCA.partial_fit} (Ross et al. 2008) that PEFT's {@code IncrementalPCA} ports to
 * torch and EVA runs on every layer's inputs:
 *
 * <ol>
 *   <li>the column mean and variance are updated with the batch (Chan, Golub and LeVeque's pairwise
 *       update, in float64);
 *   <li>the first batch is centred by the mean; a later batch is centred by its own mean and
 *       stacked below the previous components scaled by their singular values, with one more row,
 *       {@code sqrt(n_seen·n_batch / n_total)·(mean_before − batch_mean)}, that carries the shift of
 *       the mean;
 *   <li>the top {@code k} singular triplets of that stack are the new components; each row's sign
 *       is chosen so that its entry of largest magnitude is positive ({@code svd_flip} with
 *       {@code u_based_decision=False});
 *   <li>explained variance ratio {@code S² / Σ(var · n_total)}.
 * </ol>
 *
 * <p>The SVD is pluggable: PEFT's EVA uses {@code torch.svd_lowrank(q = 2k, niter = 4)} reseeded
 * with 42 on every call, which {@link Svd#randomized Svd.randomized(k, k, 4, 42)} follows; {@link
 * Svd#truncated} gives the exact triplets. The stack is decomposed in float32 (PEFT promotes it to
 * float64 from the second batch on, as its mean is float64).
 *
 * <p>State arrays live in a manager of the PCA's own; {@link #close()} frees them.
 */
final class IncrementalPca implements AutoCloseable {

    private final int k;
    private final Svd svd;
    private final NDManager manager;
    private NDArray mean;       // [n] float64
    private NDArray variance;   // [n] float64, population variance
    private NDArray components; // [k, n] float32
    private float[] singularValues;
    private double[] explainedVarianceRatio;
    private long seen;
    private long features = -1;

    /**
     * Creates an empty PCA.
     *
     * @param k the number of components kept, {@code >= 1}
     * @param svd the SVD used on each stacked batch; it must return at least {@code k} triplets
     * @param parent the manager under which the state is kept
     */
    IncrementalPca(int k, Svd svd, NDManager parent) {
        if (k < 1) {
            throw new IllegalArgumentException("n_components must be >= 1, got " + k);
        }
        this.k = k;
        this.svd = svd;
        this.manager = parent.newSubManager();
    }

    /**
     * Returns whether a batch has been fitted.
     *
     * @return true after the first {@link #partialFit}
     */
    boolean fitted() {
        return components != null;
    }

    /**
     * Fits one batch.
     *
     * @param x the batch, {@code [m, n]}, any float type, {@code m >= k} and {@code n >= k}; not modified
     * @return the cosine similarity of each new component with the same component before this batch,
     *     {@code [k]}, or null for the first batch
     * @throws IllegalArgumentException if {@code x} is not 2-D, has fewer rows or columns than
     *     {@code k}, or its width differs from the first batch's
     */
    double[] partialFit(NDArray x) {
        if (x.getShape().dimension() != 2) {
            throw new IllegalArgumentException("IncrementalPca: expected a [rows, features] batch, got shape " + x.getShape());
        }
        long m = x.getShape().get(0);
        long n = x.getShape().get(1);
        if (features < 0 && k > n) {
            throw new IllegalArgumentException("n_components=" + k + " invalid for n_features=" + n
                    + ", need more rows than columns for IncrementalPCA processing");
        }
        if (features >= 0 && n != features) {
            throw new IllegalArgumentException("Number of features of the new batch (" + n
                    + ") does not match the number of features of the first batch (" + features + ")");
        }
        if (k > m) {
            throw new IllegalArgumentException("n_components=" + k + " must be less or equal to the batch number of samples " + m);
        }
        try (NDManager tmp = manager.newSubManager()) {
            NDArray x64 = x.toType(DataType.FLOAT64, true);
            x64.attach(tmp);
            long total = seen + m;
            NDArray newSum = x64.sum(new int[] {0});
            NDArray centred = x64.sub(newSum.div(m));
            NDArray correction = centred.sum(new int[] {0}).square();
            NDArray newUnnormalised = centred.square().sum(new int[] {0}).sub(correction.div(m));
            NDArray newMean;
            NDArray newVariance;
            NDArray stack;
            if (seen == 0) {
                newMean = newSum.div(total);
                newVariance = newUnnormalised.div(total);
                stack = x64.sub(newMean);
            } else {
                // copies owned by tmp: an operation's result lives in its left operand's manager
                NDArray lastMean = owned(mean, tmp);
                NDArray lastVariance = owned(variance, tmp);
                NDArray lastComponents = owned(components, tmp);
                NDArray lastSum = lastMean.mul(seen);
                newMean = lastSum.add(newSum).div(total);
                double ratio = (double) seen / m;
                NDArray shift = lastSum.div(ratio).sub(newSum).square().mul(ratio / total);
                newVariance = lastVariance.mul(seen).add(newUnnormalised).add(shift).div(total);
                NDArray batchMean = newSum.div(m);
                NDArray meanCorrection = lastMean.sub(batchMean).mul(Math.sqrt(((double) seen / total) * m)).reshape(1, n);
                NDArray previous = lastComponents.toType(DataType.FLOAT64, false)
                        .mul(tmp.create(toDouble(singularValues)).reshape(k, 1));
                stack = NDArrays.concat(new ai.djl.ndarray.NDList(previous, x64.sub(batchMean), meanCorrection), 0);
            }
            NDArray stack32 = stack.toType(DataType.FLOAT32, false);
            double totalVariance = newVariance.sum().toType(DataType.FLOAT64, false).getDouble() * total;
            float[] s;
            float[] vt;
            try (SvdResult f = svd.decompose(stack32, tmp)) {
                if (f.rank() < k) {
                    throw new IllegalStateException("the SVD returned " + f.rank() + " triplets, fewer than n_components=" + k);
                }
                s = f.s().get("0:" + k).toFloatArray();
                vt = f.vt().get("0:" + k + ", :").toFloatArray();
            }
            flipSigns(vt, k, (int) n);
            double[] similarity = components == null ? null : cosineSimilarity(vt, components.toFloatArray(), k, (int) n);
            double[] ratio = new double[k];
            for (int i = 0; i < k; i++) {
                ratio[i] = (double) s[i] * s[i] / totalVariance;
            }
            NDArray newComponents = manager.create(vt).reshape(k, n);
            NDArray keptMean = newMean.duplicate();
            NDArray keptVariance = newVariance.duplicate();
            keptMean.attach(manager);
            keptVariance.attach(manager);
            NDScope.unregister(newComponents, keptMean, keptVariance);
            if (components != null) {
                components.close();
                mean.close();
                variance.close();
            }
            components = newComponents;
            mean = keptMean;
            variance = keptVariance;
            singularValues = s;
            explainedVarianceRatio = ratio;
            seen = total;
            features = n;
            return similarity;
        }
    }

    /** sklearn's {@code svd_flip(u_based_decision=False)}: each row's largest-magnitude entry made positive. */
    static void flipSigns(float[] rows, int k, int n) {
        for (int i = 0; i < k; i++) {
            int best = i * n;
            for (int j = i * n + 1; j < (i + 1) * n; j++) {
                if (Math.abs(rows[j]) > Math.abs(rows[best])) {
                    best = j;
                }
            }
            if (rows[best] < 0) {
                for (int j = i * n; j < (i + 1) * n; j++) {
                    rows[j] = -rows[j];
                }
            }
        }
    }

    /** Row-wise cosine similarity, as {@code torch.nn.functional.cosine_similarity} (eps 1e-8). */
    static double[] cosineSimilarity(float[] a, float[] b, int k, int n) {
        double[] out = new double[k];
        for (int i = 0; i < k; i++) {
            double dot = 0;
            double na = 0;
            double nb = 0;
            for (int j = i * n; j < (i + 1) * n; j++) {
                dot += (double) a[j] * b[j];
                na += (double) a[j] * a[j];
                nb += (double) b[j] * b[j];
            }
            out[i] = dot / (Math.max(Math.sqrt(na), 1e-8) * Math.max(Math.sqrt(nb), 1e-8));
        }
        return out;
    }

    private static NDArray owned(NDArray a, NDManager owner) {
        NDArray c = a.duplicate();
        c.attach(owner);
        return c;
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    /**
     * Returns the components, {@code [k, n]} row-major on the host.
     *
     * @return a copy
     */
    float[] components() {
        requireFitted();
        return components.toFloatArray();
    }

    /**
     * Returns the singular values of the components.
     *
     * @return a copy, {@code [k]}
     */
    float[] singularValues() {
        requireFitted();
        return singularValues.clone();
    }

    /**
     * Returns each component's share of the total variance seen.
     *
     * @return a copy, {@code [k]}
     */
    double[] explainedVarianceRatio() {
        requireFitted();
        return explainedVarianceRatio.clone();
    }

    /**
     * Returns the column means.
     *
     * @return {@code [n]} float64, on the host
     */
    double[] mean() {
        requireFitted();
        return mean.toDoubleArray();
    }

    /**
     * Returns the column (population) variances.
     *
     * @return {@code [n]} float64, on the host
     */
    double[] variance() {
        requireFitted();
        return variance.toDoubleArray();
    }

    /**
     * Returns the number of rows fitted so far.
     *
     * @return the count
     */
    long samplesSeen() {
        return seen;
    }

    private void requireFitted() {
        if (components == null) {
            throw new IllegalStateException("IncrementalPca: no batch has been fitted");
        }
    }

    /** Frees the state. */
    @Override
    public void close() {
        manager.close();
    }
}
