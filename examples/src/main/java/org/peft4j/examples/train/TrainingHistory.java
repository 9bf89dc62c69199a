package org.peft4j.examples.train;

import java.util.ArrayList;
import java.util.List;

/** Losses and accuracies recorded during a fine-tune, per optimizer step. */
public final class TrainingHistory {

    /**
     * One training step.
     *
     * @param step 1-based optimizer step
     * @param loss mean training loss of the batch
     * @param accuracy training accuracy of the batch
     * @param millis wall time of the step in milliseconds
     */
    public record Step(int step, double loss, double accuracy, double millis) {}

    /**
     * One evaluation on the validation split.
     *
     * @param step the optimizer step after which it ran
     * @param loss mean validation loss
     * @param accuracy validation accuracy
     */
    public record Evaluation(int step, double loss, double accuracy) {}

    private final List<Step> steps = new ArrayList<>();
    private final List<Evaluation> evaluations = new ArrayList<>();

    /**
     * Records a step.
     *
     * @param s the step
     */
    public void add(Step s) {
        steps.add(s);
    }

    /**
     * Records an evaluation.
     *
     * @param e the evaluation
     */
    public void add(Evaluation e) {
        evaluations.add(e);
    }

    /**
     * Returns the steps.
     *
     * @return steps in order
     */
    public List<Step> steps() {
        return steps;
    }

    /**
     * Returns the evaluations.
     *
     * @return evaluations in order
     */
    public List<Evaluation> evaluations() {
        return evaluations;
    }

    /**
     * Returns the median step time, excluding the first step (warm-up).
     *
     * @return milliseconds, or NaN without steps
     */
    public double medianStepMillis() {
        List<Double> t = new ArrayList<>();
        for (int i = steps.size() > 1 ? 1 : 0; i < steps.size(); i++) {
            t.add(steps.get(i).millis());
        }
        if (t.isEmpty()) {
            return Double.NaN;
        }
        t.sort(null);
        int n = t.size();
        return n % 2 == 1 ? t.get(n / 2) : (t.get(n / 2 - 1) + t.get(n / 2)) / 2;
    }
}
