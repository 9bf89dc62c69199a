package org.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PickleCheckpointsTest {

    /** Protocol 2 pickle of the dict {} : PROTO 2, EMPTY_DICT, STOP (Python's pickle opcodes). */
    private static final byte[] PICKLE = {(byte) 0x80, 0x02, '}', 'q', 0x00, '.'};

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"pytorch_model.bin", "model.pt", "model.PTH", "state.pkl", "state.pickle", "x.ckpt"})
    void pickleExtensionsAreRefusedWithAConversionHint(String name) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, PICKLE);
        PickleCheckpointException error = assertThrows(PickleCheckpointException.class,
                () -> PickleCheckpoints.refuse(file));
        assertTrue(error.getMessage().contains("safetensors"), error.getMessage());
        assertThrows(PickleCheckpointException.class, () -> SafetensorsReader.open(file));
    }

    @Test
    void pickleContentIsRefusedWhateverTheName() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Files.write(file, Arrays.copyOf(PICKLE, 64));
        assertThrows(PickleCheckpointException.class, () -> PickleCheckpoints.refuse(file));
        PickleCheckpointException error = assertThrows(PickleCheckpointException.class,
                () -> SafetensorsReader.open(file));
        assertTrue(error.getMessage().contains("protocol 2"), error.getMessage());
    }

    @Test
    void torchZipArchivesAreRefused() throws IOException {
        Path file = dir.resolve("weights");
        Files.write(file, new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0, 0, 0});
        assertTrue(PickleCheckpoints.isPickle(file));
    }

    @Test
    void safetensorsFileWhoseLengthFieldLooksLikeAPickleIsAccepted() throws IOException {
        // header length 640 = 0x280 makes the first two bytes 0x80 0x02, the pickle protocol 2 prefix
        Path file = dir.resolve("lookalike.safetensors");
        String filler = "x".repeat(640 - "{\"__metadata__\":{\"k\":\"\"}}".length());
        try (SafetensorsWriter writer = SafetensorsWriter.builder().metadata(Map.of("k", filler)).open(file)) {
            writer.commit();
        }
        byte[] head = Files.readAllBytes(file);
        assertEquals((byte) 0x80, head[0]);
        assertEquals(2, head[1]);
        assertFalse(PickleCheckpoints.isPickle(file));
        assertDoesNotThrow(() -> SafetensorsReader.open(file).close());
    }

    @Test
    void ordinaryFilesPass() throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{}");
        assertDoesNotThrow(() -> PickleCheckpoints.refuse(file));
        assertDoesNotThrow(() -> PickleCheckpoints.refuse(dir.resolve("absent.safetensors")));
        assertFalse(PickleCheckpoints.isPickle(file));
    }
}
