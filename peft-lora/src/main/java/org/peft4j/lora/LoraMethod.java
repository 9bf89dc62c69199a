package org.peft4j.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.peft4j.core.adapter.Adapter;
import org.peft4j.core.adapter.AdapterSite;
import org.peft4j.core.adapter.PeftMethod;
import org.peft4j.core.config.JsonFields;
import org.peft4j.core.config.PeftConfig;
import org.peft4j.lora.dora.DoraAdapter;
import org.peft4j.lora.eva.EvaResult;
import org.peft4j.lora.linalg.Qr;
import org.peft4j.lora.linalg.QrResult;
import org.peft4j.lora.olora.OloraInitializer;
import org.peft4j.lora.pissa.PissaInitializer;

/**
 * The {@code LORA} method: creates {@link LoraAdapter}s (with {@code use_dora}, {@link DoraAdapter}s)
 * with the rank, alpha and init of a {@link LoraConfig} (after {@code rank_pattern} / {@code
 * alpha_pattern}). Random draws use the engine's
 * random generator, seeded with {@code Engine.getInstance().setRandomSeed}. With {@code
 * init_lora_weights} PiSSA (or OLoRA) the frozen weight is replaced by its residual while the adapter is
 * created, as in PEFT; loading a saved PiSSA adapter onto the original base therefore recomputes
 * the same residual before the saved A and B are read (PEFT does the same).
 */
public final class LoraMethod implements PeftMethod {

    /** {@inheritDoc} */
    @Override
    public String peftType() {
        return LoraConfig.PEFT_TYPE;
    }

    /** {@inheritDoc} */
    @Override
    public PeftConfig parseConfig(JsonFields fields) {
        return LoraConfig.fromJson(fields).awaitingAdapterFile();
    }

    /** {@inheritDoc} */
    @Override
    public Adapter createAdapter(PeftConfig config, AdapterSite site) {
        LoraConfig c = MethodArguments.config(config, LoraConfig.class, "LORA");
        int r = c.rankFor(site.path());
        long in = site.base().inFeatures();
        long out = site.base().outFeatures();
        NDManager m = site.manager();
        NDArray a;
        NDArray b;
        switch (c.initLoraWeights()) {
            case GAUSSIAN:
                // PEFT: nn.init.normal_(lora_A, std=1/r); lora_B = 0
                a = m.randomNormal(0f, 1f / r, new Shape(r, in), DataType.FLOAT32);
                b = m.zeros(new Shape(out, r), DataType.FLOAT32);
                break;
            case PISSA: {
                PissaInitializer.Factors f = PissaInitializer.initialize(site.base(), site.path(), r, c.scalingFor(site.path()), c.pissaNiter(), m);
                a = f.loraA();
                b = f.loraB();
                break;
            }
            case OLORA: {
                PissaInitializer.Factors f = OloraInitializer.initialize(site.base(), site.path(), r, c.scalingFor(site.path()), m);
                a = f.loraA();
                b = f.loraB();
                break;
            }
            case ORTHOGONAL: {
                if (r % 2 != 0) {
                    throw new IllegalArgumentException("init_lora_weights: Orthogonal initialization requires the LoRA rank to be even, got "
                            + r + " instead (layer " + site.path() + ", from rank_pattern)");
                }
                NDArray[] f = orthogonal(m, r, in, out);
                a = f[0];
                b = f[1];
                break;
            }
            case RANDOM:
                // nn.Linear's own init for both: kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in))
                a = uniform(m, r, in);
                b = uniform(m, out, r);
                break;
            case EVA:
                if (c.evaResult() != null) {
                    EvaResult.Layer layer = c.evaResult().layers().get(site.path());
                    if (layer == null || layer.rank() != r || layer.inFeatures() != in) {
                        throw new IllegalArgumentException("init_lora_weights \"eva\": the EVA result has "
                                + (layer == null ? "no entry" : "rank " + layer.rank() + " and " + layer.inFeatures() + " input features")
                                + " for layer " + site.path() + ", which this config gives rank " + r + " and the model " + in
                                + " input features; run EVA on this model and config (EvaInitializer.compute)");
                    }
                    a = m.create(layer.loraA(), new Shape(r, in));
                    b = m.zeros(new Shape(out, r), DataType.FLOAT32);
                    break;
                }
                if (!c.fromFile()) {
                    throw new IllegalArgumentException("init_lora_weights: \"eva\" starts lora_A from the layer inputs of training data"
                            + " (PEFT's initialize_lora_eva_weights): create the adapter with EvaInitializer.wrap(model, config, batches),"
                            + " which runs that data pass; an EVA-trained adapter folder loads with PeftModel.load or loadAdapter.");
                }
                // loading: the folder's A and B replace these (as PEFT before EVA's pass: lora_B zeroed)
                a = uniform(m, r, in);
                b = m.zeros(new Shape(out, r), DataType.FLOAT32);
                break;
            default:
                // PEFT default: kaiming_uniform_(lora_A, a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)); lora_B = 0
                a = uniform(m, r, in);
                b = m.zeros(new Shape(out, r), DataType.FLOAT32);
        }
        if (c.useDora()) {
            // after the init, so that the magnitude is taken of the weight the layer then holds (PiSSA's residual)
            return DoraAdapter.create(a, b, c.scalingFor(site.path()), c.loraDropout(), site.base(), m);
        }
        NDArray bias = c.loraBias() ? m.zeros(new Shape(out), DataType.FLOAT32) : null;
        return new LoraAdapter(a, b, bias, c.scalingFor(site.path()), c.loraDropout());
    }

    /** PEFT's {@code orthogonal_init}: {@code [A [r, in], B [out, r]]} with {@code B·A = 0}. */
    private static NDArray[] orthogonal(NDManager m, int r, long in, long out) {
        try (NDManager scratch = m.newSubManager()) {
            NDArray q;
            try (QrResult qr = Qr.of(scratch.randomNormal(new Shape(r, r)), scratch)) {
                q = qr.q().duplicate();
            }
            NDArray odd = q.get("0::2, :");  // rows 0, 2, 4, ...
            NDArray even = q.get("1::2, :"); // rows 1, 3, 5, ...
            // (N_in·Q_odd)ᵀ formed as Q_oddᵀ·N_inᵀ, so that the parameter is a contiguous [r, in] array
            NDArray a = odd.transpose().matMul(scratch.randomNormal(new Shape(in, r / 2)).transpose()).div(10f);
            NDArray b = scratch.randomNormal(new Shape(r / 2, out)).transpose().matMul(even).div(10f);
            a.attach(m);
            b.attach(m);
            return new NDArray[] {a, b};
        }
    }

    private static NDArray uniform(NDManager m, long rows, long fanIn) {
        float bound = (float) (1.0 / Math.sqrt(fanIn));
        return m.randomUniform(-bound, bound, new Shape(rows, fanIn), DataType.FLOAT32);
    }
}
