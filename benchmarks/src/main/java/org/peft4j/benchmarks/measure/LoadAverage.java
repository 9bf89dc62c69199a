package org.peft4j.benchmarks.measure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The Linux load average ({@code /proc/loadavg}): runnable plus uninterruptible tasks averaged over
 * 1, 5 and 15 minutes. On a shared machine it says how much other work competed with a
 * measurement; a benchmark's own busy threads count too (up to the number of threads it uses).
 *
 * @param one the 1-minute average
 * @param five the 5-minute average
 * @param fifteen the 15-minute average
 */
public record LoadAverage(double one, double five, double fifteen) {

    private static final Path LOADAVG = Path.of("/proc/loadavg");

    /**
     * Reads the current load average.
     *
     * @return the averages, or all {@code NaN} where {@code /proc/loadavg} cannot be read
     */
    public static LoadAverage now() {
        try {
            String[] f = Files.readString(LOADAVG).trim().split("\\s+");
            return new LoadAverage(Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]));
        } catch (IOException | RuntimeException e) {
            return new LoadAverage(Double.NaN, Double.NaN, Double.NaN);
        }
    }

    /**
     * Waits until the 1-minute load average drops to {@code threshold} or {@code maxSeconds} pass.
     *
     * @param threshold the wanted 1-minute load
     * @param maxSeconds the longest wait
     * @param pollSeconds seconds between polls
     * @return the load average when the wait ended
     * @throws InterruptedException if interrupted while waiting
     */
    public static LoadAverage waitBelow(double threshold, long maxSeconds, long pollSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + maxSeconds * 1_000_000_000L;
        LoadAverage l = now();
        while (!(l.one() <= threshold) && System.nanoTime() < deadline) {
            Thread.sleep(pollSeconds * 1000L);
            l = now();
        }
        return l;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%.2f %.2f %.2f", one, five, fifteen);
    }
}
