package org.peft4j.lora.linalg;

/** Turns the {@code info} code a {@code LAPACKE_s*} routine returns into an exception. */
final class LapackStatus {

    /** LAPACKE's code for a failed work-array allocation ({@code LAPACK_WORK_MEMORY_ERROR}). */
    private static final int WORK_MEMORY_ERROR = -1010;

    /** LAPACKE's code for a failed transpose-buffer allocation ({@code LAPACK_TRANSPOSE_MEMORY_ERROR}). */
    private static final int TRANSPOSE_MEMORY_ERROR = -1011;

    private LapackStatus() {}

    /**
     * Throws unless {@code info == 0}.
     *
     * @param routine the LAPACK routine, e.g. {@code "sgesdd"}
     * @param info its return value
     * @param what the input, e.g. {@code "[96, 64] matrix"}
     * @param failure what a positive code means for this routine
     * @throws IllegalArgumentException for a negative code (an argument LAPACK rejected, or no memory)
     * @throws ArithmeticException for a positive code (the algorithm did not succeed on this input)
     */
    static void check(String routine, int info, String what, String failure) {
        if (info == 0) {
            return;
        }
        if (info == WORK_MEMORY_ERROR || info == TRANSPOSE_MEMORY_ERROR) {
            throw new IllegalArgumentException(
                    routine + " could not allocate its work memory for the " + what
                            + " (LAPACKE info " + info + ")");
        }
        if (info < 0) {
            throw new IllegalArgumentException(
                    routine + " rejected argument " + (-info) + " for the " + what
                            + " (LAPACKE info " + info + ")");
        }
        throw new ArithmeticException(
                routine + " failed on the " + what + ": " + failure + " (info " + info + ")");
    }
}
