package org.peft4j.lora.olora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import org.peft4j.core.PeftException;
import org.peft4j.core.nn.LinearLayer;
import org.peft4j.lora.linalg.Qr;
import org.peft4j.lora.linalg.QrResult;
import org.peft4j.lora.pissa.PissaInitializer;

/**
 * OLoRA's initialisation as PEFT's {@code olora_init} defines it: with the float32 economy QR
 * decomposition {@code W = Q·R} of the frozen weight ({@code [out, in]}),
 *
 * <pre>
 *   lora_A = R[:r, :]      [r, in]     (upper trapezoidal)
 *   lora_B = Q[:, :r]      [out, r]    (orthonormal columns)
 *   W     ← W − s·lora_B·lora_A        (the frozen weight keeps the residual)
 * </pre>
 *
 * so the model is unchanged at initialisation. {@code Q[:, :r]·R[:r, :]} does not depend on the sign
 * convention of the QR routine (a sign flip of a column of {@code Q} flips the matching row of {@code
 * R}), so re-running the initialisation on the original base, as loading an OLoRA folder does here
 * and in PEFT, gives the same residual whatever LAPACK build computes it.
 */
public final class OloraInitializer {

    private OloraInitializer() {}

    /**
     * Computes the OLoRA factors of {@code base}'s weight and replaces the weight by the residual.
     *
     * @param base the frozen layer; its weight is overwritten with {@code W − s·B·A}
     * @param path the layer's path, for messages
     * @param r the rank, {@code 1 <= r <= min(out, in)}
     * @param scaling the LoRA scaling {@code s}
     * @param manager the owner of the returned arrays (its device is used)
     * @return {@code lora_A} and {@code lora_B}
     * @throws PeftException if the rank does not fit the layer
     */
    public static PissaInitializer.Factors initialize(LinearLayer base, String path, int r, double scaling, NDManager manager) {
        long in = base.inFeatures();
        long out = base.outFeatures();
        if (r > Math.min(in, out)) {
            throw new PeftException("r: " + r + " is larger than the layer " + path + " allows for OLoRA ([" + out + ", " + in
                    + "] weight, whose QR has " + Math.min(in, out) + " columns); allowed values: 1.." + Math.min(in, out));
        }
        try (NDManager scratch = manager.newSubManager()) {
            NDArray w = base.weightCopy(scratch);
            try (QrResult qr = Qr.of(w, scratch)) {
                NDArray b = qr.q().get(":, :" + r).duplicate();
                NDArray a = qr.r().get(":" + r + ", :").duplicate();
                NDArray principal = b.matMul(a).muli((float) scaling);
                base.setWeight(w.sub(principal));
                a.attach(manager);
                b.attach(manager);
                return new PissaInitializer.Factors(a, b);
            }
        }
    }
}
