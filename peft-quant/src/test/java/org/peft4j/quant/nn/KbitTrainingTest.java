package org.peft4j.quant.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.nn.DenseLinear;
import org.peft4j.quant.QuantConfig;

import java.util.List;
import java.util.Map;

/** PEFT's prepare_model_for_kbit_training: freeze everything, widen half-precision parameters. */
class KbitTrainingTest {

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
    void everyParameterIsFrozen() {
        try (NDManager m = manager.newSubManager()) {
            TinyEncoder model = new TinyEncoder(m, 64, 3, 1);
            ModelQuantizer.quantize(model, QuantConfig.qlora().withKeep("classifier"));
            KbitPreparation done = KbitTraining.prepare(model);
            Map<String, Parameter> parameters = BlockPaths.parameters(model);
            assertEquals(parameters.size(), done.frozen());
            for (Map.Entry<String, Parameter> p : parameters.entrySet()) {
                assertFalse(p.getValue().requiresGradient(), p.getKey());
            }
        }
    }

    @Test
    void halfPrecisionHeadIsWidenedToFloat32WithTheSameValues() {
        try (NDManager m = manager.newSubManager()) {
            m.getEngine().setRandomSeed(3);
            DenseLinear body = Layers.dense(m, 64, 16, true, 2);
            DenseLinear head = new DenseLinear(16, 4, true);
            head.initialize(m, DataType.FLOAT16);
            float[] halfValues = head.weight().getArray().toType(DataType.FLOAT32, false).toFloatArray();
            SequentialBlock model = new SequentialBlock().add(body).add(head);
            ModelQuantizer.quantize(model, QuantConfig.qlora().withKeep("1"));
            KbitPreparation done = KbitTraining.prepare(model);
            assertEquals(List.of("1.weight", "1.bias"), done.upcast());
            NDArray widened = head.weight().getArray();
            assertEquals(DataType.FLOAT32, widened.getDataType());
            // float16 -> float32 is exact
            assertArrayEquals(halfValues, widened.toFloatArray());
            assertFalse(head.weight().requiresGradient());
            NDArray y = model.forward(new ParameterStore(m, false), new NDList(Layers.normal(m, 4, 1f, 2, 64)), false)
                    .singletonOrThrow();
            assertEquals(DataType.FLOAT32, y.getDataType());
        }
    }
}
