package org.peft4j.benchmarks.measure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The resident memory of this process from {@code /proc/self/status}: {@code VmRSS} (now) and
 * {@code VmHWM} (the peak, "high water mark"). Native (libtorch) allocations count as well as the
 * Java heap. Writing {@code 5} to {@code /proc/self/clear_refs} resets the peak to the current RSS
 * (Linux 4.0+), so the peak of one phase can be read on its own.
 */
public final class PeakMemory {

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private PeakMemory() {}

    /**
     * Returns the peak resident set size of this process.
     *
     * @return bytes, or -1 where not available
     */
    public static long peakRssBytes() {
        return field("VmHWM:");
    }

    /**
     * Returns the current resident set size of this process.
     *
     * @return bytes, or -1 where not available
     */
    public static long rssBytes() {
        return field("VmRSS:");
    }

    /**
     * Resets the peak to the current resident size.
     *
     * @return whether the kernel accepted the reset
     */
    public static boolean resetPeak() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
