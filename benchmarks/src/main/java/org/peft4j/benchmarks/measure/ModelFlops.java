package org.peft4j.benchmarks.measure;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;

import org.peft4j.core.adapter.Adapter;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.adapter.ModulesToSaveHost;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.nn.LinearLayer;
import org.peft4j.core.nn.LinearLayers;

import java.util.ArrayList;
import java.util.List;

/**
 * Counts the matrix-multiply FLOPs of a BERT-family encoder step analytically (model FLOPs, as in
 * model FLOP utilisation: what the model needs, not what a kernel happens to execute).
 *
 * <ul>
 *   <li>Every product of an {@code [m, k]} and a {@code [k, n]} matrix costs {@code 2·m·k·n}.
 *   <li>A linear layer {@code [out, in]} applied to {@code N} rows: {@code 2·N·in·out}. {@code N}
 *       is {@code B·T} tokens, or {@code B} for the pooler and the classifier (they see the first
 *       token / the pooled vector only).
 *   <li>An adapter made of factor matrices applied one after the other (LoRA's {@code A} then
 *       {@code B}; LoRA-XS / LoRA-SB's {@code A}, {@code R}, {@code B}; LoLDU's {@code A} then
 *       {@code B}): {@code 2·N·P}, with {@code P} the element count of its matrix (2-D)
 *       parameters ({@code r·in + out·r} for LoRA, {@code r·in + r² + out·r} for LoRA-SB).
 *       Vector and scalar parameters (LoLDU's diagonal {@code z} and scale {@code σ}) scale
 *       elementwise and are not counted. Merged adapters cost nothing.
 *   <li>A 4-bit base layer (QLoRA's {@code QuantizedLinear}) counts as the dense layer it stands
 *       for: its product is the same {@code 2·N·in·out}, and dequantizing its weight (a table
 *       look-up and a multiply per weight, once per forward) is not counted, as it is no matrix
 *       product. So QLoRA's FLOPs equal LoRA's on the same targets.
 *   <li>Self-attention per layer: {@code Q·Kᵀ} and {@code P·V}, each {@code 2·B·heads·T²·headSize}.
 *   <li>Backward of a training step: every product's input gradient (same cost as its forward),
 *       plus the weight gradient of products whose weight is trainable (same cost again); both
 *       attention products need two operand gradients (twice their forward). Frozen weights get no
 *       weight gradient (an adapter's frozen factors neither: LoRA-SB's {@code A} and {@code B},
 *       LoLDU's {@code A} and {@code B}). So full fine-tuning costs ≈ 3× forward and LoRA ≈ 2×
 *       forward.
 * </ul>
 *
 * Embeddings, layer norms, activations, softmax, dropout and the optimizer update are not counted
 * (they are memory-bound and small in FLOPs). The input gradient of the first layer is counted even
 * when nothing before it needs a gradient, as the usual "backward = 2× forward" convention does.
 */
public final class ModelFlops {

    private ModelFlops() {}

    /**
     * One matrix product of the model.
     *
     * @param path the layer path (or {@code attention} for the attention products)
     * @param forward forward FLOPs
     * @param backward backward FLOPs of a training step
     */
    public record Product(String path, double forward, double backward) {}

    /**
     * Counts one step of a BERT encoder (with whatever heads and adapters {@code model} holds).
     *
     * @param model the model (its linear layers, adapter hosts and modules_to_save hosts are walked)
     * @param layers encoder layers
     * @param heads attention heads
     * @param headSize features per head
     * @param batch sequences per step {@code B}
     * @param seqLen tokens per sequence {@code T}
     * @param training whether the step includes a backward pass
     * @return the FLOPs of one step
     */
    public static FlopCount bert(Block model, int layers, int heads, int headSize, int batch, int seqLen, boolean training) {
        FlopCount total = new FlopCount(0, 0);
        for (Product p : products(model, layers, heads, headSize, batch, seqLen, training)) {
            total = total.plus(new FlopCount(p.forward(), p.backward()));
        }
        return total;
    }

    /**
     * Lists every counted product.
     *
     * @param model the model
     * @param layers encoder layers
     * @param heads attention heads
     * @param headSize features per head
     * @param batch sequences per step
     * @param seqLen tokens per sequence
     * @param training whether a backward pass is counted
     * @return the products in tree order, attention last
     */
    public static List<Product> products(Block model, int layers, int heads, int headSize, int batch, int seqLen, boolean training) {
        List<Product> out = new ArrayList<>();
        List<String> skipUnder = new ArrayList<>();
        for (BlockPaths.Node n : BlockPaths.walk(model)) {
            String path = n.path();
            if (skipUnder.stream().anyMatch(s -> path.startsWith(s + "."))) {
                continue;
            }
            double rows = path.contains("pooler") || path.contains("classifier") ? batch : (double) batch * seqLen;
            Block b = n.block();
            if (b instanceof AdapterHost host) {
                skipUnder.add(path);
                LinearLayer base = host.base();
                out.add(linear(path, rows, base.inFeatures(), base.outFeatures(), trainable(host.baseBlock()), training));
                if (host.disabled()) {
                    continue;
                }
                for (String name : host.active()) {
                    if (host.merged().contains(name)) {
                        continue;
                    }
                    Adapter a = host.adapter(name);
                    long params = 0;
                    long trainableParams = 0;
                    for (Parameter p : a.getParameters().values()) {
                        if (p.getShape() == null || p.getShape().dimension() != 2) {
                            continue; // vectors and scalars scale elementwise: no matrix product
                        }
                        long size = p.getShape().size();
                        params += size;
                        trainableParams += p.requiresGradient() ? size : 0;
                    }
                    double f = 2 * rows * params;
                    out.add(new Product(path + "." + name, f, training ? f + 2 * rows * trainableParams : 0));
                }
            } else if (b instanceof ModulesToSaveHost host) {
                skipUnder.add(path);
                Block current = host.current();
                LinearLayer l = LinearLayers.of(current, path);
                out.add(linear(path, rows, l.inFeatures(), l.outFeatures(), trainable(current), training));
            } else if (LinearLayers.isLinear(b)) {
                skipUnder.add(path);
                LinearLayer l = LinearLayers.of(b, path);
                out.add(linear(path, rows, l.inFeatures(), l.outFeatures(), trainable(b), training));
            }
        }
        double attention = 2.0 * 2.0 * batch * heads * (double) seqLen * seqLen * headSize;
        for (int i = 0; i < layers; i++) {
            out.add(new Product("encoder.layer." + i + ".attention", attention, training ? 2 * attention : 0));
        }
        return out;
    }

    private static Product linear(String path, double rows, long in, long out, boolean weightTrainable, boolean training) {
        double f = 2 * rows * in * out;
        return new Product(path, f, training ? f + (weightTrainable ? f : 0) : 0);
    }

    private static boolean trainable(Block b) {
        for (Parameter p : b.getParameters().values()) {
            if (p.getName().equals("weight") || p.getName().endsWith("weight")) {
                return p.requiresGradient();
            }
        }
        return false;
    }
}
