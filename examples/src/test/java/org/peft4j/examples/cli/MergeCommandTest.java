package org.peft4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.testing.SmallCheckpoints;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code peft4j merge RECIPE} on tiny safetensors checkpoints written by the test. */
class MergeCommandTest {

    private static String[] run(int expectedStatus, String... args) {
        return CliRun.run(expectedStatus, args);
    }

    private static void checkpoint(Path file, Object... nameValues) throws IOException {
        SmallCheckpoints.write(file, nameValues);
    }

    private static float[] read(Path file, String name) throws IOException {
        return SmallCheckpoints.read(file, name);
    }

    /** Runs a recipe that must fail as a usage error (status 2) and returns its one-line message. */
    private static String usageError(Path dir, String file, String text) throws IOException {
        Path recipe = dir.resolve(file);
        Files.writeString(recipe, text);
        String err = run(2, "merge", recipe.toString())[1].strip();
        assertTrue(err.contains(recipe.toString()), "names the recipe file: " + err);
        assertEquals(1, err.lines().count(), err);
        return err;
    }

    // ---- slerp -------------------------------------------------------------------------------

    // p and q: tensor "a" is a colinear pair (q = 2p), "b" an orthogonal pair of different norms.
    private static void slerpPair(Path dir) throws IOException {
        checkpoint(dir.resolve("p.safetensors"), "a", new float[] {1, 2, 3}, "b", new float[] {3, 0});
        checkpoint(dir.resolve("q.safetensors"), "a", new float[] {2, 4, 6}, "b", new float[] {0, 2});
    }

    /**
     * mergekit's slerp from p (t = 0) to q (t = 1), worked out here: the colinear "a" is the lerp
     * {@code (1-t) p + t q}; the orthogonal "b" has Omega = pi/2, sin Omega = 1, so it is {@code
     * sin((1-t) pi/2) p + sin(t pi/2) q}. Float32 arithmetic of values near 1: tolerance 1e-5.
     */
    private static void assertSlerpFromPToQ(Path merged, double t) throws IOException {
        float[] a = read(merged, "a");
        float[] b = read(merged, "b");
        for (int i = 0; i < 3; i++) {
            double p = i + 1;
            assertEquals((1 - t) * p + t * 2 * p, a[i], 1e-5, "a[" + i + "]");
        }
        assertEquals(3 * Math.sin((1 - t) * Math.PI / 2), b[0], 1e-5, "b[0]");
        assertEquals(2 * Math.sin(t * Math.PI / 2), b[1], 1e-5, "b[1]");
    }

    @Test
    void slerpWithoutBaseInterpolatesFromTheFirstModelToTheSecond(@TempDir Path tmp) throws IOException {
        slerpPair(tmp);
        Files.writeString(tmp.resolve("slerp.json"), "{\"method\": \"slerp\", \"models\": [{\"path\": \"p.safetensors\"}, {\"path\": \"q.safetensors\"}],"
                + " \"t\": 0.3333333333333333, \"output\": \"out/two.safetensors\"}");
        run(0, "merge", tmp.resolve("slerp.json").toString());
        assertSlerpFromPToQ(tmp.resolve("out/two.safetensors"), 1.0 / 3);
    }

    @Test
    void slerpWithBaseInterpolatesFromTheBaseToTheOneModel(@TempDir Path tmp) throws IOException {
        slerpPair(tmp);
        Files.writeString(tmp.resolve("slerp.yaml"), "method: slerp\nbase: p.safetensors\nmodels:\n  - {path: q.safetensors}\nt: 0.25\n"
                + "output: out/based.safetensors\n");
        run(0, "merge", tmp.resolve("slerp.yaml").toString());
        assertSlerpFromPToQ(tmp.resolve("out/based.safetensors"), 0.25);
    }

    @Test
    void slerpAtTZeroReturnsTheFirstModel(@TempDir Path tmp) throws IOException {
        slerpPair(tmp);
        Files.writeString(tmp.resolve("slerp.yaml"), "method: slerp\nmodels: [{path: p.safetensors}, {path: q.safetensors}]\nt: 0\n"
                + "output: zero.safetensors\n");
        run(0, "merge", tmp.resolve("slerp.yaml").toString());
        assertArrayEquals(new float[] {1, 2, 3}, read(tmp.resolve("zero.safetensors"), "a"), 0f);
        assertArrayEquals(new float[] {3, 0}, read(tmp.resolve("zero.safetensors"), "b"), 0f);
    }

    @Test
    void slerpRejectsEveryOtherCombinationOfBaseAndModels(@TempDir Path tmp) throws IOException {
        slerpPair(tmp);
        String[] recipes = {
            "method: slerp\nbase: p.safetensors\nmodels: [{path: p.safetensors}, {path: q.safetensors}]\noutput: o.safetensors\n",
            "method: slerp\nmodels: [{path: q.safetensors}]\noutput: o.safetensors\n",
            "method: slerp\nmodels: [{path: p.safetensors}, {path: q.safetensors}, {path: q.safetensors}]\noutput: o.safetensors\n",
        };
        for (String text : recipes) {
            String err = usageError(tmp, "bad.yaml", text);
            assertTrue(err.contains("'base'") && err.contains("'models'") && err.contains("exactly 1") && err.contains("exactly 2"), err);
        }
    }

    // ---- per-model density ---------------------------------------------------------------------

    // PEFT's TIES example tensors t1 = [1,-2,3,0], t2 = [-1,-1,1,2] over a zero base
    private static void peftTiesExample(Path dir) throws IOException {
        checkpoint(dir.resolve("base.safetensors"), "w", new float[4]);
        checkpoint(dir.resolve("a.safetensors"), "w", new float[] {1, -2, 3, 0});
        checkpoint(dir.resolve("b.safetensors"), "w", new float[] {-1, -1, 1, 2});
    }

    // models[0].density 0.5 trims t1 to [0,-2,3,0]; models[1] falls back to density 1 (t2 untouched);
    // signs of the sum [-1,-3,4,2] are [-,-,+,+]; agreeing means [-1, -1.5, 2, 2]. Halves: exact.
    @Test
    void tiesTrimsEachModelWithItsOwnDensityFallingBackToTheTopLevelOne(@TempDir Path tmp) throws IOException {
        peftTiesExample(tmp);
        Files.writeString(tmp.resolve("recipe.yaml"), "method: ties\nbase: base.safetensors\nmodels:\n  - {path: a.safetensors, density: 0.5}\n"
                + "  - {path: b.safetensors}\ndensity: 1.0\noutput: m.safetensors\n");
        run(0, "merge", tmp.resolve("recipe.yaml").toString());
        assertArrayEquals(new float[] {-1, -1.5f, 2, 2}, read(tmp.resolve("m.safetensors"), "w"), 0f);
    }

    // models[0] keeps everything (density 1), models[1] falls back to 0.5: whatever the seeded mask,
    // every merged entry minus t1 is 0 (dropped) or t2 / 0.5 (kept and rescaled by its own density).
    @Test
    void dareLinearRescalesEachModelByItsOwnDensity(@TempDir Path tmp) throws IOException {
        int n = 64;
        float[] t1 = new float[n];
        float[] t2 = new float[n];
        for (int i = 0; i < n; i++) {
            t1[i] = 10 + i;
            t2[i] = (i % 2 == 0 ? 1 : -1) * (1 + i / 8f);
        }
        checkpoint(tmp.resolve("base.safetensors"), "w", new float[n]);
        checkpoint(tmp.resolve("a.safetensors"), "w", t1);
        checkpoint(tmp.resolve("b.safetensors"), "w", t2);
        Files.writeString(tmp.resolve("recipe.yaml"), "method: dare_linear\nbase: base.safetensors\nmodels:\n  - {path: a.safetensors, density: 1.0}\n"
                + "  - {path: b.safetensors}\ndensity: 0.5\nseed: 7\noutput: m.safetensors\n");
        run(0, "merge", tmp.resolve("recipe.yaml").toString());
        float[] merged = read(tmp.resolve("m.safetensors"), "w");
        int kept = 0;
        for (int i = 0; i < n; i++) {
            float d = merged[i] - t1[i];
            if (d != 0) {
                // t1 + 2 t2 rounds once in float32 (values below 64): 1e-5
                assertEquals(2 * t2[i], d, 1e-5, "entry " + i);
                kept++;
            }
        }
        // a Bernoulli(0.5) mask over 64 entries keeps none or all with probability 2^-63
        assertTrue(kept > 0 && kept < n, "kept " + kept);
    }

    @Test
    void aDensityOutsideTheUnitIntervalIsAUsageErrorNamingItsField(@TempDir Path tmp) throws IOException {
        peftTiesExample(tmp);
        String err = usageError(tmp, "bad.yaml", "method: ties\nbase: base.safetensors\nmodels:\n  - {path: a.safetensors}\n"
                + "  - {path: b.safetensors, density: 1.5}\ndensity: 0.5\noutput: o.safetensors\n");
        assertTrue(err.contains("models[1].density") && err.contains("(0, 1]"), err);
        err = usageError(tmp, "none.yaml", "method: ties\nbase: base.safetensors\nmodels: [{path: a.safetensors}, {path: b.safetensors}]\n"
                + "output: o.safetensors\n");
        assertTrue(err.contains("'density'") && err.contains("models[0].density"), err);
    }

    // ---- unknown keys --------------------------------------------------------------------------

    @Test
    void anUnknownTopLevelKeyIsAUsageErrorListingTheAllowedKeys(@TempDir Path tmp) throws IOException {
        peftTiesExample(tmp);
        String err = usageError(tmp, "bad.yaml", "method: ties\nbase: base.safetensors\nmodels: [{path: a.safetensors}]\ndensty: 0.5\n"
                + "output: o.safetensors\n");
        assertTrue(err.contains("unknown key 'densty'") && err.contains("allowed keys") && err.contains("density"), err);
    }

    @Test
    void aKeyTheMethodDoesNotReadIsAUsageError(@TempDir Path tmp) throws IOException {
        peftTiesExample(tmp);
        String err = usageError(tmp, "bad.yaml", "method: ties\nbase: base.safetensors\nmodels: [{path: a.safetensors}]\ndensity: 0.5\n"
                + "seed: 3\noutput: o.safetensors\n");
        assertTrue(err.contains("'seed'") && err.contains("not used by method ties") && err.contains("allowed keys"), err);
    }

    @Test
    void anUnknownKeyInAModelEntryIsAUsageErrorNamingTheEntry(@TempDir Path tmp) throws IOException {
        peftTiesExample(tmp);
        String err = usageError(tmp, "bad.yaml", "method: task_arithmetic\nbase: base.safetensors\nmodels:\n  - {path: a.safetensors}\n"
                + "  - {path: b.safetensors, wieght: 0.5}\noutput: o.safetensors\n");
        assertTrue(err.contains("unknown key 'models[1].wieght'") && err.contains("allowed keys") && err.contains("path, weight"), err);
    }

    @Test
    void anUnknownKeyInLinesIsAUsageError(@TempDir Path tmp) throws IOException {
        peftTiesExample(tmp);
        String err = usageError(tmp, "bad.yaml", "method: task_arithmetic\nbase: base.safetensors\nmodels: [{path: a.safetensors}]\n"
                + "lines: {alpha: 0.5, gamma: 1}\noutput: o.safetensors\n");
        assertTrue(err.contains("unknown key 'lines.gamma'") && err.contains("alpha, beta, block_pattern"), err);
    }

    // ---- LiNeS ---------------------------------------------------------------------------------

    // two blocks (layer.0, layer.1) and a key outside them; base 0, tau_a = [1, 2], tau_b = [3, -1]
    private static void twoBlocks(Path dir) throws IOException {
        checkpoint(dir.resolve("base.safetensors"), "embed.w", new float[2], "layer.0.w", new float[2], "layer.1.w", new float[2]);
        checkpoint(dir.resolve("a.safetensors"), "embed.w", new float[] {1, 2}, "layer.0.w", new float[] {1, 2}, "layer.1.w", new float[] {1, 2});
        checkpoint(dir.resolve("b.safetensors"), "embed.w", new float[] {3, -1}, "layer.0.w", new float[] {3, -1}, "layer.1.w", new float[] {3, -1});
    }

    @Test
    void linesWithoutAlphaIsAUsageErrorNamingLinesAlpha(@TempDir Path tmp) throws IOException {
        twoBlocks(tmp);
        String err = usageError(tmp, "bad.yaml", "method: task_arithmetic\nbase: base.safetensors\nmodels: [{path: a.safetensors}]\n"
                + "lines: {beta: 0.5}\noutput: o.safetensors\n");
        assertTrue(err.contains("lines.alpha") && err.contains("auto"), err);
    }

    // LiNeS paper 5.3 (methods-spec.md): for task arithmetic (a plain sum) the multi-task alpha
    // (1/T) ||sum tau||_1 / ||tau_merged||_1 is exactly 1/T = 0.5; beta defaults to 1 - alpha = 0.5, so
    // lambda is 0.5 outside the blocks and in layer.0, 0.5 + 0.5 = 1 in layer.1. The merged task
    // vector is tau_a + tau_b = [4, 1]. Values are halves and small integers: exact.
    @Test
    void linesAlphaAutoIsTheMultiTaskAlphaAndIsPrinted(@TempDir Path tmp) throws IOException {
        twoBlocks(tmp);
        Files.writeString(tmp.resolve("recipe.yaml"), "method: task_arithmetic\nbase: base.safetensors\n"
                + "models: [{path: a.safetensors}, {path: b.safetensors}]\nlines: {alpha: auto}\noutput: m.safetensors\n");
        String out = run(0, "merge", tmp.resolve("recipe.yaml").toString())[0];
        assertTrue(out.contains("alpha 0.500000") && out.contains("beta 0.500000") && out.contains("auto"), out);
        Path merged = tmp.resolve("m.safetensors");
        assertArrayEquals(new float[] {2, 0.5f}, read(merged, "embed.w"), 0f);
        assertArrayEquals(new float[] {2, 0.5f}, read(merged, "layer.0.w"), 0f);
        assertArrayEquals(new float[] {4, 1}, read(merged, "layer.1.w"), 0f);
    }

    @Test
    void linesWithAlphaAboveOneNeedsAnExplicitBeta(@TempDir Path tmp) throws IOException {
        twoBlocks(tmp);
        String err = usageError(tmp, "bad.yaml", "method: task_arithmetic\nbase: base.safetensors\nmodels: [{path: a.safetensors}]\n"
                + "lines: {alpha: 1.5}\noutput: o.safetensors\n");
        assertTrue(err.contains("lines.beta") && err.contains("1 - alpha"), err);
    }

    // ---- variant, lambda, normalize ------------------------------------------------------------

    // Weights [2, 1] on PEFT's example at density 1. mergekit's ties elects the sign of sum w_i t_i
    // ([1,-5,7,2]) and divides by the sum of the agreeing weights ([2,3,3,1]): [1, -5/3, 7/3, 2];
    // PEFT's divides by the agreeing count ([1,2,2,1]): [2, -2.5, 3.5, 2]. Float32 thirds: 1e-6.
    @Test
    void tiesVariantChoosesBetweenPeftAndMergekitConsensus(@TempDir Path tmp) throws IOException {
        peftTiesExample(tmp);
        String models = "models: [{path: a.safetensors, weight: 2}, {path: b.safetensors, weight: 1}]\ndensity: 1\n";
        Files.writeString(tmp.resolve("mk.yaml"), "method: ties\nvariant: mergekit\nbase: base.safetensors\n" + models + "output: mk.safetensors\n");
        Files.writeString(tmp.resolve("peft.yaml"), "method: ties\nbase: base.safetensors\n" + models + "output: peft.safetensors\n");
        run(0, "merge", tmp.resolve("mk.yaml").toString());
        run(0, "merge", tmp.resolve("peft.yaml").toString());
        assertArrayEquals(new float[] {1, -5f / 3, 7f / 3, 2}, read(tmp.resolve("mk.safetensors"), "w"), 1e-6f);
        assertArrayEquals(new float[] {2, -2.5f, 3.5f, 2}, read(tmp.resolve("peft.safetensors"), "w"), 0f);
        String err = usageError(tmp, "bad.yaml", "method: ties\nvariant: lines\nbase: base.safetensors\n" + models + "output: o.safetensors\n");
        assertTrue(err.contains("variant 'lines'") && err.contains("peft, mergekit"), err);
    }

    // ---- transfer --------------------------------------------------------------------------------

    // target + weight * (ft - base): tau = [1, 2, 4], weight 0.5 -> [10.5, 21, 32]; "bias" is only in the
    // target and passes through; "head" is only in the fine-tune, so it is no part of the task vector
    // and is named as not transferred. Halves of small integers: exact.
    @Test
    void transferAddsTheWeightedTaskVectorToTheTarget(@TempDir Path tmp) throws IOException {
        checkpoint(tmp.resolve("base.safetensors"), "w", new float[] {1, 1, 1});
        checkpoint(tmp.resolve("ft.safetensors"), "w", new float[] {2, 3, 5}, "head", new float[] {7});
        checkpoint(tmp.resolve("other.safetensors"), "w", new float[] {10, 20, 30}, "bias", new float[] {-1, -2});
        Files.writeString(tmp.resolve("t.yaml"), "method: transfer\nbase: base.safetensors\ntarget: other.safetensors\n"
                + "models: [{path: ft.safetensors, weight: 0.5}]\noutput: out/moved.safetensors\n");
        String out = run(0, "merge", tmp.resolve("t.yaml").toString())[0];
        Path moved = tmp.resolve("out/moved.safetensors");
        assertArrayEquals(new float[] {10.5f, 21, 32}, read(moved, "w"), 0f);
        assertArrayEquals(new float[] {-1, -2}, read(moved, "bias"), 0f);
        assertTrue(out.contains("not transferred") && out.contains("head"), out);
        try (SafetensorsReader r = SafetensorsReader.open(moved)) {
            assertEquals(java.util.Set.of("w", "bias"), new java.util.HashSet<>(r.names()), "the target's keys, no more");
        }
    }

    @Test
    void transferNeedsATargetAndExactlyOneModel(@TempDir Path tmp) throws IOException {
        peftTiesExample(tmp);
        String noTarget = usageError(tmp, "a.yaml", "method: transfer\nbase: base.safetensors\nmodels: [{path: a.safetensors}]\noutput: o.safetensors\n");
        assertTrue(noTarget.contains("'target' is required"), noTarget);
        String two = usageError(tmp, "b.yaml", "method: transfer\nbase: base.safetensors\ntarget: b.safetensors\n"
                + "models: [{path: a.safetensors}, {path: b.safetensors}]\noutput: o.safetensors\n");
        assertTrue(two.contains("exactly 1 entry in 'models'") && two.contains("got 2"), two);
        String noBase = usageError(tmp, "c.yaml", "method: transfer\ntarget: b.safetensors\nmodels: [{path: a.safetensors}]\noutput: o.safetensors\n");
        assertTrue(noBase.contains("'base' is required for method transfer"), noBase);
        assertTrue(Files.notExists(tmp.resolve("o.safetensors")));
    }

    @Test
    void transferOntoATargetWithoutATaskVectorKeyFailsNamingTheKeyAndWritesNothing(@TempDir Path tmp) throws IOException {
        peftTiesExample(tmp);
        checkpoint(tmp.resolve("other.safetensors"), "v", new float[] {1, 2, 3, 4});
        Files.writeString(tmp.resolve("t.yaml"), "method: transfer\nbase: base.safetensors\ntarget: other.safetensors\n"
                + "models: [{path: a.safetensors}]\noutput: o.safetensors\n");
        String err = run(1, "merge", tmp.resolve("t.yaml").toString())[1];
        assertTrue(err.contains("tensor 'w' is missing from the target"), err);
        assertTrue(Files.notExists(tmp.resolve("o.safetensors")));
    }

    // mergekit's normalize defaults (methods-spec.md 6: ties true, dare_ties and dare_linear false), on PEFT's example
    // with weights [2, 1] and density 1 (DARE keeps every entry and its L1 rescale is 1): the weighted election
    // keeps [2,-5,7,2] of w_i t_i; normalize divides by the agreeing weights [2,3,3,1]. dare_linear sums
    // 2 t1 + t2 = [1,-5,7,2], with normalize divided by 3. Small integers and thirds in float32: 1e-6.
    @Test
    void mergekitVariantAppliesNormalizeWithMergekitsDefaultPerMethod(@TempDir Path tmp) throws IOException {
        peftTiesExample(tmp);
        String models = "models: [{path: a.safetensors, weight: 2}, {path: b.safetensors, weight: 1}]\ndensity: 1\n";
        String[][] cases = {
            {"method: ties\nnormalize: false", "2,-5,7,2"},
            {"method: dare_ties", "2,-5,7,2"},
            {"method: dare_ties\nnormalize: true", "1,-1.6666666,2.3333333,2"},
            {"method: dare_linear", "1,-5,7,2"},
            {"method: dare_linear\nnormalize: true", "0.33333334,-1.6666666,2.3333333,0.6666667"},
        };
        for (int c = 0; c < cases.length; c++) {
            Path recipe = tmp.resolve("r" + c + ".yaml");
            Files.writeString(recipe, cases[c][0] + "\nvariant: mergekit\nbase: base.safetensors\n" + models + "output: m" + c + ".safetensors\n");
            run(0, "merge", recipe.toString());
            String[] parts = cases[c][1].split(",");
            float[] want = new float[parts.length];
            for (int i = 0; i < parts.length; i++) {
                want[i] = Float.parseFloat(parts[i]);
            }
            assertArrayEquals(want, read(tmp.resolve("m" + c + ".safetensors"), "w"), 1e-6f, cases[c][0]);
        }
    }

    @Test
    void normalizeWithoutVariantMergekitIsAUsageError(@TempDir Path tmp) throws IOException {
        peftTiesExample(tmp);
        for (String method : new String[] {"ties", "dare_ties", "dare_linear"}) {
            String err = usageError(tmp, method + ".yaml", "method: " + method + "\nbase: base.safetensors\nmodels: [{path: a.safetensors}]\n"
                    + "density: 1\nnormalize: true\noutput: o.safetensors\n");
            assertTrue(err.contains("'normalize'") && err.contains("variant: mergekit") && err.contains("variant peft"), err);
        }
        assertTrue(Files.notExists(tmp.resolve("o.safetensors")));
    }

    // mergekit's DARE rescale (methods-spec.md 6, Choices #8) multiplies the kept entries by
    // ||tau||_1 / ||masked tau||_1: whatever the mask, the merged task vector keeps the L1 norm of tau
    // and every kept entry is tau_j times one common factor. Sums of 64 float32 values below 10: 1e-4.
    @Test
    void dareLinearMergekitVariantKeepsTheL1NormOfEachTaskVector(@TempDir Path tmp) throws IOException {
        int n = 64;
        float[] tau = new float[n];
        double l1 = 0;
        for (int i = 0; i < n; i++) {
            tau[i] = (i % 3 == 0 ? -1 : 1) * (1 + i / 8f);
            l1 += Math.abs(tau[i]);
        }
        checkpoint(tmp.resolve("base.safetensors"), "w", new float[n]);
        checkpoint(tmp.resolve("a.safetensors"), "w", tau);
        Files.writeString(tmp.resolve("recipe.yaml"), "method: dare_linear\nvariant: mergekit\nbase: base.safetensors\n"
                + "models: [{path: a.safetensors}]\ndensity: 0.5\nseed: 3\noutput: m.safetensors\n");
        run(0, "merge", tmp.resolve("recipe.yaml").toString());
        float[] merged = read(tmp.resolve("m.safetensors"), "w");
        double mergedL1 = 0;
        double factor = Double.NaN;
        int kept = 0;
        for (int i = 0; i < n; i++) {
            mergedL1 += Math.abs(merged[i]);
            if (merged[i] != 0) {
                kept++;
                double f = merged[i] / tau[i];
                if (Double.isNaN(factor)) {
                    factor = f;
                }
                assertEquals(factor, f, 1e-5, "entry " + i + " has its own factor");
            }
        }
        assertEquals(l1, mergedL1, 1e-4 * l1);
        assertTrue(kept > 0 && kept < n, "kept " + kept);
    }

    // task arithmetic: base + lambda * sum w_i tau_i (mergekit), normalize divides by sum w_i.
    // sum of t1 + t2 = [0,-3,4,2]; lambda 0.5 -> [0,-1.5,2,1]; weights [1, 3], normalize:
    // (t1 + 3 t2) / 4 = [-2,-5,6,6] / 4. Quarters: exact.
    @Test
    void taskArithmeticAppliesLambdaAndNormalize(@TempDir Path tmp) throws IOException {
        peftTiesExample(tmp);
        Files.writeString(tmp.resolve("l.yaml"), "method: task_arithmetic\nbase: base.safetensors\nmodels: [{path: a.safetensors}, {path: b.safetensors}]\n"
                + "lambda: 0.5\noutput: l.safetensors\n");
        Files.writeString(tmp.resolve("n.yaml"), "method: task_arithmetic\nbase: base.safetensors\n"
                + "models: [{path: a.safetensors, weight: 1}, {path: b.safetensors, weight: 3}]\nnormalize: true\noutput: n.safetensors\n");
        run(0, "merge", tmp.resolve("l.yaml").toString());
        run(0, "merge", tmp.resolve("n.yaml").toString());
        assertArrayEquals(new float[] {0, -1.5f, 2, 1}, read(tmp.resolve("l.safetensors"), "w"), 0f);
        assertArrayEquals(new float[] {-0.5f, -1.25f, 1.5f, 1.5f}, read(tmp.resolve("n.safetensors"), "w"), 0f);
    }

    @Test
    void lambdaAndLinesTogetherAreAUsageError(@TempDir Path tmp) throws IOException {
        twoBlocks(tmp);
        String err = usageError(tmp, "bad.yaml", "method: task_arithmetic\nbase: base.safetensors\nmodels: [{path: a.safetensors}]\n"
                + "lambda: 0.5\nlines: {alpha: 0.5}\noutput: o.safetensors\n");
        assertTrue(err.contains("'lambda'") && err.contains("'lines'"), err);
    }

    // ---- ties variant original (the TIES authors' code; methods-spec.md Choices #9) ----------------

    /*
     * Three tensors, 8 entries per task vector (quarters: exact in float32):
     *              embed.w            layer.0.w         layer.1.w
     * base         [2, 2, 2]          [1, 1, 1]         [0, 0]
     * tau_A        [-6, 0.25, 1.5]    [4, -1, 0.5]      [3, 2]
     * tau_B        [1, 0.5, -8]       [-2, -1, 0.75]    [-3, 5]
     * density 0.5: k = 8 - int(4) = 4; the 4th smallest |tau_A| over the model is 1.5, of |tau_B| 1
     * (kept with its duplicate). Trimmed sums: embed [-5, 0, -6.5], layer.0 [2, -1, 0], layer.1 [0, 7];
     * their signs add up to 2 - 3 = -1 over the model, so the zero sums elect -1. Agreeing means:
     * embed [-6, 0, -8], layer.0 [4, -1, 0], layer.1 [-3 (B only), 3.5].
     */
    private static void tiesOriginalExample(Path dir, Object... extra) throws IOException {
        checkpoint(dir.resolve("base.safetensors"), with(extra, 0, "embed.w", new float[] {2, 2, 2}, "layer.0.w", new float[] {1, 1, 1},
                "layer.1.w", new float[] {0, 0}));
        checkpoint(dir.resolve("a.safetensors"), with(extra, 1, "embed.w", new float[] {-4, 2.25f, 3.5f}, "layer.0.w", new float[] {5, 0, 1.5f},
                "layer.1.w", new float[] {3, 2}));
        checkpoint(dir.resolve("b.safetensors"), with(extra, 2, "embed.w", new float[] {3, 2.5f, -6}, "layer.0.w", new float[] {-1, 0, 1.75f},
                "layer.1.w", new float[] {-3, 5}));
    }

    // extra = {name, base values, a values, b values}: appends the tensor of checkpoint i (0 base, 1 a, 2 b)
    private static Object[] with(Object[] extra, int i, Object... nameValues) {
        if (extra.length == 0) {
            return nameValues;
        }
        Object[] all = java.util.Arrays.copyOf(nameValues, nameValues.length + 2);
        all[nameValues.length] = extra[0];
        all[nameValues.length + 1] = extra[1 + i];
        return all;
    }

    // lambda 0.5: base + tau / 2. PEFT's per-tensor rule on layer.1.w keeps int(0.5 * 2) = 1 entry per
    // task ([3, 0] and [0, 5]), elects [+, +] and gives 0 + [3, 5] / 2 = [1.5, 2.5] instead.
    @Test
    void tiesVariantOriginalTrimsOverTheWholeModelAndScalesByLambda(@TempDir Path tmp) throws IOException {
        tiesOriginalExample(tmp);
        String models = "base: base.safetensors\nmodels: [{path: a.safetensors}, {path: b.safetensors}]\ndensity: 0.5\nlambda: 0.5\n";
        Files.writeString(tmp.resolve("o.yaml"), "method: ties\nvariant: original\n" + models + "output: o.safetensors\n");
        Files.writeString(tmp.resolve("p.yaml"), "method: ties\n" + models + "output: p.safetensors\n");
        String[] outErr = run(0, "merge", tmp.resolve("o.yaml").toString());
        assertTrue(outErr[0].contains("8 entries per task vector") && outErr[0].contains("majority sign -1"), outErr[0]);
        assertTrue(outErr[1].contains("[TIES magnitudes 1/2: 1/3] embed.w") && outErr[1].contains("[TIES majority sign: 3/3] layer.1.w"),
                outErr[1]);
        Path merged = tmp.resolve("o.safetensors");
        assertArrayEquals(new float[] {-1, 2, -2}, read(merged, "embed.w"), 0f);
        assertArrayEquals(new float[] {3, 0.5f, 1}, read(merged, "layer.0.w"), 0f);
        assertArrayEquals(new float[] {-1.5f, 1.75f}, read(merged, "layer.1.w"), 0f);
        run(0, "merge", tmp.resolve("p.yaml").toString());
        assertArrayEquals(new float[] {1.5f, 2.5f}, read(tmp.resolve("p.safetensors"), "layer.1.w"), 0f);
    }

    @Test
    void tiesVariantOriginalRefusesPerModelWeights(@TempDir Path tmp) throws IOException {
        tiesOriginalExample(tmp);
        String err = usageError(tmp, "bad.yaml", "method: ties\nvariant: original\nbase: base.safetensors\n"
                + "models: [{path: a.safetensors}, {path: b.safetensors, weight: 2}]\ndensity: 0.5\noutput: o.safetensors\n");
        assertTrue(err.contains("models[1].weight") && err.contains("variant original"), err);
    }

    // usageError requires a single line on standard error: had the three statistics passes run, their
    // progress lines would come first
    @Test
    void aBadLinesSettingWithVariantOriginalStopsBeforeAnyPass(@TempDir Path tmp) throws IOException {
        tiesOriginalExample(tmp);
        String err = usageError(tmp, "bad.yaml", "method: ties\nvariant: original\nbase: base.safetensors\n"
                + "models: [{path: a.safetensors}, {path: b.safetensors}]\ndensity: 0.5\nlines: {alpha: 0.5, block_pattern: 'layer'}\n"
                + "output: o.safetensors\n");
        assertTrue(err.contains("lines.block_pattern") && err.contains("group 1"), err);
    }

    @Test
    void variantOriginalIsOnlyForTies(@TempDir Path tmp) throws IOException {
        tiesOriginalExample(tmp);
        String err = usageError(tmp, "bad.yaml", "method: dare_ties\nvariant: original\nbase: base.safetensors\n"
                + "models: [{path: a.safetensors}]\ndensity: 0.5\noutput: o.safetensors\n");
        assertTrue(err.contains("variant 'original'") && err.contains("method dare_ties") && err.contains("allowed values: peft, mergekit"), err);
    }

    // ---- lines.keep (methods-spec.md Choices #12) ----------------------------------------------------

    // The base carries a classifier (tau_A [100, -100], tau_B [50, 50]). Kept as fine-tuned, it comes
    // from the first model and stays out of the TIES statistics: with it, d would be 10 and both
    // thresholds the 5th smallest magnitude, 2, which would drop B's -1 from layer.0.w[1]. LiNeS alpha
    // 1, beta 0 scales nothing, so the body is base + the merged tau of the example above.
    @Test
    void linesKeepTakesAHeadTheBaseCarriesFromTheFirstModelAndOutOfTheTiesStatistics(@TempDir Path tmp) throws IOException {
        tiesOriginalExample(tmp, "classifier.weight", new float[] {0, 0}, new float[] {100, -100}, new float[] {50, 50});
        Files.writeString(tmp.resolve("recipe.yaml"), "method: ties\nvariant: original\nbase: base.safetensors\n"
                + "models: [{path: a.safetensors}, {path: b.safetensors}]\ndensity: 0.5\n"
                + "lines: {alpha: 1, beta: 0, keep: ['^classifier\\.']}\noutput: m.safetensors\n");
        String out = run(0, "merge", tmp.resolve("recipe.yaml").toString())[0];
        assertTrue(out.contains("8 entries per task vector") && out.contains("kept as fine-tuned"), out);
        Path merged = tmp.resolve("m.safetensors");
        assertArrayEquals(new float[] {100, -100}, read(merged, "classifier.weight"), 0f);
        assertArrayEquals(new float[] {-4, 2, -6}, read(merged, "embed.w"), 0f);
        assertArrayEquals(new float[] {5, 0, 1}, read(merged, "layer.0.w"), 0f);
        assertArrayEquals(new float[] {-3, 3.5f}, read(merged, "layer.1.w"), 0f);
    }

    @Test
    void withoutLinesKeepAHeadTheBaseCarriesIsScaledByAlpha(@TempDir Path tmp) throws IOException {
        twoBlocks(tmp);
        checkpoint(tmp.resolve("base.safetensors"), "embed.w", new float[2], "layer.0.w", new float[2], "layer.1.w", new float[2],
                "classifier.weight", new float[] {1, 1});
        checkpoint(tmp.resolve("a.safetensors"), "embed.w", new float[] {1, 2}, "layer.0.w", new float[] {1, 2}, "layer.1.w", new float[] {1, 2},
                "classifier.weight", new float[] {5, -3});
        String recipe = "method: task_arithmetic\nbase: base.safetensors\nmodels: [{path: a.safetensors}]\n";
        Files.writeString(tmp.resolve("scaled.yaml"), recipe + "lines: {alpha: 0.5}\noutput: s.safetensors\n");
        Files.writeString(tmp.resolve("kept.yaml"), recipe + "lines: {alpha: 0.5, keep: [classifier]}\noutput: k.safetensors\n");
        run(0, "merge", tmp.resolve("scaled.yaml").toString());
        run(0, "merge", tmp.resolve("kept.yaml").toString());
        // alpha 0.5 outside the blocks: 1 + 0.5 * [4, -4] = [3, -1]; kept: the fine-tuned [5, -3]
        assertArrayEquals(new float[] {3, -1}, read(tmp.resolve("s.safetensors"), "classifier.weight"), 0f);
        assertArrayEquals(new float[] {5, -3}, read(tmp.resolve("k.safetensors"), "classifier.weight"), 0f);
    }

    @Test
    void anInvalidLinesKeepIsAUsageErrorNamingTheEntry(@TempDir Path tmp) throws IOException {
        twoBlocks(tmp);
        String err = usageError(tmp, "bad.yaml", "method: task_arithmetic\nbase: base.safetensors\nmodels: [{path: a.safetensors}]\n"
                + "lines: {alpha: 0.5, keep: ['head', 'classifier(']}\noutput: o.safetensors\n");
        assertTrue(err.contains("lines.keep[1]") && err.contains("regular expression"), err);
        err = usageError(tmp, "str.yaml", "method: task_arithmetic\nbase: base.safetensors\nmodels: [{path: a.safetensors}]\n"
                + "lines: {alpha: 0.5, keep: classifier}\noutput: o.safetensors\n");
        assertTrue(err.contains("lines.keep must be a list"), err);
    }
}
