package org.peft4j.merge.lora;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Plain-Java double-precision reference of PEFT's {@code merge_utils} functions and of the two
 * ways {@code add_weighted_adapter} applies them (peft-semantics.md 7.1 and the 7.2 table), written
 * from those definitions and independent of the NDArray implementation under test. Tensors are
 * row-major {@code double[]}; a list of task tensors holds tensors of one shape.
 */
final class MergeUtilsReference {

    private MergeUtilsReference() {}

    /** A PEFT {@code merge_utils} function of task tensors and their weights. */
    @FunctionalInterface
    interface MergeFunction {
        double[] apply(List<double[]> tasks, double[] weights);
    }

    /**
     * {@code magnitude_based_pruning} through {@code prune}: a density {@code >= 1} returns the
     * tensor; else {@code k = int(density * numel)} (Python's truncation of a double product) entries
     * of largest {@code |t|} are kept, the rest zeroed.
     */
    static double[] magnitudePrune(double[] t, double density) {
        if (density >= 1.0) {
            return t.clone();
        }
        int k = (int) (density * t.length);
        Integer[] order = byDescendingMagnitude(t);
        double[] kept = new double[t.length];
        for (int i = 0; i < k; i++) {
            kept[order[i]] = t[order[i]];
        }
        return kept;
    }

    /**
     * The gap between the k-th and the (k+1)-th largest magnitude of {@code t} at this density: a
     * test whose float32 input may differ from this double reference by {@code eps} is only
     * deterministic when the gap exceeds {@code 2 eps}. Infinite at density {@code >= 1}.
     */
    static double magnitudeGapAtThreshold(double[] t, double density) {
        int k = (int) (density * t.length);
        if (density >= 1.0 || k == 0 || k == t.length) {
            return Double.POSITIVE_INFINITY;
        }
        Integer[] order = byDescendingMagnitude(t);
        return Math.abs(t[order[k - 1]]) - Math.abs(t[order[k]]);
    }

    private static Integer[] byDescendingMagnitude(double[] t) {
        Integer[] order = new Integer[t.length];
        for (int i = 0; i < t.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> Math.abs(t[i])).reversed());
        return order;
    }

    /** {@code task_arithmetic}: {@code sum_i w_i t_i}. */
    static double[] taskArithmetic(List<double[]> tasks, double[] w) {
        double[] out = new double[tasks.get(0).length];
        for (int i = 0; i < tasks.size(); i++) {
            for (int j = 0; j < out.length; j++) {
                out[j] += w[i] * tasks.get(i)[j];
            }
        }
        return out;
    }

    /** {@code magnitude_prune}: {@code sum_i w_i magprune(t_i, density)}. */
    static double[] magnitudePruneMerge(List<double[]> tasks, double[] w, double density) {
        return taskArithmetic(tasks.stream().map(t -> magnitudePrune(t, density)).toList(), w);
    }

    /**
     * {@code ties}: {@code P_i = magprune(t_i, density)}, then {@link #signConsensusMean}.
     *
     * @param frequency {@code majority_sign_method="frequency"} when true, {@code "total"} otherwise
     */
    static double[] ties(List<double[]> tasks, double[] w, double density, boolean frequency) {
        return signConsensusMean(tasks.stream().map(t -> magnitudePrune(t, density)).toList(), w, frequency);
    }

    /**
     * The sign election and disjoint mean shared by {@code ties} and {@code dare_ties}: the majority
     * sign of the unweighted {@code P} ({@code total}: sign of {@code sum_i P_i}; {@code frequency}:
     * sign of {@code sum_i sign(P_i)}; a zero vote elects +1); an entry of {@code P_i} agrees when its
     * sign equals the elected one (a zero never agrees); result {@code sum_i w_i P_i agree_i /
     * max(sum_i agree_i, 1)}.
     */
    static double[] signConsensusMean(List<double[]> pruned, double[] w, boolean frequency) {
        int n = pruned.get(0).length;
        double[] out = new double[n];
        for (int j = 0; j < n; j++) {
            double vote = 0;
            for (double[] p : pruned) {
                vote += frequency ? Math.signum(p[j]) : p[j];
            }
            double elected = vote >= 0 ? 1.0 : -1.0;
            double sum = 0;
            int agreeing = 0;
            for (int i = 0; i < pruned.size(); i++) {
                if (Math.signum(pruned.get(i)[j]) == elected) {
                    sum += w[i] * pruned.get(i)[j];
                    agreeing++;
                }
            }
            out[j] = sum / Math.max(agreeing, 1);
        }
        return out;
    }

    /**
     * The smallest {@code |sum_i P_i|} (or {@code |sum_i sign(P_i)|} for frequency) over entries
     * with a non-zero {@code P_i}: when it exceeds the float32 error of the inputs, float32 and
     * double elect the same signs.
     */
    static double smallestNonZeroVote(List<double[]> pruned, boolean frequency) {
        double smallest = Double.POSITIVE_INFINITY;
        for (int j = 0; j < pruned.get(0).length; j++) {
            double vote = 0;
            boolean any = false;
            for (double[] p : pruned) {
                vote += frequency ? Math.signum(p[j]) : p[j];
                any |= p[j] != 0;
            }
            if (any && !(frequency && vote == 0)) {
                smallest = Math.min(smallest, Math.abs(vote));
            }
        }
        return smallest;
    }

    /** Factor weights of the A-and-B-separate types: {@code sign(w_i s_i) sqrt|w_i s_i|}. */
    static double[] factorWeightsA(double[] w, double[] scalings) {
        double[] out = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            double ws = w[i] * scalings[i];
            out[i] = Math.signum(ws) * Math.sqrt(Math.abs(ws));
        }
        return out;
    }

    /** Factor weights of the A-and-B-separate types: {@code sqrt|w_i s_i|}. */
    static double[] factorWeightsB(double[] w, double[] scalings) {
        double[] out = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            out[i] = Math.sqrt(Math.abs(w[i] * scalings[i]));
        }
        return out;
    }

    /** {@code Delta W = s B A}: {@code b [out, r]}, {@code a [r, in]}, result {@code [out, in]}. */
    static double[] deltaWeight(double[] b, double[] a, int out, int r, int in, double scaling) {
        double[] d = new double[out * in];
        for (int i = 0; i < out; i++) {
            for (int j = 0; j < in; j++) {
                double s = 0;
                for (int p = 0; p < r; p++) {
                    s += b[i * r + p] * a[p * in + j];
                }
                d[i * in + j] = scaling * s;
            }
        }
        return d;
    }

    /**
     * {@code torch.quantile(values, q)} (default {@code interpolation="linear"}): with the values
     * sorted ascending, position {@code q (n - 1)}, linear interpolation between the two order
     * statistics around it.
     */
    static double quantile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
