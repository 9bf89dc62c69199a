package org.peft4j.lora.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.peft4j.core.reliability.FuzzCampaign;
import org.peft4j.core.reliability.FuzzFormat;
import org.peft4j.core.reliability.FuzzTally;
import org.peft4j.core.reliability.SafetensorsFuzzFormat;
import org.peft4j.core.reliability.ShardIndexFuzzFormat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The long fuzz run: the generators and checks of the suite's fuzz tests, for every reader, with a larger count,
 * printed as one table. Its name does not end in {@code Test}, so the ordinary suite skips it; run it with
 *
 * <pre>
 * mvn -o -B -q -pl peft-lora -am test -Dtest=FuzzAll -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dpeft4j.fuzz.inputs=100000 [-Dpeft4j.fuzz.seed=...]
 * </pre>
 *
 * or call {@link #main} with the count (and seed) as arguments on the test class path.
 */
public class FuzzAll {

    @Test
    void everyReaderSurvivesTheLongCampaign() throws IOException {
        List<FuzzTally> tallies = run(FuzzCampaign.inputCount(), FuzzCampaign.seed());
        for (FuzzTally t : tallies) {
            assertEquals(0, t.failures(), () -> t + "\n  " + String.join("\n  ", t.failureLabels()));
        }
    }

    /**
     * Runs every format and prints the table.
     *
     * @param args optional: inputs per format, seed
     * @throws IOException if inputs cannot be written
     */
    public static void main(String[] args) throws IOException {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : FuzzCampaign.inputCount();
        long seed = args.length > 1 ? Long.parseLong(args[1]) : FuzzCampaign.seed();
        List<FuzzTally> tallies = run(count, seed);
        int failures = tallies.stream().mapToInt(FuzzTally::failures).sum();
        System.exit(failures == 0 ? 0 : 1);
    }

    static List<FuzzTally> run(int count, long seed) throws IOException {
        List<FormatRun> formats = List.of(new FormatRun(new SafetensorsFuzzFormat(), false),
                new FormatRun(new ShardIndexFuzzFormat(), false), new FormatRun(new AdapterConfigFuzzFormat(), true));
        List<FuzzTally> tallies = new ArrayList<>();
        Path root = Files.createTempDirectory("peft4j-fuzz");
        try {
            for (FormatRun f : formats) {
                Path work = Files.createDirectory(root.resolve(Integer.toString(tallies.size())));
                long start = System.nanoTime();
                FuzzTally tally;
                if (f.quiet) {
                    try (QuietStderr quiet = new QuietStderr()) {
                        tally = FuzzCampaign.run(f.format, seed, count, work);
                    }
                } else {
                    tally = FuzzCampaign.run(f.format, seed, count, work);
                }
                System.out.printf("%s done in %.1f s%n", f.format.name(), (System.nanoTime() - start) / 1e9);
                tallies.add(tally);
            }
        } finally {
            deleteTree(root);
        }
        System.out.println(table(tallies));
        for (FuzzTally t : tallies) {
            t.exampleMessages().forEach((type, m) -> System.out.println("example " + type + ": "
                    + (m.length() > 400 ? m.substring(0, 400) + "..." : m)));
            t.failureLabels().forEach(l -> System.out.println("FAILURE " + l));
        }
        return tallies;
    }

    /**
     * Formats the counts as a Markdown table.
     *
     * @param tallies one per format
     * @return the table
     */
    static String table(List<FuzzTally> tallies) {
        StringBuilder sb = new StringBuilder();
        sb.append("| format | seed | inputs | accepted (verified) | rejected (IOException) | rejected by class"
                + " | failures | mean per input | slowest input |\n");
        sb.append("| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |\n");
        for (FuzzTally t : tallies) {
            sb.append(String.format("| %s | %d | %,d | %,d | %,d | %s | %d | %.0f us | %.1f ms |%n", t.format(),
                    t.seed(), t.inputs(), t.accepted(), t.rejected(), t.rejectedBy(), t.failures(), t.meanMicros(),
                    t.slowestMillis()));
        }
        return sb.toString();
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private record FormatRun(FuzzFormat format, boolean quiet) {
    }
}
