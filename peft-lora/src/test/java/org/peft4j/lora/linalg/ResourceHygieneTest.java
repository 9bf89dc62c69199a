package org.peft4j.lora.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.function.BiFunction;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Decompositions leave no temporaries in the input's manager and put only their results in the
 * output manager: called once per adapted layer, a leak would grow native memory with model size.
 */
class ResourceHygieneTest {

    private NDManager inputs;
    private NDManager outputs;

    @BeforeEach
    void openManagers() {
        inputs = NDManager.newBaseManager(Device.cpu());
        outputs = NDManager.newBaseManager(Device.cpu());
    }

    @AfterEach
    void closeManagers() {
        outputs.close();
        inputs.close();
    }

    static Stream<Arguments> decompositions() {
        return Stream.of(
                Arguments.of("Svd.full", 3, (Run) (w, out) -> Svd.full().decompose(w, out)),
                Arguments.of("Svd.truncated", 3, (Run) (w, out) -> Svd.truncated(4).decompose(w, out)),
                Arguments.of(
                        "Svd.randomized", 3,
                        (Run) (w, out) -> Svd.randomized(4, 5, 2, 1L).decompose(w, out)),
                Arguments.of("Lu.of", 2, (Run) Lu::of),
                Arguments.of("Lu.ldu", 3, (Run) Lu::ldu),
                Arguments.of("Qr.of", 2, (Run) Qr::of));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decompositions")
    void onlyTheResultArraysRemainAfterDecomposingATransposedView(
            String name, int resultArrays, Run run) throws Exception {
        NDArray stored = TestMatrices.matrix(inputs, TestMatrices.gaussian(71, 24, 40), 24, 40);
        // a transpose is a non-contiguous view: DJL makes a contiguous temporary to read it
        NDArray w = stored.transpose();
        int before = inputs.getManagedArrays().size();
        AutoCloseable result = run.apply(w, outputs);
        assertEquals(before, inputs.getManagedArrays().size(), "arrays left in the input's manager");
        assertEquals(resultArrays, outputs.getManagedArrays().size(), "arrays in the output manager");
        result.close();
        assertEquals(0, outputs.getManagedArrays().size(), "closing the result closes its arrays");
    }

    @Test
    void qualityChecksLeaveNoArraysBehind() {
        NDArray w = TestMatrices.matrix(inputs, TestMatrices.gaussian(72, 30, 20), 30, 20);
        try (SvdResult svd = Svd.full().decompose(w, outputs);
                LuResult lu = Lu.of(w, outputs);
                LduResult ldu = Lu.ldu(w, outputs);
                QrResult qr = Qr.of(w, outputs)) {
            int before = inputs.getManagedArrays().size();
            int results = outputs.getManagedArrays().size();
            svd.reconstructionError(w);
            svd.orthogonalityError();
            lu.reconstructionError(w);
            ldu.reconstructionError(w);
            qr.reconstructionError(w);
            qr.orthogonalityError();
            assertEquals(before, inputs.getManagedArrays().size());
            assertEquals(results, outputs.getManagedArrays().size());
        }
    }

    @Test
    void aTransposedViewIsDecomposedAsTheMatrixItShows() {
        NDArray stored = TestMatrices.matrix(inputs, TestMatrices.gaussian(73, 24, 40), 24, 40);
        float[] transposed = stored.transpose().toFloatArray(); // row-major [40, 24]
        NDArray materialized = TestMatrices.matrix(inputs, transposed, 40, 24);
        try (SvdResult fromView = Svd.full().decompose(stored.transpose(), outputs);
                SvdResult fromCopy = Svd.full().decompose(materialized, outputs)) {
            // same bits in, same deterministic LAPACK call: identical singular values
            assertArrayEquals(fromCopy.s().toFloatArray(), fromView.s().toFloatArray(), 0f);
        }
    }

    /** A decomposition as {@code (w, out) -> result}. */
    @FunctionalInterface
    interface Run extends BiFunction<NDArray, NDManager, AutoCloseable> {}
}
