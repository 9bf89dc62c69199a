package org.peft4j.lora.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

class LapackThreadTest {

    @Test
    void luOf512x512SucceedsWhenCalledFromAThreadWithAOneMegabyteStack() throws Exception {
        // Calling LAPACKE_sgetrf directly on a 1 MB-stack thread kills the JVM with SIGSEGV for
        // 256 x 256 and 512 x 512 (OpenBLAS 0.3.19), and surefire's -Xss16m does not apply to a
        // thread created with an explicit stack size. This passes only because Lu hands the call
        // to the 64 MB-stack worker.
        AtomicReference<Float> error = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable factor =
                () -> {
                    try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
                        NDArray w =
                                TestMatrices.matrix(
                                        manager, TestMatrices.gaussian(61, 512, 512), 512, 512);
                        try (LuResult lu = Lu.of(w, manager)) {
                            error.set(lu.reconstructionError(w));
                        }
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                };
        Thread small = new Thread(null, factor, "one-megabyte-stack", 1L << 20);
        small.start();
        small.join();
        assertNull(failure.get(), () -> "LU failed: " + failure.get());
        // GEPP backward error grows ~ n · eps for random matrices: ~1.5e-6 at n = 512, so 1e-5
        assertTrue(error.get() <= 1e-5f, "reconstruction error " + error.get());
    }

    @Test
    void tasksRunOnTheNamedWorkerThread() {
        assertEquals("peft4j-lapack", LapackThread.call(() -> Thread.currentThread().getName()));
    }

    @Test
    void taskExceptionsReachTheCallerUnchanged() {
        ArithmeticException thrown = new ArithmeticException("did not converge");
        ArithmeticException caught =
                assertThrows(
                        ArithmeticException.class,
                        () ->
                                LapackThread.call(
                                        () -> {
                                            throw thrown;
                                        }));
        assertSame(thrown, caught);
    }

    @Test
    void aCallFromInsideATaskRunsInPlaceInsteadOfDeadlocking() {
        int result =
                assertTimeoutPreemptively(
                        Duration.ofSeconds(10),
                        () -> LapackThread.call(() -> LapackThread.call(() -> 7)));
        assertEquals(7, result);
    }
}
