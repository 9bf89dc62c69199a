package org.peft4j.quant.nn;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;

import org.peft4j.core.PeftException;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.nn.LinearLayer;
import org.peft4j.core.nn.LinearLayers;
import org.peft4j.quant.QuantConfig;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Quantizes a model in place, as loading a Hugging Face model with {@code load_in_4bit} does: every
 * linear layer ({@link LinearLayers#isLinear}) whose dotted path does not match {@link
 * QuantConfig#keep()} is replaced in its parent by a {@link QuantizedLinear}. Typical keep patterns
 * are the task head ({@code classifier}, {@code lm_head}), as in {@code llm_int8_skip_modules}.
 */
public final class ModelQuantizer {

    private ModelQuantizer() {}

    /**
     * Replaces the linear layers of {@code root} with 4-bit layers. The replaced dense layers'
     * weight and bias arrays are closed to free their memory, unless another block of the tree still
     * uses them (tied weights). Layers already quantized are left as they are.
     *
     * @param root the model's root block (not itself a linear layer)
     * @param config type, block size, double quantization and the keep pattern
     * @return which layers were quantized or kept, and the bytes before and after
     * @throws PeftException if a layer's parent does not allow replacing children
     */
    public static QuantizationReport quantize(Block root, QuantConfig config) {
        if (LinearLayers.isLinear(root)) {
            throw new PeftException(
                    "the root block is itself a linear layer; quantize it with QuantizedLinear.quantize(layer, config)");
        }
        List<String> targets = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        for (BlockPaths.Node node : BlockPaths.walk(root)) {
            String path = node.path();
            if (path.isEmpty() || node.block() instanceof QuantizedLinear || insideAny(path, targets)
                    || insideAny(path, kept)) {
                continue;
            }
            if (LinearLayers.isLinear(node.block())) {
                (config.keeps(path) ? kept : targets).add(path);
            }
        }
        long parameters = 0;
        long before = 0;
        long after = 0;
        List<Block> replaced = new ArrayList<>();
        for (String path : targets) {
            Block block = BlockPaths.get(root, path);
            LinearLayer dense = LinearLayers.of(block, path);
            QuantizedLinear quantized = QuantizedLinear.quantize(dense, config);
            parameters += dense.parameterCount();
            before += dense.bytesHeld();
            after += quantized.bytesHeld();
            BlockPaths.replace(root, path, quantized);
            replaced.add(block);
        }
        closeUnused(root, replaced);
        return new QuantizationReport(targets, kept, parameters, before, after);
    }

    /**
     * Replaces every 4-bit layer of {@code root} with a dense, frozen {@link
     * org.peft4j.core.nn.DenseLinear} holding its dequantized weight ({@link
     * QuantizedLinear#dequantize()}), and frees the 4-bit state. Adapters wrapping a quantized
     * layer keep working and from then on merge into the dense copy: merging into 4-bit weights
     * requantizes {@code W + delta}, which rounds a small update away, while merging into the
     * dequantized copy keeps {@code dequant(W) + delta} exactly (float32 rounding only), the model
     * that was trained.
     *
     * @param root the model's root block (not itself a 4-bit layer)
     * @return the dotted paths of the replaced layers, in tree order
     * @throws PeftException if a layer's parent does not allow replacing children
     */
    public static List<String> dequantize(Block root) {
        if (root instanceof QuantizedLinear) {
            throw new PeftException("the root block is itself a 4-bit layer; use QuantizedLinear.dequantize()");
        }
        List<String> paths = new ArrayList<>();
        for (BlockPaths.Node node : BlockPaths.walk(root)) {
            if (node.block() instanceof QuantizedLinear) {
                paths.add(node.path());
            }
        }
        for (String path : paths) {
            QuantizedLinear quantized = (QuantizedLinear) BlockPaths.get(root, path);
            BlockPaths.replace(root, path, quantized.dequantize());
            quantized.releaseState();
        }
        return paths;
    }

    private static boolean insideAny(String path, List<String> prefixes) {
        for (String p : prefixes) {
            if (path.startsWith(p + ".")) {
                return true;
            }
        }
        return false;
    }

    /** Closes the parameters of replaced blocks that no block left in the tree refers to. */
    private static void closeUnused(Block root, List<Block> replaced) {
        Set<Parameter> live = Collections.newSetFromMap(new IdentityHashMap<>());
        live.addAll(BlockPaths.parameters(root).values());
        for (Block block : replaced) {
            for (Parameter p : block.getParameters().values()) {
                if (!live.contains(p)) {
                    p.close();
                }
            }
        }
    }
}
