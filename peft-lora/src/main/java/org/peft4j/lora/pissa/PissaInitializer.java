package org.peft4j.lora.pissa;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import org.peft4j.core.PeftException;
import org.peft4j.core.nn.LinearLayer;
import org.peft4j.lora.linalg.Svd;
import org.peft4j.lora.linalg.SvdResult;

/**
 * PiSSA (Meng et al., "PiSSA: Principal Singular Values and Singular Vectors Adaptation of Large
 * Language Models") as PEFT's {@code init_lora_weights="pissa"} and {@code "pissa_niter_N"} define
 * it ({@code peft/tuners/lora/layer.py}, {@code pissa_init}): with the float32 SVD {@code W = U S
 * Vᵀ} and {@code S_r = S[:r] / s},
 *
 * <pre>
 * lora_A = diag(√S_r)·V_rᵀ   [r, in]
 * lora_B = U_r·diag(√S_r)    [out, r]
 * W     ← W − s·lora_B·lora_A  (= W − U_r·diag(S[:r])·V_rᵀ)
 * </pre>
 *
 * <p>so the model is unchanged at initialisation and the adapter holds the principal part of
 * {@code W}. {@code "pissa"} uses the exact top-{@code r} triplets (LAPACK {@code sgesvdx}; PEFT
 * takes the same triplets from a full {@code torch.linalg.svd}); {@code "pissa_niter_N"} uses
 * randomized subspace iteration with sketch width {@code r} and {@code N} power iterations, like
 * {@code torch.svd_lowrank(W, r, niter=N)}, but with a fixed seed ({@value #RANDOMIZED_SEED}) so that
 * re-initialising the same base (which happens when a saved PiSSA adapter is loaded) gives the same
 * residual.
 */
public final class PissaInitializer {

    /** The seed of the randomized SVD's test matrix. */
    public static final long RANDOMIZED_SEED = 0L;

    /**
     * The initial adapter factors.
     *
     * @param loraA {@code [r, in]} float32
     * @param loraB {@code [out, r]} float32
     */
    public record Factors(NDArray loraA, NDArray loraB) {}

    private PissaInitializer() {}

    /**
     * Computes the PiSSA factors of {@code base}'s weight and replaces the weight by the residual.
     *
     * @param base the frozen layer; its weight is overwritten with {@code W − s·B·A}
     * @param path the layer's path, for messages
     * @param r the rank, {@code 1 <= r <= min(out, in)}
     * @param scaling the LoRA scaling {@code s > 0}
     * @param niter null for the exact SVD ({@code "pissa"}), else the power iterations ({@code
     *     "pissa_niter_N"})
     * @param manager the owner of the returned arrays (its device is used)
     * @return {@code lora_A} and {@code lora_B}
     * @throws PeftException if the rank does not fit the layer or the scaling is not positive
     */
    public static Factors initialize(LinearLayer base, String path, int r, double scaling, Integer niter, NDManager manager) {
        long in = base.inFeatures();
        long out = base.outFeatures();
        if (r > Math.min(in, out)) {
            throw new PeftException("r: " + r + " is larger than the layer " + path + " allows for PiSSA ([" + out + ", " + in
                    + "] weight); allowed values: 1.." + Math.min(in, out));
        }
        if (!(scaling > 0)) {
            throw new PeftException("lora_alpha: PiSSA needs a positive scaling (it takes √(S/s)), got scaling " + scaling + " at " + path);
        }
        try (NDManager scratch = manager.newSubManager()) {
            NDArray w = base.weightCopy(scratch);
            Svd svd = niter == null ? Svd.truncated(r) : Svd.randomized(r, 0, niter, RANDOMIZED_SEED);
            try (SvdResult f = svd.decompose(w, scratch)) {
                NDArray root = f.s().div((float) scaling).sqrt();
                NDArray a = f.vt().mul(root.reshape(r, 1));
                NDArray b = f.u().mul(root.reshape(1, r));
                NDArray principal = b.matMul(a).muli((float) scaling);
                // a new array: weightCopy may alias the layer's storage (same-dtype toType does not copy in DJL 0.36)
                base.setWeight(w.sub(principal));
                a.attach(manager);
                b.attach(manager);
                return new Factors(a, b);
            }
        }
    }
}
