package org.peft4j.lora.linalg;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The one thread on which every LAPACK routine of this package runs.
 *
 * <p>OpenBLAS's LU ({@code sgetrf}) keeps large work arrays on the calling thread's stack and
 * crashes the JVM with SIGSEGV on the default 1 MB Java thread stack (seen for 256 x 256 and
 * larger; {@code OPENBLAS_NUM_THREADS=1} does not help). Rather than asking every user for
 * {@code -Xss16m}, the calls are handed to a daemon worker created with a 64 MB stack. A single
 * worker also serialises LAPACK use, so OpenBLAS's own thread pool is never entered from two
 * Java threads at once.
 */
final class LapackThread {

    /** Stack size of the worker thread in bytes: 64 MB. */
    static final long STACK_BYTES = 64L << 20;

    /** Name of the worker thread, visible in thread dumps. */
    static final String NAME = "peft4j-lapack";

    /** True only on the worker, so that a LAPACK call made from inside a task runs in place. */
    private static final ThreadLocal<Boolean> ON_WORKER = ThreadLocal.withInitial(() -> false);

    private static final ExecutorService WORKER =
            Executors.newSingleThreadExecutor(
                    task -> {
                        Runnable marked =
                                () -> {
                                    ON_WORKER.set(true);
                                    task.run();
                                };
                        Thread thread = new Thread(null, marked, NAME, STACK_BYTES);
                        thread.setDaemon(true);
                        return thread;
                    });

    private LapackThread() {}

    /**
     * Runs {@code task} on the worker thread and waits for it.
     *
     * @param task the work; it must not create NDArrays (DJL scopes are per thread)
     * @param <T> the result type
     * @return what the task returned
     * @throws RuntimeException the task's own unchecked exception, unchanged
     * @throws IllegalStateException if the task threw a checked exception or the waiting thread
     *     was interrupted (the interrupt flag is restored)
     */
    static <T> T call(Callable<T> task) {
        if (ON_WORKER.get()) {
            return runHere(task);
        }
        Future<T> pending = WORKER.submit(task);
        try {
            return pending.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a LAPACK call", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException("LAPACK call failed: " + cause, cause);
        }
    }

    private static <T> T runHere(Callable<T> task) {
        try {
            return task.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("LAPACK call failed: " + e, e);
        }
    }
}
