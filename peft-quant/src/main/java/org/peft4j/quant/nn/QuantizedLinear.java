package org.peft4j.quant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.nn.DenseLinear;
import org.peft4j.core.nn.LinearLayer;
import org.peft4j.core.nn.LinearLayers;
import org.peft4j.core.nn.ModuleBlock;
import org.peft4j.quant.QuantConfig;
import org.peft4j.quant.QuantState;
import org.peft4j.quant.WeightDtype;
import org.peft4j.quant.blockwise.Blockwise4BitDecoder;
import org.peft4j.quant.blockwise.ManagedView;

import java.util.Objects;

/**
 * A frozen linear layer {@code y = x·Wᵀ + b} whose weight {@code W [out, in]} is held only as 4-bit
 * codes and their statistics ({@link QuantState}), as bitsandbytes' {@code Linear4bit}; the optional
 * bias {@code [out]} stays float32. Forward dequantizes {@code W} on the fly into a scratch manager
 * (float32, or the input's floating dtype), computes {@code Linear.linear(x, W, b)} with the
 * activation on the left, so the output lives in the input's manager, and closes the dequantized
 * weight before returning: repeated calls hold no dense copy of the weight. What does not change
 * between calls (the 256-row code-pair table and the float32 absmax restored from double
 * quantization, together 0.5 bit per weight at block size 64) is decoded at the first call and
 * kept ({@link #decodeCacheBytes()}).
 *
 * <p>Input {@code [..., in]}, output {@code [..., out]}. The quantized weight is not a DJL {@link
 * Parameter}: it receives no gradient and no optimizer state, and is written only through {@link
 * #setWeight(NDArray)}. The bias is a frozen parameter named {@code bias}.
 */
public class QuantizedLinear extends ModuleBlock implements LinearLayer {

    private final long in;
    private final long out;
    private final NDManager store;
    private final Parameter bias;
    private QuantState state;
    private Blockwise4BitDecoder decoder;

    private QuantizedLinear(QuantState state, NDArray biasArray, NDManager store) {
        Shape shape = state.shape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("a linear weight must be [out, in], got shape " + shape);
        }
        this.out = shape.get(0);
        this.in = shape.get(1);
        this.store = store;
        this.state = state;
        if (biasArray != null && !biasArray.getShape().equals(new Shape(out))) {
            throw new IllegalArgumentException("bias must be [" + out + "], got " + biasArray.getShape());
        }
        this.bias =
                biasArray == null
                        ? null
                        : registerParameter(
                                Parameter.builder()
                                        .setName("bias")
                                        .setType(Parameter.Type.BIAS)
                                        .optArray(biasArray)
                                        .optRequiresGrad(false)
                                        .build());
    }

    /**
     * Quantizes a dense linear layer. The layer is not modified; its float32 weight copy is quantized
     * and its bias copied as float32. The new layer's arrays belong to a sub-manager of the dense
     * weight's manager (of the same parent manager when requantizing a {@code QuantizedLinear}), on
     * the same device.
     *
     * @param dense the dense layer, weight {@code [out, in]}
     * @param config the 4-bit type, block size and double quantization ({@link QuantConfig#keep()} is
     *     not used here)
     * @return the quantized layer
     */
    public static QuantizedLinear quantize(LinearLayer dense, QuantConfig config) {
        Objects.requireNonNull(dense, "dense");
        Objects.requireNonNull(config, "config");
        NDArray weightArray = directArray(dense.block(), "weight");
        NDManager parent;
        WeightDtype dtype;
        if (dense instanceof QuantizedLinear) {
            QuantizedLinear other = (QuantizedLinear) dense;
            parent = other.store.getParentManager();
            dtype = other.state.dtype();
        } else if (weightArray != null) {
            parent = weightArray.getManager();
            dtype = weightArray.getDataType() == DataType.FLOAT16 ? WeightDtype.FLOAT16 : WeightDtype.FLOAT32;
        } else {
            // a layer whose weight is not a DJL parameter named "weight": the new layer owns a manager
            parent = NDManager.newBaseManager();
            dtype = WeightDtype.FLOAT32;
        }
        NDManager store = parent.newSubManager(weightArray != null ? weightArray.getDevice() : parent.getDevice());
        QuantState state;
        try (NDManager scratch = store.newSubManager()) {
            NDArray w = dense.weightCopy(scratch);
            state = withDtype(QuantState.quantize(w, config, store), dtype);
        }
        NDArray biasArray = null;
        if (dense.bias() != null && dense.bias().getArray() != null) {
            NDArray b = dense.bias().getArray();
            biasArray = b.getDataType() == DataType.FLOAT32 ? b.duplicate() : b.toType(DataType.FLOAT32, true);
            biasArray.attach(store);
        }
        return new QuantizedLinear(state, biasArray, store);
    }

    /**
     * Builds a layer from a quantization state, for example one read from a bitsandbytes checkpoint.
     * Takes ownership: the state's arrays and the bias are attached to a new sub-manager of {@code
     * parent}, so the caller must not close them.
     *
     * @param state a state of shape {@code [out, in]}
     * @param bias float {@code [out]} or null
     * @param parent a long-lived manager (the model's)
     * @return the layer
     */
    public static QuantizedLinear fromState(QuantState state, NDArray bias, NDManager parent) {
        NDManager store = parent.newSubManager(state.packed().getDevice());
        state.packed().attach(store);
        state.absmax().attach(store);
        state.quantMap().attach(store);
        if (state.nested() != null) {
            state.nested().absmax().attach(store);
            state.nested().quantMap().attach(store);
        }
        NDArray biasArray = null;
        if (bias != null) {
            biasArray = bias.getDataType() == DataType.FLOAT32 ? bias : bias.toType(DataType.FLOAT32, true);
            biasArray.attach(store);
        }
        return new QuantizedLinear(state, biasArray, store);
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Shape shape = x.getShape();
        if (shape.dimension() == 0 || shape.get(shape.dimension() - 1) != in) {
            throw new IllegalArgumentException("QuantizedLinear expects input [..., " + in + "], got " + shape);
        }
        DataType type = x.getDataType().isFloating() ? x.getDataType() : DataType.FLOAT32;
        try (NDManager scratch = x.getManager().newSubManager(x.getDevice())) {
            NDArray w = state.dequantize(decoder(), scratch, type);
            NDArray b = null;
            if (bias != null) {
                NDArray value =
                        parameterStore == null ? bias.getArray() : parameterStore.getValue(bias, x.getDevice(), training);
                b = ManagedView.of(value, scratch).toType(type, false);
            }
            return Linear.linear(x, w, b);
        }
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {LinearLayers.outputShape(inputShapes[0], out)};
    }

    /** {@inheritDoc} */
    @Override
    public Block block() {
        return this;
    }

    /** {@inheritDoc} */
    @Override
    public long inFeatures() {
        return in;
    }

    /** {@inheritDoc} */
    @Override
    public long outFeatures() {
        return out;
    }

    /**
     * Returns the current quantization state (owned by this layer; do not close it).
     *
     * @return the state, weight shape {@code [out, in]}
     */
    public QuantState state() {
        return state;
    }

    /**
     * Returns the configuration of the current state.
     *
     * @return type, block size and double quantization
     */
    public QuantConfig config() {
        return state.config();
    }

    /**
     * Returns the dequantized weight {@code [out, in]} as float32.
     *
     * @param manager the owner (and device) of the copy
     * @return a new array the caller closes
     */
    @Override
    public NDArray weightCopy(NDManager manager) {
        return state.dequantize(decoder(), manager, DataType.FLOAT32);
    }

    /**
     * Returns a dense copy of this layer: the dequantized weight in the dtype the layer was
     * quantized from (float32 or float16), {@code [out, in]}, and a copy of the bias, both owned by
     * the manager this layer's storage was created in (the model's), frozen as this layer is. This
     * layer is left as it is.
     *
     * @return a new dense layer
     */
    public DenseLinear dequantize() {
        NDManager owner = store.getParentManager();
        NDArray w = weightCopy(owner);
        if (state.dtype() == WeightDtype.FLOAT16) {
            NDArray half = w.toType(DataType.FLOAT16, false);
            w.close();
            w = half;
        }
        NDArray b = bias == null ? null : bias.getArray().duplicate();
        if (b != null) {
            b.attach(owner);
        }
        DenseLinear dense = DenseLinear.of(w, b);
        dense.freezeParameters(true);
        return dense;
    }

    /**
     * Frees the 4-bit state (packed codes, statistics) and the decode cache once the layer has been
     * replaced. The storage manager itself stays open: arrays other blocks created in it (the
     * adapters wrapped around this layer) must outlive this layer.
     */
    synchronized void releaseState() {
        if (decoder != null) {
            decoder.close();
            decoder = null;
        }
        state.close();
    }

    /**
     * Returns the bytes of the decode cache: the code-pair table (2 KiB) and the float32 absmax per
     * block (0.5 bit per weight at block size 64), built at the first forward pass or {@link
     * #weightCopy} and kept until the weight is replaced. Not part of {@link #bytesHeld()}.
     *
     * @return bytes, 0 before the first dequantization
     */
    public synchronized long decodeCacheBytes() {
        return decoder == null ? 0 : decoder.bytesHeld();
    }

    /**
     * Returns this layer's decoder, building it on first use: forward passes then skip rebuilding
     * the code-pair table and restoring double-quantized absmax. The dequantized weight itself is
     * never kept.
     */
    private synchronized Blockwise4BitDecoder decoder() {
        if (decoder == null) {
            decoder = state.decoder(store);
        }
        return decoder;
    }

    /**
     * Requantizes the layer with new weight values, keeping its type, block size and double
     * quantization. This is how an adapter is merged into a 4-bit base: {@code
     * setWeight(weightCopy() + delta)} (which is what {@link #addToWeight(NDArray)} does).
     *
     * <p>Rounding caveat: the stored weight is the quantized {@code W + delta}, not {@code W + delta}
     * itself. Each element moves to its nearest code (an error of up to half a code gap times the
     * block's new absmax), the absmax of a block changes when the delta changes its largest element,
     * and subtracting the delta later does not give back the original codes. Merging into a 4-bit
     * base is therefore lossy and not exactly reversible; keep the adapter separate when exactness
     * matters, or merge into a dequantized copy.
     *
     * @param weight the new values {@code [out, in]}, any floating dtype; not retained
     * @throws IllegalArgumentException if the shape is not {@code [out, in]}
     */
    @Override
    public void setWeight(NDArray weight) {
        if (!weight.getShape().equals(new Shape(out, in))) {
            throw new IllegalArgumentException(
                    "weight must be [" + out + ", " + in + "], got " + weight.getShape());
        }
        QuantState fresh;
        try (NDManager scratch = store.newSubManager(weight.getDevice())) {
            NDArray w = ManagedView.of(weight, scratch).toType(DataType.FLOAT32, false);
            fresh = withDtype(QuantState.quantize(w, state.config(), store), state.dtype());
        }
        synchronized (this) {
            QuantState old = state;
            state = fresh;
            old.close();
            if (decoder != null) {
                decoder.close();
                decoder = null;
            }
        }
    }

    /** {@inheritDoc} */
    @Override
    public Parameter bias() {
        return bias;
    }

    /**
     * Returns the logical parameter count, whatever the storage.
     *
     * @return {@code out * in (+ out with a bias)}
     */
    @Override
    public long parameterCount() {
        return out * in + (bias == null ? 0 : out);
    }

    /**
     * Returns the bytes of the quantized storage: packed codes, absmax (float32, or uint8 codes plus nested
     * absmax, nested map and offset with double quantization), the 16-entry code book, and the
     * float32 bias if any. At block size 64 this is about 4.127 bits per weight with double
     * quantization and 4.5 without (plus the fixed code books). The decode cache is counted apart
     * ({@link #decodeCacheBytes()}).
     *
     * @return bytes held
     */
    @Override
    public long bytesHeld() {
        long bytes = state.bytesHeld();
        if (bias != null && bias.getArray() != null) {
            bytes += bias.getArray().size() * bias.getArray().getDataType().getNumOfBytes();
        }
        return bytes;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "QuantizedLinear(in=" + in + ", out=" + out + ", bias=" + (bias != null) + ", "
                + state.quantType().bnbName() + ", blocksize=" + state.blocksize() + ", double_quant="
                + state.doubleQuantized() + ")";
    }

    private static QuantState withDtype(QuantState s, WeightDtype dtype) {
        if (s.dtype() == dtype) {
            return s;
        }
        return new QuantState(s.quantType(), s.blocksize(), dtype, s.shape(), s.packed(), s.absmax(), s.quantMap(), s.nested());
    }

    private static NDArray directArray(Block block, String name) {
        PairList<String, Parameter> direct = block.getDirectParameters();
        if (direct.contains(name)) {
            return direct.get(name).getArray();
        }
        return null;
    }
}
