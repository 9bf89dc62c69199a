package org.peft4j.core.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Whole-file writes that either fully happen or leave the old file untouched: the content goes to a temporary
 * file in the target's folder, is fsynced, then renamed over the target with an atomic move; the folder is
 * fsynced where the platform allows. On any failure the temporary file is removed and the old target (if any) is
 * byte-identical to before.
 */
public final class AtomicFiles {

    private static final int BUFFER_BYTES = 1 << 16;

    private AtomicFiles() {
    }

    /**
     * Writes a file atomically.
     *
     * @param target the file to create or replace
     * @param body writes the whole content into the stream it is given (buffered; closing it is allowed and
     *     harmless)
     * @throws IOException if {@code body} or the file system fails; any exception from {@code body} propagates
     *     unchanged after the temporary file is removed
     */
    public static void write(Path target, IOConsumer<OutputStream> body) throws IOException {
        try (PendingFile pending = PendingFile.create(target)) {
            OutputStream buffered = new BufferedOutputStream(Channels.newOutputStream(pending.channel()),
                    BUFFER_BYTES);
            body.accept(new FilterOutputStream(buffered) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    // the channel must stay open until commit
                    flush();
                }
            });
            buffered.flush();
            pending.commit();
        }
    }

    /**
     * Writes text as UTF-8, atomically.
     *
     * @param target the file to create or replace
     * @param text the whole content
     * @throws IOException if the file system fails
     */
    public static void writeString(Path target, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        write(target, out -> out.write(bytes));
    }

    /**
     * Writes bytes atomically.
     *
     * @param target the file to create or replace
     * @param bytes the whole content
     * @throws IOException if the file system fails
     */
    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }
}
