package org.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

/** A later save removes temporary files that a killed writer left behind, once they are stale. */
class StaleTempFilesTest {

    @Test
    void staleLeftoversOfTheSameTargetAreRemovedFreshOnesAndOthersKept(@TempDir Path dir) throws IOException {
        Path stale = Files.writeString(dir.resolve(".model.safetensors.1a2b.tmp"), "half");
        Files.setLastModifiedTime(stale, FileTime.fromMillis(System.currentTimeMillis() - PendingFile.STALE_TEMP_MILLIS - 60_000));
        Path fresh = Files.writeString(dir.resolve(".model.safetensors.3c4d.tmp"), "in progress");
        Path otherTarget = Files.writeString(dir.resolve(".config.json.5e6f.tmp"), "x");
        Files.setLastModifiedTime(otherTarget, FileTime.fromMillis(0));
        AtomicFiles.writeString(dir.resolve("model.safetensors"), "new");
        assertFalse(Files.exists(stale), "stale leftover of this target");
        assertTrue(Files.exists(fresh), "a young temp file may belong to a running writer");
        assertTrue(Files.exists(otherTarget), "leftovers of other targets are not touched");
        assertTrue(Files.readString(dir.resolve("model.safetensors")).equals("new"));
    }
}
