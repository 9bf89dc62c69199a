package org.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir
    Path dir;

    @Test
    void ioExceptionMidWriteLeavesOldFileByteIdenticalAndNoTempFiles() throws IOException {
        Path target = dir.resolve("adapter_config.json");
        byte[] old = "{\"r\": 8}".getBytes(StandardCharsets.UTF_8);
        Files.write(target, old);
        IOException failure = new IOException("disk full (simulated)");
        IOException thrown = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write(new byte[200_000]); // more than the buffer, so bytes reach the temporary file
            throw failure;
        }));
        assertSame(failure, thrown);
        assertArrayEquals(old, Files.readAllBytes(target));
        assertEquals(List.of("adapter_config.json"), filesIn(dir));
    }

    @Test
    void runtimeExceptionMidWriteLeavesOldFileByteIdenticalAndNoTempFiles() throws IOException {
        Path target = dir.resolve("weights.bin.json");
        byte[] old = {1, 2, 3};
        Files.write(target, old);
        assertThrows(UncheckedIOException.class, () -> AtomicFiles.write(target, out -> {
            out.write(9);
            throw new UncheckedIOException(new IOException("interrupted (simulated)"));
        }));
        assertArrayEquals(old, Files.readAllBytes(target));
        assertEquals(List.of("weights.bin.json"), filesIn(dir));
    }

    @Test
    void failedFirstWriteCreatesNoTarget() throws IOException {
        Path target = dir.resolve("new.txt");
        assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            throw new IOException("simulated");
        }));
        assertFalse(Files.exists(target));
        assertEquals(List.of(), filesIn(dir));
    }

    @Test
    void successfulWriteReplacesTheTarget() throws IOException {
        Path target = dir.resolve("notes.txt");
        Files.writeString(target, "old content that is longer");
        AtomicFiles.writeString(target, "new \u00e9");
        assertArrayEquals("new \u00e9".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(target));
        assertEquals(List.of("notes.txt"), filesIn(dir));
    }

    @Test
    void bodyMayCloseTheStream() throws IOException {
        Path target = dir.resolve("closed.bin");
        AtomicFiles.write(target, out -> {
            out.write(new byte[] {4, 5});
            out.close();
        });
        assertArrayEquals(new byte[] {4, 5}, Files.readAllBytes(target));
    }

    static List<String> filesIn(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }
}
