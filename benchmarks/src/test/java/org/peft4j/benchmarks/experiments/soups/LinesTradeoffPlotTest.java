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

/** The (c) trade-off plot: LiNeS against uniform scaling, control against target accuracy. */
class LinesTradeoffPlotTest {

    @TempDir
    Path dir;

    @Test
    void writesThePngAndNothingElse() throws Exception {
        Path png = dir.resolve("c-c.png");
        LinesTradeoffPlot.write(png, "test", List.of(new LinesTradeoffPlot.Point(0.0, 0.95, 0.82, 0.955, 0.81),
                new LinesTradeoffPlot.Point(0.5, 0.96, 0.80, 0.96, 0.80), new LinesTradeoffPlot.Point(1.0, 0.962, 0.795, 0.962, 0.795)), 0.84);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(1000, image.getWidth());
        assertEquals(600, image.getHeight());
        assertTrue(Files.list(dir).allMatch(p -> p.equals(png)), "only the PNG, no temporary file left behind");
    }

    @Test
    void pointsAtTheSameCoordinatesShareOneLabel() {
        List<LinesTradeoffPlot.Label> labels = LinesTradeoffPlot.labels(
                List.of(new double[] {0.962, 0.8517}, new double[] {0.964, 0.8383}, new double[] {0.964, 0.8383}, new double[] {0.964, 0.8283}),
                List.of("0.50", "0.60", "0.70", "0.80"));
        assertEquals(List.of(new LinesTradeoffPlot.Label(0.962, 0.8517, "0.50"), new LinesTradeoffPlot.Label(0.964, 0.8383, "0.60, 0.70"),
                new LinesTradeoffPlot.Label(0.964, 0.8283, "0.80")), labels);
    }

    @Test
    void fewerThanTwoPointsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LinesTradeoffPlot.write(dir.resolve("x.png"), "t",
                List.of(new LinesTradeoffPlot.Point(1.0, 0.96, 0.8, 0.96, 0.8)), 0.84));
        assertTrue(e.getMessage().contains("at least two") && e.getMessage().contains("got 1"), e.getMessage());
        assertTrue(!Files.exists(dir.resolve("x.png")));
    }
}
