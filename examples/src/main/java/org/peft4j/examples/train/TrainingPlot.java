package org.peft4j.examples.train;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.peft4j.core.io.AtomicFiles;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Draws training curves as a PNG: loss per step (training, smoothed, and validation) above accuracy
 * per step (training batches, smoothed, and validation), one pair of curves per run.
 */
public final class TrainingPlot {

    private TrainingPlot() {}

    /**
     * Writes the plot (atomically).
     *
     * @param file the PNG to write
     * @param title the chart title
     * @param runs run name to history, e.g. {@code "LoRA"} and {@code "head only"}
     * @throws IOException if the write fails
     */
    public static void write(Path file, String title, Map<String, TrainingHistory> runs) throws IOException {
        XYSeriesCollection loss = new XYSeriesCollection();
        XYSeriesCollection acc = new XYSeriesCollection();
        for (Map.Entry<String, TrainingHistory> run : runs.entrySet()) {
            List<TrainingHistory.Step> steps = run.getValue().steps();
            XYSeries trainLoss = new XYSeries(run.getKey() + " train loss (smoothed)");
            XYSeries trainAcc = new XYSeries(run.getKey() + " train accuracy (smoothed)");
            double emaL = Double.NaN;
            double emaA = Double.NaN;
            for (TrainingHistory.Step s : steps) {
                emaL = Double.isNaN(emaL) ? s.loss() : 0.9 * emaL + 0.1 * s.loss();
                emaA = Double.isNaN(emaA) ? s.accuracy() : 0.9 * emaA + 0.1 * s.accuracy();
                trainLoss.add(s.step(), emaL);
                trainAcc.add(s.step(), emaA);
            }
            XYSeries valLoss = new XYSeries(run.getKey() + " validation loss");
            XYSeries valAcc = new XYSeries(run.getKey() + " validation accuracy");
            for (TrainingHistory.Evaluation e : run.getValue().evaluations()) {
                valLoss.add(e.step(), e.loss());
                valAcc.add(e.step(), e.accuracy());
            }
            loss.addSeries(trainLoss);
            loss.addSeries(valLoss);
            acc.addSeries(trainAcc);
            acc.addSeries(valAcc);
        }
        NumberAxis step = new NumberAxis("optimizer step");
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(step);
        plot.add(panel(loss, "cross-entropy loss", false), 1);
        plot.add(panel(acc, "accuracy", true), 1);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        AtomicFiles.write(file, out -> ChartUtils.writeChartAsPNG(out, chart, 1000, 700));
    }

    private static XYPlot panel(XYSeriesCollection data, String label, boolean unitRange) {
        NumberAxis y = new NumberAxis(label);
        y.setAutoRangeIncludesZero(false);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        Color[] colors = {new Color(31, 119, 180), new Color(31, 119, 180), new Color(255, 127, 14), new Color(255, 127, 14)};
        for (int i = 0; i < data.getSeriesCount(); i++) {
            boolean validation = i % 2 == 1;
            r.setSeriesPaint(i, colors[i % colors.length]);
            r.setSeriesStroke(i, validation ? new BasicStroke(2.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f, new float[] {6f, 4f}, 0f) : new BasicStroke(1.5f));
            r.setSeriesShapesVisible(i, validation);
        }
        XYPlot p = new XYPlot(data, null, y, r);
        p.setBackgroundPaint(Color.WHITE);
        p.setDomainGridlinePaint(Color.LIGHT_GRAY);
        p.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return p;
    }
}
