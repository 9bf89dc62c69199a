package org.peft4j.benchmarks.experiments.soups;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.peft4j.core.io.AtomicFiles;

/**
 * Claim (d)'s validation grids as a PNG: one panel per task set, mean normalised validation accuracy of task
 * arithmetic and of task arithmetic + LiNeS against the scale the merge gives the deepest block (TA: its
 * {@code lambda}, the same for every block; LiNeS: {@code 1/T + beta}, its shallowest block and the embeddings
 * getting {@code alpha = 1/T}). Drawn on that common axis, the plot shows which scales each method can reach.
 */
final class MergeGridPlot {

    /**
     * One task set's grid.
     *
     * @param name the task set, e.g. "spam vs ham + spam-1 vs spam-2"
     * @param alpha LiNeS's alpha (1/T from the L1 norms)
     * @param grid the coefficients tried (TA's lambda and LiNeS's beta)
     * @param ta mean normalised validation accuracy of TA per coefficient, as a fraction
     * @param lines the same for TA + LiNeS
     */
    record Panel(String name, double alpha, double[] grid, double[] ta, double[] lines) {
        Panel {
            if (ta.length != grid.length || lines.length != grid.length) {
                throw new IllegalArgumentException("panel '" + name + "': " + grid.length + " coefficients but " + ta.length + " TA and " + lines.length
                        + " LiNeS scores");
            }
        }
    }

    private MergeGridPlot() {}

    /**
     * Writes the plot (atomically).
     *
     * @param file the PNG
     * @param title chart title
     * @param panels one per task set, at least one
     * @throws IOException if the write fails
     */
    static void write(Path file, String title, List<Panel> panels) throws IOException {
        if (panels.isEmpty()) {
            throw new IllegalArgumentException("no task sets to plot");
        }
        CombinedDomainXYPlot combined = new CombinedDomainXYPlot(
                new NumberAxis("scale of the deepest block (TA: lambda, every block alike; TA + LiNeS: 1/T + beta, shallowest block 1/T)"));
        combined.setGap(12);
        for (Panel p : panels) {
            XYSeries ta = new XYSeries("TA");
            XYSeries lines = new XYSeries("TA + LiNeS");
            for (int i = 0; i < p.grid().length; i++) {
                ta.add(p.grid()[i], 100 * p.ta()[i]);
                lines.add(p.alpha() + p.grid()[i], 100 * p.lines()[i]);
            }
            XYSeriesCollection data = new XYSeriesCollection();
            data.addSeries(ta);
            data.addSeries(lines);
            NumberAxis y = new NumberAxis(String.format(Locale.ROOT, "%s (1/T = %.2f)", shorten(p.name()), p.alpha()));
            y.setAutoRangeIncludesZero(false);
            y.setLabelFont(y.getLabelFont().deriveFont(10f));
            XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
            r.setSeriesPaint(0, new Color(31, 119, 180));
            r.setSeriesPaint(1, new Color(214, 39, 40));
            r.setSeriesStroke(0, new BasicStroke(2f));
            r.setSeriesStroke(1, new BasicStroke(2f));
            XYPlot plot = new XYPlot(data, null, y, r);
            plot.setBackgroundPaint(Color.WHITE);
            plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
            plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
            combined.add(plot);
        }
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, combined, false);
        chart.addSubtitle(new TextTitle("mean normalised validation accuracy (%); blue: TA, red: TA + LiNeS"));
        chart.setBackgroundPaint(Color.WHITE);
        AtomicFiles.write(file, out -> ChartUtils.writeChartAsPNG(out, chart, 1000, 220 + 230 * panels.size()));
    }

    private static String shorten(String setName) {
        return setName.replace("spam vs ham", "spam/ham").replace("spam-1 vs spam-2", "spam-1/2").replace("easy-ham-1 vs easy-ham-2", "ham-1/2");
    }
}
