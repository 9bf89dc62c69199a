package org.peft4j.benchmarks.experiments.soups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The (d) grid plot: one panel per task set, written next to the report. */
class MergeGridPlotTest {

    @TempDir
    Path dir;

    @Test
    void writesOnePanelPerTaskSetNextToTheReport() throws Exception {
        Path png = MergingMiniature.siblingPng(dir.resolve("d-3.md"), "-d");
        assertEquals(dir.resolve("d-3-d.png"), png);
        double[] grid = {0.1, 0.5, 1.0};
        MergeGridPlot.write(png, "test", List.of(
                new MergeGridPlot.Panel("spam vs ham + spam-1 vs spam-2", 0.5, grid, new double[] {0.98, 0.93, 0.88}, new double[] {0.91, 0.90, 0.87}),
                new MergeGridPlot.Panel("spam-1 vs spam-2 + easy-ham-1 vs easy-ham-2", 0.5, grid, new double[] {0.99, 0.96, 0.92},
                        new double[] {0.95, 0.93, 0.90})));
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(1000, image.getWidth());
        assertEquals(220 + 2 * 230, image.getHeight());
        assertTrue(Files.list(dir).allMatch(p -> p.equals(png)), "only the PNG, no temporary file left behind");
    }

    @Test
    void mismatchedLengthsAndNoPanelsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MergeGridPlot.Panel("a + b", 0.5, new double[] {0.1, 0.2}, new double[] {0.9}, new double[] {0.9, 0.8}));
        assertTrue(e.getMessage().contains("'a + b'") && e.getMessage().contains("2 coefficients but 1 TA"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MergeGridPlot.write(dir.resolve("x.png"), "t", List.of()));
    }
}
