package org.peft4j.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.testing.GuideSnippets;
import org.peft4j.core.testing.SmallCheckpoints;
import org.peft4j.merge.checkpoint.CheckpointView;
import org.peft4j.merge.checkpoint.FineTuneTransfer;
import org.peft4j.merge.checkpoint.MergeProgressListener;
import org.peft4j.merge.checkpoint.SafetensorsCheckpoint;
import org.peft4j.merge.checkpoint.StreamingMerger;
import org.peft4j.merge.checkpoint.StreamingReport;
import org.peft4j.merge.checkpoint.TaskVector;
import org.peft4j.merge.lines.LinesMerge;
import org.peft4j.merge.lines.LinesSchedule;
import org.peft4j.merge.method.MergeMethod;
import org.peft4j.merge.method.TaskArithmetic;
import org.peft4j.merge.method.TaskVectorMerge;
import org.peft4j.merge.method.Ties;
import org.peft4j.merge.soup.GreedySoup;
import org.peft4j.merge.soup.GreedySoupReport;
import org.peft4j.merge.soup.SoupIngredient;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the code of docs/merging.md ("Merging checkpoints from Java") on tiny checkpoints and checks
 * that the page shows exactly that code: each block between a {@code // guide: NAME} line and a
 * {@code // end guide} line below must appear verbatim (indentation removed) in the page. The
 * expected values are worked out by hand in the comments; small integers and halves are exact in
 * float32, so the tolerance is 0 unless stated.
 */
class MergingGuideTest {

    private static final Path GUIDE = Path.of("..", "docs", "merging.md");
    private static final Path SOURCE = Path.of("src", "test", "java", "org", "peft4j", "merge", "MergingGuideTest.java");

    private static void checkpoint(Path file, Object... nameValues) throws IOException {
        SmallCheckpoints.write(file, nameValues);
    }

    private static float[] read(Path file, String name) throws IOException {
        return SmallCheckpoints.read(file, name);
    }

    // PEFT's published TIES example as two fine-tunes of a zero base: t1 = [1,-2,3,0], t2 = [-1,-1,1,2]
    private static void peftExample(Path dir) throws IOException {
        checkpoint(dir.resolve("base.safetensors"), "w", new float[4]);
        checkpoint(dir.resolve("ft-a.safetensors"), "w", new float[] {1, -2, 3, 0});
        checkpoint(dir.resolve("ft-b.safetensors"), "w", new float[] {-1, -1, 1, 2});
    }

    // PEFT: ties(..., density=0.5) = [0,-2,2,2] (peft-semantics.md 7.2)
    @Test
    void tiesOfTwoCheckpointsStreamsToAFile(@TempDir Path dir) throws IOException {
        peftExample(dir);
        // guide: ties
        try (CheckpointView base = SafetensorsCheckpoint.open(dir.resolve("base.safetensors"));
                CheckpointView a = SafetensorsCheckpoint.open(dir.resolve("ft-a.safetensors"));
                CheckpointView b = SafetensorsCheckpoint.open(dir.resolve("ft-b.safetensors"))) {
            MergeMethod ties = TaskVectorMerge.of(Ties.of(0.5, 1.0, 1.0)); // density 0.5, weights 1 and 1
            StreamingReport report = StreamingMerger.builder()
                    .listener(MergeProgressListener.printing()) // "[i/n] name" per tensor, on standard output
                    .build()
                    .merge(base, List.of(a, b), ties, dir.resolve("merged.safetensors"));
            System.out.println(report.tensors() + " tensors in " + report.seconds() + " s");
        }
        // end guide
        assertArrayEquals(new float[] {0, -2, 2, 2}, read(dir.resolve("merged.safetensors"), "w"), 0f);
    }

    // Two blocks: lambda(block 0) = alpha = 0.5, lambda(block 1) = 1, the embeddings alpha.
    // tau = ft - base = [2, 4] for every key: [1 + 0.5*2, 1 + 0.5*4] for embeddings and block 0,
    // [1 + 2, 1 + 4] for block 1; the head exists only in the fine-tune and is kept as it is.
    @Test
    void linesScalesOneFineTuneByBlockDepth(@TempDir Path dir) throws IOException {
        float[] one = {1, 1};
        float[] ftValues = {3, 5};
        checkpoint(dir.resolve("base.safetensors"), "embeddings.w", one, "encoder.layer.0.w", one, "encoder.layer.1.w", one);
        checkpoint(dir.resolve("ft.safetensors"), "embeddings.w", ftValues, "encoder.layer.0.w", ftValues, "encoder.layer.1.w", ftValues,
                "classifier.weight", new float[] {7});
        // guide: lines
        try (CheckpointView base = SafetensorsCheckpoint.open(dir.resolve("base.safetensors"));
                CheckpointView ft = SafetensorsCheckpoint.open(dir.resolve("ft.safetensors"))) {
            int blocks = LinesSchedule.countBlocks(base.names(), LinesSchedule.DEFAULT_BLOCK_PATTERN); // "layer.N." keys
            MergeMethod lines = new LinesMerge(TaskArithmetic.of(1), LinesSchedule.singleTask(0.5, blocks));
            StreamingMerger.builder().build().merge(base, List.of(ft), lines, dir.resolve("lines.safetensors"));
        }
        // end guide
        Path out = dir.resolve("lines.safetensors");
        assertArrayEquals(new float[] {2, 3}, read(out, "embeddings.w"), 0f);
        assertArrayEquals(new float[] {2, 3}, read(out, "encoder.layer.0.w"), 0f);
        assertArrayEquals(new float[] {3, 5}, read(out, "encoder.layer.1.w"), 0f);
        assertArrayEquals(new float[] {7}, read(out, "classifier.weight"), 0f);
    }

    // Task arithmetic of two tasks: alpha = (1/2) ||t1 + t2||_1 / ||t1 + t2||_1 = 1/2 (LiNeS 5.3), beta 0.5:
    // lambda(block 0) = 0.5, lambda(block 1) = 1. t1 + t2 = [0,-3,4,2] (PEFT's example) in both blocks.
    @Test
    void multiTaskLinesTakesAlphaFromTheTaskVectors(@TempDir Path dir) throws IOException {
        checkpoint(dir.resolve("base.safetensors"), "layers.0.w", new float[4], "layers.1.w", new float[4]);
        checkpoint(dir.resolve("ft-a.safetensors"), "layers.0.w", new float[] {1, -2, 3, 0}, "layers.1.w", new float[] {1, -2, 3, 0});
        checkpoint(dir.resolve("ft-b.safetensors"), "layers.0.w", new float[] {-1, -1, 1, 2}, "layers.1.w", new float[] {-1, -1, 1, 2});
        double alpha;
        // guide: lines-multi
        try (NDManager manager = NDManager.newBaseManager();
                CheckpointView base = SafetensorsCheckpoint.open(dir.resolve("base.safetensors"));
                CheckpointView a = SafetensorsCheckpoint.open(dir.resolve("ft-a.safetensors"));
                CheckpointView b = SafetensorsCheckpoint.open(dir.resolve("ft-b.safetensors"))) {
            TaskArithmetic sum = TaskArithmetic.of(1, 1);
            alpha = LinesMerge.multiTaskAlpha(base, List.of(a, b), sum, manager); // 1/T for task arithmetic
            int blocks = LinesSchedule.countBlocks(base.names(), LinesSchedule.DEFAULT_BLOCK_PATTERN);
            MergeMethod lines = new LinesMerge(sum, LinesSchedule.multiTask(alpha, 0.5, blocks)); // beta 0.5
            StreamingMerger.builder().build().merge(base, List.of(a, b), lines, dir.resolve("multi.safetensors"));
        }
        // end guide
        assertEquals(0.5, alpha, 1e-12);
        assertArrayEquals(new float[] {0, -1.5f, 2, 1}, read(dir.resolve("multi.safetensors"), "layers.0.w"), 0f);
        assertArrayEquals(new float[] {0, -3, 4, 2}, read(dir.resolve("multi.safetensors"), "layers.1.w"), 0f);
    }

    // Three ingredients w = [4, 0], [0, 4], [-4, 0]; the held-out score is minus the squared distance to
    // [2, 2]: alone 20, 20, 40 away -> scores -20, -20, -40, order x (first of the tie), y, z.
    // x + y averaged = [2, 2]: score 0 >= -20, kept. Adding z: mean [0, 4/3], score -(4 + 4/9) < 0: not kept.
    @Test
    void greedySoupKeepsTheIngredientsThatDoNotLowerTheHeldOutScore(@TempDir Path dir) throws IOException {
        checkpoint(dir.resolve("x.safetensors"), "w", new float[] {4, 0});
        checkpoint(dir.resolve("y.safetensors"), "w", new float[] {0, 4});
        checkpoint(dir.resolve("z.safetensors"), "w", new float[] {-4, 0});
        List<String> kept;
        // guide: soup
        List<CheckpointView> opened = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            List<SoupIngredient> ingredients = new ArrayList<>();
            for (String name : List.of("x", "y", "z")) {
                CheckpointView c = SafetensorsCheckpoint.open(dir.resolve(name + ".safetensors"));
                opened.add(c);
                ingredients.add(new SoupIngredient(name, c));
            }
            // the held-out score of a candidate; here a stand-in, usually a model's validation accuracy
            GreedySoupReport report = GreedySoup.paper().cook(ingredients, candidate -> {
                try (NDManager scratch = manager.newSubManager()) {
                    NDArray w = candidate.load("w", scratch);
                    return -w.sub(scratch.create(new float[] {2, 2})).square().sum().getFloat();
                }
            });
            System.out.println("kept " + report.kept() + ", held-out score " + report.finalScore());
            StreamingMerger.builder().build().write(report.soup(), dir.resolve("soup.safetensors"));
            kept = report.kept();
        } finally {
            opened.forEach(CheckpointView::close);
        }
        // end guide
        assertEquals(List.of("x", "y"), kept);
        assertArrayEquals(new float[] {2, 2}, read(dir.resolve("soup.safetensors"), "w"), 0f);
    }

    // other + 0.5 * (ft - base) = [10, 20] + 0.5 * [2, -4] = [11, 18]
    @Test
    void fineTuningTransferMovesATaskVectorToAnotherCheckpoint(@TempDir Path dir) throws IOException {
        checkpoint(dir.resolve("base.safetensors"), "w", new float[] {1, 1});
        checkpoint(dir.resolve("ft.safetensors"), "w", new float[] {3, -3});
        checkpoint(dir.resolve("other-base.safetensors"), "w", new float[] {10, 20});
        // guide: transfer
        try (CheckpointView base = SafetensorsCheckpoint.open(dir.resolve("base.safetensors"));
                CheckpointView ft = SafetensorsCheckpoint.open(dir.resolve("ft.safetensors"));
                CheckpointView other = SafetensorsCheckpoint.open(dir.resolve("other-base.safetensors"))) {
            TaskVector tau = TaskVector.between(ft, base); // ft - base, lazily, tensor by tensor
            StreamingMerger.builder().build().write(FineTuneTransfer.apply(tau, other, 0.5), dir.resolve("moved.safetensors"));
        }
        // end guide
        assertArrayEquals(new float[] {11, 18}, read(dir.resolve("moved.safetensors"), "w"), 0f);
    }

    @Test
    void theGuideShowsExactlyTheCodeTheseTestsRun() throws IOException {
        GuideSnippets.assertPagesShow(SOURCE, 5, GUIDE);
    }
}
