package org.peft4j.lora.loldu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.peft4j.core.PeftException;
import org.peft4j.core.adapter.Adapter;
import org.peft4j.core.adapter.AdapterSite;
import org.peft4j.lora.RankedMethod;
import org.peft4j.lora.linalg.LduResult;
import org.peft4j.lora.linalg.Lu;

/**
 * The {@code LOLDU} method: per target, the pivoted LDU decomposition {@code W = P·L·diag(D)·U} by
 * LAPACK's {@code sgetrf} ({@link Lu#ldu}, the same factorization as the official code's {@code
 * torch.linalg.lu}), its first {@code r} pivots (no reordering by magnitude, as in the official
 * code; only these must be nonzero, so a rank-deficient weight works when its zero pivots come
 * after the first {@code r}), {@code z0} by the config's {@link LolduInit} and {@code σ0 = lora_alpha / r}. Random draws
 * ({@code uniform}, {@code normal}) use the engine's generator, seeded with {@code
 * Engine.getInstance().setRandomSeed}. A config parsed for the adapter loader ({@link
 * LolduConfig#fromFile()}) gets placeholders that the folder's weights replace, and the weights are
 * not decomposed again.
 */
public final class LolduMethod extends RankedMethod<LolduConfig> {

    /** Creates the method. */
    public LolduMethod() {
        super(LolduConfig.PEFT_TYPE, LolduConfig.class, LolduConfig::fromJson);
    }

    /** {@inheritDoc} */
    @Override
    protected Adapter placeholderAdapter(LolduConfig c, long in, long out, NDManager m) {
        return LolduAdapter.awaitingAdapterFile(c.r(), in, out, (float) c.initialSigma(), c.trainSigma(), m);
    }

    /** {@inheritDoc} */
    @Override
    protected Adapter initialAdapter(LolduConfig c, AdapterSite site, long in, long out) {
        int r = c.r();
        NDManager m = site.manager();
        float sigma0 = (float) c.initialSigma();
        try (NDManager scratch = m.newSubManager()) {
            NDArray w = site.base().weightCopy(scratch);
            LduResult ldu;
            try {
                // only the first r pivots are used, so only they must be nonzero
                ldu = Lu.ldu(w, r, scratch);
            } catch (ArithmeticException e) {
                throw new PeftException("LoLDU cannot decompose the weight of " + site.path() + " with r = " + r + ": " + e.getMessage(), e);
            }
            NDArray upper = ldu.u();
            NDArray lower = ldu.l();
            NDArray d = ldu.d();
            // B = P·L_r: row pivots[i] of B is row i of L_r (P[pivots[i], i] = 1), i.e. B = L_r[inverse]
            int[] pivots = ldu.pivots();
            long[] inverse = new long[pivots.length];
            for (int i = 0; i < pivots.length; i++) {
                inverse[pivots[i]] = i;
            }
            NDArray b = lower.get(scratch.create(inverse));
            NDArray z0 = initialDiagonal(c.initMethod(), d, scratch);
            NDArray a = upper.duplicate();
            a.attach(m);
            b.attach(m);
            z0.attach(m);
            return new LolduAdapter(a, b, z0, sigma0, c.trainSigma());
        }
    }

    /** The starting {@code z} from the first {@code r} pivots {@code d} (official {@code init_method}). */
    private static NDArray initialDiagonal(LolduInit init, NDArray d, NDManager manager) {
        int r = Math.toIntExact(d.getShape().get(0));
        float[] values = d.toFloatArray(); // r numbers, read once per layer at initialisation
        double mean = 0;
        for (float v : values) {
            mean += v;
        }
        mean /= r;
        switch (init) {
            case CONSTANT:
                return manager.full(new Shape(r), (float) mean);
            case UNIFORM: {
                float half = (float) Math.abs(mean / 2);
                return manager.randomUniform(-half, half, new Shape(r), DataType.FLOAT32);
            }
            case NORMAL: {
                double ss = 0;
                for (float v : values) {
                    ss += (v - mean) * (v - mean);
                }
                // torch.std is the sample standard deviation (n - 1); a single pivot has none, so 0
                double std = r > 1 ? Math.sqrt(ss / (r - 1)) : 0;
                return manager.randomNormal((float) mean, (float) std, new Shape(r), DataType.FLOAT32);
            }
            default:
                return d.duplicate();
        }
    }
}
