package org.peft4j.benchmarks.soak;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.peft4j.core.io.AtomicFiles;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A line chart of a soak run's resident memory (MiB) against training steps, with the warm-up step
 * marked. Written as a 1000x600 PNG, atomically.
 */
public final class SoakChart {

    private static final Color LINE = new Color(31, 119, 180);

    private SoakChart() {}

    /**
     * Writes the chart.
     *
     * @param r the report
     * @param file the PNG file
     * @throws IOException if it cannot be written
     */
    public static void write(SoakReport r, Path file) throws IOException {
        XYSeries rss = new XYSeries("VmRSS");
        for (SoakSample s : r.samples()) {
            rss.add(s.step(), s.rssMib());
        }
        String title = String.format(Locale.ROOT, "Resident memory over training steps: %s, batch %d x %d", r.settings().rowId(),
                r.settings().batch(), r.settings().seqLen());
        JFreeChart chart = ChartFactory.createXYLineChart(title, "training step", "RSS (MiB)", new XYSeriesCollection(rss),
                PlotOrientation.VERTICAL, false, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        renderer.setSeriesPaint(0, LINE);
        renderer.setSeriesStroke(0, new BasicStroke(2f));
        plot.setRenderer(renderer);
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        if (r.verdict() != null) {
            ValueMarker warm = new ValueMarker(r.verdict().warmUpStep(), Color.GRAY, new BasicStroke(1f));
            warm.setLabel("warm-up ends");
            warm.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
            warm.setLabelTextAnchor(TextAnchor.TOP_LEFT);
            plot.addDomainMarker(warm);
        }
        AtomicFiles.write(file, out -> ChartUtils.writeChartAsPNG(out, chart, 1000, 600));
    }
}
