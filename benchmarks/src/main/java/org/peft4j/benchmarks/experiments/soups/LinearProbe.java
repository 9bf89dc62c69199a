package org.peft4j.benchmarks.experiments.soups;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A linear probe: multinomial logistic regression on frozen features, full batch, Adam (beta1 0.9,
 * beta2 0.999, eps 1e-8), L2 penalty. Gives the linear-probe-initialised head that every full
 * fine-tune of a soup starts from (model soups start all ingredients from one LP head).
 */
final class LinearProbe {

    private final int steps;
    private final float learningRate;
    private final float l2;

    LinearProbe(int steps, float learningRate, float l2) {
        this.steps = steps;
        this.learningRate = learningRate;
        this.l2 = l2;
    }

    /**
     * @param features {@code [n, d]} float32 (the pooled vectors the head sees)
     * @param labels class index per row
     * @param classes number of classes
     * @param owner manager that owns the result
     * @return {@code classifier.weight} {@code [classes, d]} and {@code classifier.bias} {@code [classes]}
     */
    Map<String, NDArray> fit(NDArray features, int[] labels, int classes, NDManager owner) {
        long n = features.getShape().get(0);
        long d = features.getShape().get(1);
        NDArray w = owner.zeros(new ai.djl.ndarray.types.Shape(classes, d));
        NDArray b = owner.zeros(new ai.djl.ndarray.types.Shape(classes));
        try (NDManager scratch = owner.newSubManager()) {
            NDArray x = features.duplicate();
            x.attach(scratch);
            NDArray y = scratch.create(labels).toType(DataType.INT64, false).oneHot(classes).toType(DataType.FLOAT32, false);
            NDArray mw = scratch.zeros(w.getShape());
            NDArray vw = scratch.zeros(w.getShape());
            NDArray mb = scratch.zeros(b.getShape());
            NDArray vb = scratch.zeros(b.getShape());
            for (int t = 1; t <= steps; t++) {
                // every array made in the step (gradients, Adam terms) is closed with the scope; the
                // in-place updates of w, b and the moments return those arrays, not new ones
                try (NDScope step = new NDScope()) {
                    NDArray logits = x.matMul(w.transpose()).add(b);
                    NDArray g = logits.softmax(1).sub(y).div(n);
                    NDArray gw = g.transpose().matMul(x).add(w.mul(l2));
                    NDArray gb = g.sum(new int[] {0});
                    adam(w, gw, mw, vw, t);
                    adam(b, gb, mb, vb, t);
                }
            }
        }
        Map<String, NDArray> head = new LinkedHashMap<>();
        head.put("classifier.weight", w);
        head.put("classifier.bias", b);
        return head;
    }

    private void adam(NDArray p, NDArray g, NDArray m, NDArray v, int t) {
        m.muli(0.9f).addi(g.mul(0.1f));
        v.muli(0.999f).addi(g.mul(g).mul(0.001f));
        double c1 = 1 - Math.pow(0.9, t);
        double c2 = 1 - Math.pow(0.999, t);
        p.subi(m.div(c1).div(v.div(c2).sqrt().add(1e-8f)).mul(learningRate));
    }
}
