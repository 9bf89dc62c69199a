package org.peft4j.quant.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.peft4j.core.PeftException;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.nn.DenseLinear;
import org.peft4j.quant.QuantConfig;

import java.nio.FloatBuffer;
import java.util.List;

/** Replacing a model's linear layers with 4-bit layers. */
class ModelQuantizerTest {

    private static final QuantConfig KEEP_HEAD = QuantConfig.qlora().withKeep("classifier");
    private static final List<String> BODY = List.of("attention.query", "attention.value", "output");
    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @Test
    void replacesEveryLinearLayerExceptTheKeptHead() {
        try (NDManager m = manager.newSubManager()) {
            TinyEncoder model = new TinyEncoder(m, 64, 3, 1);
            QuantizationReport report = ModelQuantizer.quantize(model, KEEP_HEAD);
            assertEquals(BODY, report.quantized());
            assertEquals(List.of("classifier"), report.kept());
            for (String path : BODY) {
                assertTrue(BlockPaths.get(model, path) instanceof QuantizedLinear, path);
            }
            assertTrue(BlockPaths.get(model, "classifier") instanceof DenseLinear);
        }
    }

    @Test
    void quantizedModelComputesWithTheDequantizedWeights() {
        try (NDManager m = manager.newSubManager()) {
            TinyEncoder quantized = new TinyEncoder(m, 64, 3, 2);
            TinyEncoder reference = new TinyEncoder(m, 64, 3, 2);
            ModelQuantizer.quantize(quantized, KEEP_HEAD);
            for (String path : BODY) {
                float[] w = ((QuantizedLinear) BlockPaths.get(quantized, path)).weightCopy(m).toFloatArray();
                ((DenseLinear) BlockPaths.get(reference, path)).weight().getArray().set(FloatBuffer.wrap(w));
            }
            NDArray x = Layers.normal(m, 3, 1f, 5, 64);
            NDArray diff = quantized.run(x).sub(reference.run(x)).abs();
            // identical float32 operands through identical ops; 1e-5 absorbs summation order only
            assertTrue(diff.max().getFloat() <= 1e-5f, "max |diff| " + diff.max().getFloat());
        }
    }

    @Test
    void reportCountsDenseBytesAndBitsandbytesStorage() {
        try (NDManager m = manager.newSubManager()) {
            TinyEncoder model = new TinyEncoder(m, 64, 3, 4);
            QuantizationReport report = ModelQuantizer.quantize(model, KEEP_HEAD);
            long params = 64 * 64 + 64;
            assertEquals(3 * params, report.parameters());
            assertEquals(3 * params * Float.BYTES, report.bytesBefore());
            // bitsandbytes layout with double quantization (nf4-spec §3-4): packed n/2, uint8 absmax
            // n/64, float32 nested absmax ceil(nb/256), nested map 256 floats, code book 16 floats,
            // the offset, plus the float32 bias
            long n = 64 * 64;
            long nb = n / 64;
            long perLayer = n / 2 + nb + 4 * ((nb + 255) / 256) + 4 * 256 + 4 * 16 + 4 + 4 * 64;
            assertEquals(3 * perLayer, report.bytesAfter());
            assertEquals(8.0 * 3 * perLayer / (3 * params), report.bitsPerParameter(), 1e-12);
        }
    }

    @Test
    void replacedDenseWeightsAreReleased() {
        try (NDManager m = manager.newSubManager()) {
            TinyEncoder model = new TinyEncoder(m, 64, 3, 5);
            DenseLinear query = (DenseLinear) BlockPaths.get(model, "attention.query");
            ModelQuantizer.quantize(model, KEEP_HEAD);
            assertFalse(query.weight().isInitialized(), "the dense weight is closed once replaced");
        }
    }

    @Test
    void quantizingTwiceLeavesQuantizedLayersAlone() {
        try (NDManager m = manager.newSubManager()) {
            TinyEncoder model = new TinyEncoder(m, 64, 3, 6);
            ModelQuantizer.quantize(model, KEEP_HEAD);
            QuantizationReport again = ModelQuantizer.quantize(model, KEEP_HEAD);
            assertEquals(List.of(), again.quantized());
            assertEquals(0, again.bitsPerParameter());
        }
    }

    @Test
    void djlLinearInsideSequentialBlockIsReplacedByIndex() {
        try (NDManager m = manager.newSubManager()) {
            m.getEngine().setRandomSeed(7);
            SequentialBlock model = new SequentialBlock()
                    .add(Linear.builder().setUnits(32).build())
                    .add(Linear.builder().setUnits(4).build());
            model.initialize(m, DataType.FLOAT32, new Shape(2, 64));
            QuantizationReport report = ModelQuantizer.quantize(model, QuantConfig.qlora().withKeep("1"));
            assertEquals(List.of("0"), report.quantized());
            assertTrue(model.getChildren().get(0).getValue() instanceof QuantizedLinear);
            NDArray y = model.forward(new ParameterStore(m, false), new NDList(Layers.normal(m, 8, 1f, 2, 64)), false)
                    .singletonOrThrow();
            assertEquals(new Shape(2, 4), y.getShape());
        }
    }

    @Test
    void rootThatIsItselfALinearLayerIsRefused() {
        try (NDManager m = manager.newSubManager()) {
            PeftException e = assertThrows(
                    PeftException.class, () -> ModelQuantizer.quantize(Layers.dense(m, 64, 8, false, 9), QuantConfig.qlora()));
            assertTrue(e.getMessage().contains("QuantizedLinear.quantize"), e.getMessage());
        }
    }
}
