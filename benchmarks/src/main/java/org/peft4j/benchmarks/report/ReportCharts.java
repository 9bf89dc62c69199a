package org.peft4j.benchmarks.report;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;
import org.peft4j.core.io.AtomicFiles;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.ToDoubleFunction;

/**
 * Bar charts of a {@link RunReport}: median step time, MFU and peak memory per row, with a second
 * bar per row for the PyTorch side when it ran. Written as 1000x600 PNGs, atomically.
 */
public final class ReportCharts {

    private static final Color PEFT4J = new Color(31, 119, 180);
    private static final Color PYTORCH = new Color(255, 127, 14);

    private ReportCharts() {}

    /**
     * Writes {@code step-time.png}, {@code mfu.png} and {@code peak-memory.png} into {@code dir}.
     *
     * @param r the report
     * @param dir the folder
     * @throws IOException if a file cannot be written
     */
    public static void writeAll(RunReport r, Path dir) throws IOException {
        write(r, dir.resolve("step-time.png"), "Median step time, batch 32 x 128 (lower is better)", "milliseconds", SideResult::medianMillis);
        write(r, dir.resolve("mfu.png"), "Model FLOP utilisation vs each side's measured matmul peak", "% of peak", s -> 100 * s.mfu());
        write(r, dir.resolve("peak-memory.png"), "Peak resident memory of the process", "MB", s -> s.peakRssBytes() / 1e6);
    }

    private static void write(RunReport r, Path file, String title, String unit, ToDoubleFunction<SideResult> value) throws IOException {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        boolean vs = false;
        for (RowResult x : r.rows()) {
            data.addValue(value.applyAsDouble(x.jvm()), "peft4j", x.title());
            if (x.python() != null) {
                vs = true;
                data.addValue(value.applyAsDouble(x.python()), "PyTorch", x.title());
            }
        }
        JFreeChart chart = ChartFactory.createBarChart(title, null, unit, data, PlotOrientation.VERTICAL, vs, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        BarRenderer renderer = (BarRenderer) plot.getRenderer();
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setSeriesPaint(0, PEFT4J);
        renderer.setSeriesPaint(1, PYTORCH);
        CategoryAxis axis = plot.getDomainAxis();
        axis.setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        axis.setMaximumCategoryLabelLines(2);
        AtomicFiles.write(file, out -> ChartUtils.writeChartAsPNG(out, chart, 1000, 600));
    }
}
