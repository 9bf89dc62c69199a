package org.peft4j.benchmarks.measure;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Per-process counters that are less sensitive to other load on the machine than wall time: CPU
 * time of all threads, and minor page faults (first touches of fresh memory, each a kernel entry
 * plus zeroing a page), read from {@code /proc/self/stat}.
 *
 * @param cpuNanos user + system CPU time of the process so far
 * @param minorFaults minor page faults so far (-1 where unknown)
 */
public record ProcessCounters(long cpuNanos, long minorFaults) {

    /**
     * Reads the counters now.
     *
     * @return the counters
     */
    public static ProcessCounters now() {
        long cpu = -1;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            cpu = os.getProcessCpuTime();
        }
        long faults = -1;
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // fields after the parenthesised command name: state(3) ppid pgrp session tty tpgid flags minflt(10)
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            faults = Long.parseLong(f[7]);
        } catch (IOException | RuntimeException e) {
            faults = -1;
        }
        return new ProcessCounters(cpu, faults);
    }

    /**
     * Returns the counters accumulated since {@code earlier}.
     *
     * @param earlier an earlier reading
     * @return the difference
     */
    public ProcessCounters since(ProcessCounters earlier) {
        return new ProcessCounters(cpuNanos - earlier.cpuNanos, minorFaults - earlier.minorFaults);
    }
}
