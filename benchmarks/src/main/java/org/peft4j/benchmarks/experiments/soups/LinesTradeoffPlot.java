package org.peft4j.benchmarks.experiments.soups;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.peft4j.core.io.AtomicFiles;

/**
 * Claim (c)'s trade-off as a PNG: control accuracy against target accuracy on the test split for single-task
 * LiNeS at each {@code alpha} and for uniform (WiSE-style) scaling of the whole update by the same mean
 * scale, with the pretrained encoder's control as a horizontal line. A method that protects the general
 * ability better sits higher at the same target accuracy.
 */
final class LinesTradeoffPlot {

    /**
     * One point of the sweep, as fractions.
     *
     * @param alpha LiNeS's alpha (uniform scaling uses {@code (1 + alpha) / 2}, the mean of LiNeS's block scales)
     * @param linesTarget target accuracy of LiNeS at this alpha
     * @param linesControl control accuracy of LiNeS at this alpha
     * @param uniformTarget target accuracy of the uniformly scaled update
     * @param uniformControl control accuracy of the uniformly scaled update
     */
    record Point(double alpha, double linesTarget, double linesControl, double uniformTarget, double uniformControl) {}

    /** A point label: the texts of every sweep point at {@code (x, y)}, joined by ", ". */
    record Label(double x, double y, String text) {}

    private LinesTradeoffPlot() {}

    /**
     * One label per distinct point, in sweep order: points at the same coordinates (accuracies are counts
     * over a fixed set, so equal scores are exactly equal) share one label listing their texts, instead of
     * drawing them on top of each other.
     */
    static List<Label> labels(List<double[]> xy, List<String> texts) {
        Map<List<Double>, String> byPoint = new LinkedHashMap<>();
        for (int i = 0; i < xy.size(); i++) {
            byPoint.merge(List.of(xy.get(i)[0], xy.get(i)[1]), texts.get(i), (a, b) -> a + ", " + b);
        }
        return byPoint.entrySet().stream().map(e -> new Label(e.getKey().get(0), e.getKey().get(1), e.getValue())).toList();
    }

    /**
     * Writes the plot (atomically).
     *
     * @param file the PNG
     * @param title chart title
     * @param points the sweep, at least two points
     * @param pretrainedControl the pretrained encoder's control accuracy, as a fraction
     * @throws IOException if the write fails
     */
    static void write(Path file, String title, List<Point> points, double pretrainedControl) throws IOException {
        if (points.size() < 2) {
            throw new IllegalArgumentException("a trade-off needs at least two sweep points, got " + points.size());
        }
        XYSeries lines = new XYSeries("LiNeS, alpha", false);
        XYSeries uniform = new XYSeries("uniform scaling (1 + alpha) / 2", false);
        XYPlot plot = new XYPlot();
        for (Point p : points) {
            lines.add(100 * p.linesTarget(), 100 * p.linesControl());
            uniform.add(100 * p.uniformTarget(), 100 * p.uniformControl());
        }
        for (Label l : labels(points.stream().map(p -> new double[] {p.linesTarget(), p.linesControl()}).toList(),
                points.stream().map(p -> String.format(Locale.ROOT, "%.1f", p.alpha())).toList())) {
            XYTextAnnotation label = new XYTextAnnotation(l.text(), 100 * l.x(), 100 * l.y() + 0.25);
            label.setPaint(new Color(214, 39, 40));
            plot.addAnnotation(label);
        }
        for (Label l : labels(points.stream().map(p -> new double[] {p.uniformTarget(), p.uniformControl()}).toList(),
                points.stream().map(p -> String.format(Locale.ROOT, "%.2f", (1 + p.alpha()) / 2)).toList())) {
            XYTextAnnotation scale = new XYTextAnnotation(l.text(), 100 * l.x() + 0.04, 100 * l.y() - 0.25);
            scale.setPaint(new Color(31, 119, 180));
            scale.setFont(scale.getFont().deriveFont(10f));
            scale.setTextAnchor(TextAnchor.TOP_LEFT);
            plot.addAnnotation(scale);
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(lines);
        data.addSeries(uniform);
        NumberAxis x = new NumberAxis("target (spam) test accuracy (%)");
        x.setAutoRangeIncludesZero(false);
        NumberAxis y = new NumberAxis("control test accuracy (%)");
        y.setAutoRangeIncludesZero(false);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        r.setSeriesPaint(0, new Color(214, 39, 40));
        r.setSeriesPaint(1, new Color(31, 119, 180));
        r.setSeriesStroke(0, new BasicStroke(2f));
        r.setSeriesStroke(1, new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f, new float[] {6f, 4f}, 0f));
        plot.setDataset(data);
        plot.setDomainAxis(x);
        plot.setRangeAxis(y);
        plot.setRenderer(r);
        ValueMarker pre = new ValueMarker(100 * pretrainedControl);
        pre.setPaint(Color.DARK_GRAY);
        pre.setLabel(String.format(Locale.ROOT, "pretrained control %.2f", 100 * pretrainedControl));
        pre.setLabelFont(pre.getLabelFont().deriveFont(11f));
        pre.setLabelAnchor(RectangleAnchor.TOP_LEFT);
        pre.setLabelTextAnchor(TextAnchor.BOTTOM_LEFT);
        plot.addRangeMarker(pre);
        // keep the pretrained line in view
        double lo = Math.min(100 * pretrainedControl, points.stream().mapToDouble(p -> 100 * Math.min(p.linesControl(), p.uniformControl())).min().orElseThrow());
        double hi = Math.max(100 * pretrainedControl, points.stream().mapToDouble(p -> 100 * Math.max(p.linesControl(), p.uniformControl())).max().orElseThrow());
        y.setRange(lo - 1, hi + 1);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.addSubtitle(new TextTitle("red: LiNeS, labels alpha; blue, dashed: the whole encoder update scaled by lambda = (1 + alpha) / 2, labels lambda; alpha = 1: the fine-tune"));
        chart.setBackgroundPaint(Color.WHITE);
        AtomicFiles.write(file, out -> ChartUtils.writeChartAsPNG(out, chart, 1000, 600));
    }
}
