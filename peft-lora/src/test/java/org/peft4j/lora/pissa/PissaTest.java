package org.peft4j.lora.pissa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.config.JsonFields;
import org.peft4j.core.nn.LinearLayer;
import org.peft4j.lora.LoraAdapter;
import org.peft4j.lora.LoraConfig;
import org.peft4j.lora.LoraInit;
import org.peft4j.lora.linalg.Svd;
import org.peft4j.lora.linalg.SvdResult;
import org.peft4j.lora.testing.KnownSpectrum;
import org.peft4j.lora.testing.ModelRuns;
import org.peft4j.lora.testing.RectangularNet;
import org.peft4j.lora.testing.TinyNetFixture;

import java.nio.file.Path;

/** PiSSA as PEFT defines it (init_lora_weights "pissa" / "pissa_niter_N", peft-semantics.md §5.1). */
class PissaTest extends TinyNetFixture {

    PissaTest() {
        super(1234);
    }

    private static LoraConfig.Builder config() {
        return LoraConfig.builder().r(4).loraAlpha(8).targetModules("query", "value").initLoraWeights(LoraInit.PISSA);
    }

    @Test
    void theModelIsUnchangedAtInitialisation() {
        float[] base = ModelRuns.forward(net(1), x);
        // W_res + s·B·A re-forms W in float32: the spec asks for 1e-5
        assertTrue(ModelRuns.maxAbsDiff(base, ModelRuns.forward(PeftModel.wrap(net(1), config().build()).block(), x)) < 1e-5f);
        assertTrue(ModelRuns.maxAbsDiff(base, ModelRuns.forward(PeftModel.wrap(net(1), config().pissaNiter(4).build()).block(), x)) < 1e-5f);
    }

    @Test
    void factorsSplitThePrincipalSingularValuesAndTheBaseKeepsTheRest() {
        for (String path : new String[] {"up", "down"}) {
            RectangularNet model = new RectangularNet(manager, 6, 10, 3);
            // duplicate(): in DJL 0.36 a same-dtype toType(…, true) aliases, so weightCopy of a float32 layer is a view
            NDArray w = ((org.peft4j.core.nn.LinearLayer) model.module(path)).weightCopy(manager).duplicate();
            double scaling = 8.0 / 3;
            PeftModel peft = PeftModel.wrap(model, LoraConfig.builder().r(3).loraAlpha(8).targetModules(path).initLoraWeights(LoraInit.PISSA).build());
            AdapterHost host = peft.hosts().get(0);
            LoraAdapter adapter = (LoraAdapter) host.adapter(PeftModel.DEFAULT_ADAPTER);
            NDArray a = adapter.loraA().getArray();
            NDArray b = adapter.loraB().getArray();
            try (SvdResult full = Svd.full().decompose(w, manager)) {
                float[] s = full.s().toFloatArray();
                // A = diag(√(S_r/s))·V_rᵀ and B = U_r·diag(√(S_r/s)): A·Aᵀ = BᵀB = diag(S_r/s)
                float[] aat = a.matMul(a.transpose()).toFloatArray();
                float[] btb = b.transpose().matMul(b).toFloatArray();
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 3; j++) {
                        double expected = i == j ? s[i] / scaling : 0;
                        assertEquals(expected, aat[i * 3 + j], 1e-5 * s[0], "A·Aᵀ[" + i + "," + j + "]");
                        assertEquals(expected, btb[i * 3 + j], 1e-5 * s[0], "BᵀB[" + i + "," + j + "]");
                    }
                }
                // W_res = W − s·B·A holds exactly the discarded spectrum (Eckart–Young)
                double discarded = 0;
                for (int i = 3; i < s.length; i++) {
                    discarded += (double) s[i] * s[i];
                }
                NDArray residual = host.base().weightCopy(manager);
                assertEquals(discarded, residual.square().sum().getFloat(), 1e-4 * s[0] * s[0], path);
                NDArray rebuilt = residual.add(b.matMul(a).mul((float) scaling));
                assertTrue(rebuilt.sub(w).abs().max().getFloat() < 1e-5f, "W_res + s·B·A = W");
            }
        }
    }

    /** {@code s_k = 0.5^k}, {@code k = 0 .. count - 1}. */
    private static double[] halving(int count) {
        double[] s = new double[count];
        for (int k = 0; k < count; k++) {
            s[k] = Math.pow(0.5, k);
        }
        return s;
    }

    private static final int SPECTRUM_IN = 24;
    private static final int SPECTRUM_OUT = 32;
    private static final KnownSpectrum HALVING = KnownSpectrum.of(5, SPECTRUM_OUT, SPECTRUM_IN, halving(SPECTRUM_IN));

    /** A {@link RectangularNet} whose {@code up} layer ({@code [32, 24]}) is {@link #HALVING}. */
    private RectangularNet netWithHalvingSpectrum() {
        Engine.getInstance().setRandomSeed(31);
        RectangularNet model = new RectangularNet(manager, SPECTRUM_IN, SPECTRUM_OUT, 3);
        ((LinearLayer) model.module("up")).setWeight(manager.create(HALVING.weight(), new Shape(SPECTRUM_OUT, SPECTRUM_IN)));
        return model;
    }

    private static LoraConfig niterConfig(int r, int niter) {
        return LoraConfig.builder().r(r).loraAlpha(8).targetModules("up").initLoraWeights(LoraInit.PISSA).pissaNiter(niter).build();
    }

    @Test
    void pissaNiterFactorsAgreeWithTheExactTopRSvdWithinTheSubspaceIterationBound() {
        int r = 4;
        int q = 4;
        double scaling = 8.0 / r;
        RectangularNet model = netWithHalvingSpectrum();
        NDArray w = ((LinearLayer) model.module("up")).weightCopy(manager).duplicate();
        PeftModel peft = PeftModel.wrap(model, niterConfig(r, q));
        LoraAdapter adapter = (LoraAdapter) peft.hosts().get(0).adapter(PeftModel.DEFAULT_ADAPTER);
        NDArray a = adapter.loraA().getArray();
        float[] product = adapter.loraB().getArray().matMul(a).mul((float) scaling).toFloatArray();
        double[] best = HALVING.truncated(r); // W_r, exact in double
        double error = 0;
        for (int i = 0; i < best.length; i++) {
            error += (product[i] - best[i]) * (product[i] - best[i]);
        }
        error = Math.sqrt(error);

        // Bound. With W = U·Σ·Vᵀ, the start range(W·Ω) is range(U_r + U_⊥·F_0) (F_0 = U_⊥ᵀQ_0·(U_rᵀQ_0)⁻¹, its
        // tangent), and q power iterations give range(U_r + U_⊥·F_q) with F_q = Σ_⊥^(2q)·F_0·Σ_r^(-2q), entrywise
        // F_q[i][j] = F_0[i][j]·(σ_(r+i)/σ_j)^(2q) (subspace iteration: Golub & Van Loan, Matrix Computations, §8.2.4;
        // Halko, Martinsson & Tropp 2011, §4.5). s·B·A = Q·Qᵀ·W, and splitting (QQᵀ − U_rU_rᵀ)·W over U_r and U_⊥
        // (with sin θ ≤ tan θ) gives ‖s·B·A − W_r‖_F ≤ ‖F_q·Σ_r‖_F + σ_(r+1)·‖F_q‖_F: at most 0.5^(2q) = 1/256 of the
        // start's. F_0 depends only on the seeded test matrix Ω, which the q = 0 sketch of the same seed spans. 1e-6
        // covers float32 rounding (W is rounded to float32, about 6e-8 per entry; ‖W‖_F ≈ 1.15).
        double bound;
        try (SvdResult start = Svd.randomized(r, 0, 0, PissaInitializer.RANDOMIZED_SEED).decompose(w, manager)) {
            bound = subspaceIterationBound(start.u().toFloatArray(), r, q, HALVING.left(), halving(SPECTRUM_IN)) + 1e-6;
        }
        assertTrue(error <= bound, "‖s·B·A − W_r‖_F = " + error + " exceeds the bound " + bound);

        // Weyl: each singular value moves by at most ‖s·B·A − W_r‖_2 ≤ the same bound; and QᵀW is a compression of W,
        // so none exceeds the exact one (1e-6 for the float32 rounding of W and of A·Aᵀ). Measured here: error 2.3e-5
        // against a bound of 3.3e-5; with one power iteration fewer the error is 9.7e-5 and the test fails.
        float[] aat = a.matMul(a.transpose()).toFloatArray();
        for (int i = 0; i < r; i++) {
            double estimated = scaling * aat[i * r + i]; // A·Aᵀ = diag(S_r / s)
            double exact = Math.pow(0.5, i);
            assertEquals(exact, estimated, bound, "S[" + i + "]");
            assertTrue(estimated <= exact + 1e-6, "S[" + i + "] = " + estimated + " above the exact " + exact);
        }
    }

    /**
     * {@code ‖F_q·Σ_r‖_F + σ_(r+1)·‖F_q‖_F} for the start range spanned by the orthonormal columns
     * {@code q0 [m, r]}, in double precision: {@code F_0 = U_⊥ᵀ·Q_0·(U_rᵀ·Q_0)⁻¹} over the nonzero
     * singular directions (the null directions of {@code W} vanish after one product), then {@code
     * F_q[i][j] = F_0[i][j]·(σ_(r+i)/σ_j)^(2q)}.
     */
    private static double subspaceIterationBound(float[] q0, int r, int q, double[][] u, double[] s) {
        int m = u.length;
        int k = s.length;
        double[][] projections = new double[k][r]; // Uᵀ·Q_0
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < r; j++) {
                for (int t = 0; t < m; t++) {
                    projections[i][j] += u[t][i] * q0[t * r + j];
                }
            }
        }
        double[][] c = new double[r][];
        System.arraycopy(projections, 0, c, 0, r);
        double[][] cInverse = inverse(c);
        double plain = 0;
        double weighted = 0;
        for (int i = r; i < k; i++) {
            for (int j = 0; j < r; j++) {
                double f0 = 0;
                for (int t = 0; t < r; t++) {
                    f0 += projections[i][t] * cInverse[t][j];
                }
                double fq = f0 * Math.pow(s[i] / s[j], 2 * q);
                plain += fq * fq;
                weighted += fq * fq * s[j] * s[j];
            }
        }
        return Math.sqrt(weighted) + s[r] * Math.sqrt(plain);
    }

    /** Gauss–Jordan inverse with partial pivoting of a small square matrix. */
    private static double[][] inverse(double[][] a) {
        int n = a.length;
        double[][] m = new double[n][2 * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(a[i], 0, m[i], 0, n);
            m[i][n + i] = 1;
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int i = col + 1; i < n; i++) {
                if (Math.abs(m[i][col]) > Math.abs(m[pivot][col])) {
                    pivot = i;
                }
            }
            double[] swap = m[col];
            m[col] = m[pivot];
            m[pivot] = swap;
            double p = m[col][col];
            for (int j = 0; j < 2 * n; j++) {
                m[col][j] /= p;
            }
            for (int i = 0; i < n; i++) {
                if (i != col) {
                    double factor = m[i][col];
                    for (int j = 0; j < 2 * n; j++) {
                        m[i][j] -= factor * m[col][j];
                    }
                }
            }
        }
        double[][] out = new double[n][n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(m[i], n, out[i], 0, n);
        }
        return out;
    }

    @Test
    void pissaNiterLeavesTheModelUnchangedOnADecayingSpectrum() {
        Engine.getInstance().setRandomSeed(32);
        NDArray in = manager.randomNormal(new Shape(5, SPECTRUM_IN));
        float[] base = ModelRuns.forward(netWithHalvingSpectrum(), in);
        PeftModel peft = PeftModel.wrap(netWithHalvingSpectrum(), niterConfig(4, 4));
        // W_res + s·B·A re-forms W in float32 (1e-5, as in theModelIsUnchangedAtInitialisation)
        assertTrue(ModelRuns.maxAbsDiff(base, ModelRuns.forward(peft.block(), in)) < 1e-5f);
    }

    @Test
    void initLoraWeightsSpellingsRoundTripAsPeftWritesThem() {
        for (String value : new String[] {"pissa", "pissa_niter_4", "pissa_niter_16"}) {
            JsonObject json = config().build().toJson();
            json.add("init_lora_weights", new JsonPrimitive(value));
            LoraConfig c = LoraConfig.fromJson(new JsonFields(json));
            assertEquals(LoraInit.PISSA, c.initLoraWeights());
            assertEquals(value, c.toJson().get("init_lora_weights").getAsString());
        }
        assertNull(config().build().pissaNiter());
        assertEquals(4, config().pissaNiter(4).build().pissaNiter());
        JsonObject bad = config().build().toJson();
        bad.add("init_lora_weights", new JsonPrimitive("pissa_niter_x"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoraConfig.fromJson(new JsonFields(bad)));
        assertTrue(e.getMessage().startsWith("init_lora_weights:") && e.getMessage().contains("pissa_niter_[N]"), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config().loraBias(true).build()).getMessage().startsWith("lora_bias:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config().loraAlpha(-8).build()).getMessage().startsWith("lora_alpha:"));
    }

    @Test
    void loadingOntoTheOriginalBaseRecomputesTheResidualAndReproducesTheModel(@TempDir Path dir) throws Exception {
        for (LoraConfig c : new LoraConfig[] {config().build(), config().pissaNiter(2).build()}) {
            PeftModel peft = PeftModel.wrap(net(2), c);
            for (AdapterHost h : peft.hosts()) {
                ((LoraAdapter) h.adapter(PeftModel.DEFAULT_ADAPTER)).loraB().getArray().muli(1.3f); // as if trained
            }
            float[] expected = ModelRuns.forward(peft.block(), x);
            peft.save(dir);
            PeftModel loaded = PeftModel.load(net(2), dir, false);
            // the residual comes from a second SVD of the same weight (deterministic LAPACK, fixed seed for
            // the randomized variant), so only float32 round-off of the sums may differ
            assertTrue(ModelRuns.maxAbsDiff(expected, ModelRuns.forward(loaded.block(), x)) < 1e-6f, c.toJson().get("init_lora_weights").toString());
        }
    }

    @Test
    void mergeAndUnmergeWorkOnTheResidual() {
        PeftModel peft = PeftModel.wrap(net(3), config().build());
        float[] unmerged = ModelRuns.forward(peft.block(), x);
        float[] residual = peft.hosts().get(0).base().weightCopy(manager).toFloatArray();
        peft.merge(true);
        assertTrue(ModelRuns.maxAbsDiff(unmerged, ModelRuns.forward(peft.block(), x)) < 1e-5f);
        peft.unmerge();
        assertTrue(ModelRuns.maxAbsDiff(residual, peft.hosts().get(0).base().weightCopy(manager).toFloatArray()) < 1e-6f);
    }
}
