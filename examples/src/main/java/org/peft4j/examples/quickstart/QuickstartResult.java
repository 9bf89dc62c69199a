package org.peft4j.examples.quickstart;

import org.peft4j.core.TrainableSummary;
import org.peft4j.examples.train.ClassificationMetrics;
import org.peft4j.examples.train.TrainingHistory;

/**
 * What the quickstart measured.
 *
 * @param headOnly test metrics of the head-only baseline
 * @param adapted test metrics of the adapted model
 * @param headOnlyTrainable trainable parameters of the baseline
 * @param adaptedTrainable trainable parameters with the adapter
 * @param headOnlyHistory the baseline's training curves
 * @param adaptedHistory the adapter run's training curves
 * @param peakRssBytes peak resident memory of the process (VmHWM), or -1 where unknown
 * @param wallSeconds wall time of the whole run
 */
public record QuickstartResult(ClassificationMetrics headOnly, ClassificationMetrics adapted, TrainableSummary headOnlyTrainable,
                               TrainableSummary adaptedTrainable, TrainingHistory headOnlyHistory, TrainingHistory adaptedHistory,
                               long peakRssBytes, double wallSeconds) {}
