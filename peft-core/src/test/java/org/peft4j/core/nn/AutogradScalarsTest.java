package org.peft4j.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.function.UnaryOperator;

/**
 * The gradient through a product, quotient or power with a constant must not change when the
 * garbage collector runs between the forward and the backward pass. With DJL's own {@code
 * mul(Number)} it does: its operand lives in a Java buffer that the collection frees (the gradient
 * of {@code 3x} came out as 2.1e-38). Expected values are the analytic derivatives, exact in float32.
 */
class AutogradScalarsTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private float[] gradientAfterCollection(float[] at, UnaryOperator<NDArray> f) throws InterruptedException {
        NDArray x = manager.create(at);
        x.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = f.apply(x).sum();
            GarbagePressure.collectAndReuseFreedMemory();
            gc.backward(loss);
        }
        return x.getGradient().toFloatArray();
    }

    @Test
    void productGradientSurvivesACollection() throws InterruptedException {
        assertArrayEquals(new float[] {3f, 3f}, gradientAfterCollection(new float[] {1f, -2f}, x -> AutogradScalars.mul(x, 3f)), 0f);
    }

    @Test
    void quotientGradientSurvivesACollection() throws InterruptedException {
        assertArrayEquals(new float[] {0.25f, 0.25f}, gradientAfterCollection(new float[] {1f, -2f}, x -> AutogradScalars.div(x, 4f)), 0f);
    }

    @Test
    void powerGradientSurvivesACollection() throws InterruptedException {
        // d/dx x^2 = 2x
        assertArrayEquals(new float[] {3f, -4f}, gradientAfterCollection(new float[] {1.5f, -2f}, x -> AutogradScalars.pow(x, 2f)), 0f);
    }
}
