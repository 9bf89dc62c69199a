package org.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.io.CorruptSafetensorsCorpus.Case;
import org.peft4j.core.io.CorruptSafetensorsCorpus.Expectation;

/**
 * Feeds corrupted and hostile files to the reader: each must be rejected with an IOException (a
 * SafetensorsException for every format violation) or open as a valid file whose every tensor reads back, and
 * each decision must take under a second (no unbounded allocation, recursion or scanning).
 */
class SafetensorsCorruptionTest {

    /** Generous bound for one open + full read of a file of at most a few hundred KB, JIT warm-up included. */
    private static final Duration PER_CASE = Duration.ofSeconds(1);

    @TempDir
    Path dir;

    private enum Outcome { REJECTED_FORMAT, REJECTED_IO, ACCEPTED }

    @Test
    void hostileHeadersAreRejectedAndValidEdgeCasesAccepted() throws IOException {
        List<Case> cases = CorruptSafetensorsCorpus.hostileCases();
        int[] counts = runAll(cases);
        System.out.printf("hostile headers: %d cases, %d rejected as format errors, %d other IO errors,"
                + " %d accepted%n", cases.size(), counts[0], counts[1], counts[2]);
        assertTrue(cases.size() >= 80, "hand-made cases: " + cases.size());
    }

    @Test
    void randomMutationsOfValidFilesAreRejectedOrFullyReadable() throws IOException {
        long seed = CorruptSafetensorsCorpus.seed();
        int perBase = CorruptSafetensorsCorpus.randomCaseCount();
        List<Case> cases = new ArrayList<>();
        cases.addAll(CorruptSafetensorsCorpus.randomCases(TestResources.bytes("io/tiny-bert/lora_qv/"
                + "adapter_model.safetensors"), seed, perBase));
        cases.addAll(CorruptSafetensorsCorpus.randomCases(CorruptSafetensorsCorpus.everyDtypeFile(), seed + 1,
                perBase));
        int[] counts = runAll(cases);
        System.out.printf("random mutations (seed %d): %d cases, %d rejected as format errors, %d other IO"
                + " errors, %d accepted and fully read%n", seed, cases.size(), counts[0], counts[1], counts[2]);
        assertEquals(cases.size(), counts[0] + counts[1] + counts[2]);
        // both outcomes must actually occur, or the generator is not exercising the reader
        assertTrue(counts[0] > cases.size() / 4, "too few rejections: " + counts[0]);
        assertTrue(counts[2] > 0, "no mutation left a valid file");
    }

    @Test
    void unmutatedBaseFilesAreAccepted() throws IOException {
        assertEquals(Outcome.ACCEPTED, check(write(CorruptSafetensorsCorpus.everyDtypeFile())));
        assertEquals(Outcome.ACCEPTED, check(write(TestResources.bytes(
                "io/tiny-bert/lora_qv/adapter_model.safetensors"))));
    }

    private int[] runAll(List<Case> cases) throws IOException {
        int[] counts = new int[3];
        for (Case c : cases) {
            Path file = write(c.bytes());
            Outcome outcome = assertTimeoutPreemptively(PER_CASE, () -> check(file), c.label());
            counts[outcome.ordinal()]++;
            if (c.expected() == Expectation.REJECT && outcome == Outcome.ACCEPTED) {
                fail("accepted a file that breaks the format: " + c.label());
            }
            if (c.expected() == Expectation.ACCEPT && outcome != Outcome.ACCEPTED) {
                fail("rejected a valid file: " + c.label());
            }
            if (c.expected() == Expectation.REJECT && outcome == Outcome.REJECTED_IO) {
                fail("format violation not reported as SafetensorsException: " + c.label());
            }
        }
        return counts;
    }

    private Path write(byte[] bytes) throws IOException {
        Path file = dir.resolve("case.safetensors");
        Files.write(file, bytes);
        return file;
    }

    /** Opens the file and, if accepted, reads every tensor in full. */
    private static Outcome check(Path file) {
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            long covered = 0;
            for (String name : reader.names()) {
                TensorInfo info = reader.info(name);
                ByteBuffer bytes = reader.bytes(name);
                assertEquals(info.byteLength(), bytes.remaining(), name);
                assertEquals(info.elementCount(), reader.readFloats(name).length, name);
                covered += info.byteLength();
            }
            assertEquals(Files.size(file) - reader.dataStart(), covered, "tensors must cover the data exactly");
            return Outcome.ACCEPTED;
        } catch (SafetensorsException e) {
            return Outcome.REJECTED_FORMAT;
        } catch (IOException e) {
            return Outcome.REJECTED_IO;
        }
    }
}
