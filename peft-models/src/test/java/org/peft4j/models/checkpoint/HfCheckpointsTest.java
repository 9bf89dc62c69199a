package org.peft4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.nn.DenseLinear;
import org.peft4j.core.nn.LinearLayer;
import org.peft4j.core.nn.ModuleBlock;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@link HfCheckpoints#save}: what a saved folder holds, and what it refuses to leave out. */
class HfCheckpointsTest {

    /** A linear layer that keeps its weight outside DJL's parameters, as a 4-bit layer does. */
    private static final class PackedLinear extends ModuleBlock implements LinearLayer {
        @Override
        public Block block() {
            return this;
        }

        @Override
        public long inFeatures() {
            return 2;
        }

        @Override
        public long outFeatures() {
            return 2;
        }

        @Override
        public NDArray weightCopy(NDManager manager) {
            return manager.zeros(new Shape(2, 2));
        }

        @Override
        public void setWeight(NDArray weight) {}

        @Override
        public Parameter bias() {
            return null;
        }

        @Override
        public long parameterCount() {
            return 4;
        }

        @Override
        public long bytesHeld() {
            return 2;
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            return inputs;
        }
    }

    private static final class TwoLayers extends ModuleBlock {
        TwoLayers(NDManager m, boolean packedSecond) {
            registerModule("first", DenseLinear.of(m.ones(new Shape(2, 2)), m.zeros(new Shape(2))));
            registerModule("second", packedSecond ? new PackedLinear() : DenseLinear.of(m.ones(new Shape(2, 2)), null));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            return module("second").forward(ps, module("first").forward(ps, inputs, training), training);
        }
    }

    @Test
    void aModelOfDenseLayersIsSavedWithEveryParameter(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            HfCheckpoints.save(dir, "{}", new TwoLayers(m, false));
        }
        try (SafetensorsReader r = SafetensorsReader.open(dir.resolve("model.safetensors"))) {
            assertEquals(List.of("first.bias", "first.weight", "second.weight"), r.names().stream().sorted().toList());
        }
    }

    @Test
    void aLinearLayerWithItsWeightOutsideTheParametersIsRefusedAndNothingIsWritten(@TempDir Path dir) {
        try (NDManager m = NDManager.newBaseManager()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> HfCheckpoints.save(dir, "{}", new TwoLayers(m, true)));
            assertTrue(e.getMessage().contains("layer 'second'") && e.getMessage().contains("'second.weight' would be missing")
                    && e.getMessage().contains("dequantize"), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("model.safetensors")));
        assertFalse(Files.exists(dir.resolve("config.json")));
    }
}
