package org.peft4j.merge.method;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.peft4j.merge.Arrays32.assertValues;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

// SLERP with mergekit semantics (methods-spec.md 6). Tolerances: 1e-6 absolute where the
// coefficients are computed with sin/acos in double and applied in float32 to values of order 1.
class SlerpTest {

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
    void tZeroGivesTheBase() {
        NDArray v0 = manager.create(new float[] {1f, 2f, -1f});
        NDArray v1 = manager.create(new float[] {-2f, 0.5f, 3f});
        assertValues(new float[] {1f, 2f, -1f}, Slerp.interpolate(v0, v1, 0.0), 1e-6);
    }

    @Test
    void tOneGivesTheOtherModel() {
        NDArray v0 = manager.create(new float[] {1f, 2f, -1f});
        NDArray v1 = manager.create(new float[] {-2f, 0.5f, 3f});
        assertValues(new float[] {-2f, 0.5f, 3f}, Slerp.interpolate(v0, v1, 1.0), 1e-6);
    }

    @Test
    void colinearPairFallsBackToLinearInterpolation() {
        NDArray v0 = manager.create(new float[] {1f, -2f, 2f});
        NDArray v1 = manager.create(new float[] {2f, -4f, 4f});
        // dot of the directions = 1 > 0.9995 -> 0.75 * v0 + 0.25 * v1 = 1.25 * v0
        assertValues(new float[] {1.25f, -2.5f, 2.5f}, Slerp.interpolate(v0, v1, 0.25), 1e-6);
    }

    @Test
    void antiParallelPairAlsoFallsBackToLinearInterpolation() {
        NDArray v0 = manager.create(new float[] {1f, 0f});
        NDArray v1 = manager.create(new float[] {-3f, 0f});
        // |dot| = 1 > 0.9995 -> 0.5 * 1 + 0.5 * -3
        assertValues(new float[] {-1f, 0f}, Slerp.interpolate(v0, v1, 0.5), 1e-6);
    }

    @Test
    void orthogonalPairFollowsTheArcOnUnnormalisedTensors() {
        NDArray v0 = manager.create(new float[] {2f, 0f});
        NDArray v1 = manager.create(new float[] {0f, 4f});
        // Omega = pi/2: s0 = s1 = sin(pi/4) -> [2 sin(pi/4), 4 sin(pi/4)]
        float s = (float) Math.sin(Math.PI / 4);
        assertValues(new float[] {2 * s, 4 * s}, Slerp.interpolate(v0, v1, 0.5), 1e-6);
    }

    @Test
    void mergeMethodInterpolatesBaseWithTheSingleInput() {
        NDArray base = manager.create(new float[] {2f, 0f});
        NDArray inputs = manager.create(new float[] {0f, 4f}, new Shape(1, 2));
        float s = (float) Math.sin(Math.PI / 4);
        assertValues(new float[] {2 * s, 4 * s}, new Slerp(0.5).merge("w", base, inputs), 1e-6);
    }

    @Test
    void tOutsideUnitIntervalIsRejectedNamingT() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Slerp(1.5));
        assertTrue(e.getMessage().startsWith("t must be in [0, 1]"), e.getMessage());
    }
}
