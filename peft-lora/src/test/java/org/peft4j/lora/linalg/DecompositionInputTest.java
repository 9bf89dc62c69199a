package org.peft4j.lora.linalg;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.function.BiFunction;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every decomposition rejects the same bad inputs with a message naming the problem. */
class DecompositionInputTest {

    private NDManager manager;

    @BeforeEach
    void openManager() {
        manager = NDManager.newBaseManager(Device.cpu());
    }

    @AfterEach
    void closeManager() {
        manager.close();
    }

    static Stream<Arguments> decompositions() {
        return Stream.of(
                Arguments.of("Svd.full", (Decomposition) (w, out) -> Svd.full().decompose(w, out)),
                Arguments.of("Svd.truncated", (Decomposition) (w, out) -> Svd.truncated(1).decompose(w, out)),
                Arguments.of(
                        "Svd.randomized",
                        (Decomposition) (w, out) -> Svd.randomized(1, 2, 1, 0L).decompose(w, out)),
                Arguments.of("Lu.of", (Decomposition) Lu::of),
                Arguments.of("Lu.ldu", (Decomposition) Lu::ldu),
                Arguments.of("Qr.of", (Decomposition) Qr::of));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decompositions")
    void rejectsAVectorNamingItsShape(String name, Decomposition decomposition) {
        NDArray vector = manager.create(new float[] {1, 2, 3});
        assertRejected(decomposition, vector, "(3)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decompositions")
    void rejectsAThreeDimensionalArrayNamingItsShape(String name, Decomposition decomposition) {
        NDArray cube = manager.ones(new Shape(2, 3, 4));
        assertRejected(decomposition, cube, "(2, 3, 4)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decompositions")
    void rejectsFloat64NamingTheDtype(String name, Decomposition decomposition) {
        NDArray doubles = manager.ones(new Shape(3, 3), DataType.FLOAT64);
        assertRejected(decomposition, doubles, "float32");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decompositions")
    void rejectsNaN(String name, Decomposition decomposition) {
        NDArray w = manager.create(new float[] {1, 2, Float.NaN, 4}, new Shape(2, 2));
        assertRejected(decomposition, w, "NaN or infinite");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decompositions")
    void rejectsInfinity(String name, Decomposition decomposition) {
        NDArray w = manager.create(new float[] {1, Float.NEGATIVE_INFINITY, 3, 4}, new Shape(2, 2));
        assertRejected(decomposition, w, "NaN or infinite");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decompositions")
    void rejectsAnEmptyMatrix(String name, Decomposition decomposition) {
        NDArray empty = manager.create(new Shape(0, 3));
        assertRejected(decomposition, empty, "m >= 1 and n >= 1");
    }

    private void assertRejected(Decomposition decomposition, NDArray w, String expected) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> decomposition.apply(w, manager));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    /** Any of the package's entry points, as {@code (w, out) -> result}. */
    @FunctionalInterface
    interface Decomposition extends BiFunction<NDArray, NDManager, AutoCloseable> {}
}
