package org.peft4j.benchmarks.experiments;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
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
 * Training-loss curves of several arms, each the mean over its seeds of the per-step batch loss,
 * smoothed with an exponential moving average (weight 0.1 on the new step), as a PNG.
 */
final class MeanLossPlot {

    private static final Color[] COLORS = {new Color(127, 127, 127), new Color(31, 119, 180), new Color(174, 199, 232), new Color(44, 160, 44),
        new Color(214, 39, 40), new Color(152, 223, 138), new Color(255, 152, 150), new Color(148, 103, 189), new Color(255, 127, 14),
        new Color(140, 86, 75), new Color(23, 190, 207)};

    private MeanLossPlot() {}

    /**
     * Writes the plot (atomically).
     *
     * @param file the PNG
     * @param title chart title
     * @param lossesByArm arm name to one per-step loss array per seed (step 1 first); arrays of one arm may differ in length
     * @throws IOException if the write fails
     */
    static void write(Path file, String title, Map<String, List<double[]>> lossesByArm) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Map.Entry<String, List<double[]>> arm : lossesByArm.entrySet()) {
            int steps = arm.getValue().stream().mapToInt(a -> a.length).min().orElse(0);
            XYSeries s = new XYSeries(arm.getKey() + " (" + arm.getValue().size() + " seeds)");
            double ema = Double.NaN;
            for (int i = 0; i < steps; i++) {
                double mean = 0;
                for (double[] run : arm.getValue()) {
                    mean += run[i];
                }
                mean /= arm.getValue().size();
                ema = Double.isNaN(ema) ? mean : 0.9 * ema + 0.1 * mean;
                s.add(i + 1, ema);
            }
            data.addSeries(s);
        }
        NumberAxis x = new NumberAxis("optimizer step");
        NumberAxis y = new NumberAxis("training loss (batch cross-entropy, mean over seeds, smoothed)");
        y.setAutoRangeIncludesZero(false);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            r.setSeriesPaint(i, COLORS[i % COLORS.length]);
            r.setSeriesStroke(i, new BasicStroke(2f));
        }
        XYPlot p = new XYPlot(data, x, y, r);
        p.setBackgroundPaint(Color.WHITE);
        p.setDomainGridlinePaint(Color.LIGHT_GRAY);
        p.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, p, true);
        chart.setBackgroundPaint(Color.WHITE);
        AtomicFiles.write(file, out -> ChartUtils.writeChartAsPNG(out, chart, 1000, 600));
    }
}
