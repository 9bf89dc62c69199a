package org.peft4j.core.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A temporary file beside its target that becomes the target only on {@link #commit()}: fsync, atomic rename,
 * best-effort fsync of the folder. {@link #close()} without commit deletes it, leaving the target untouched.
 */
final class PendingFile implements Closeable {

    /** Keeps temporary names under the usual 255-byte file name limit. */
    private static final int MAX_NAME_PREFIX = 180;

    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private boolean committed;

    private PendingFile(Path target, Path temp, FileChannel channel) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
    }

    static PendingFile create(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path folder = absolute.getParent();
        if (folder == null || absolute.getFileName() == null) {
            throw new IOException("cannot write " + target + ": it names no file inside a folder");
        }
        String name = absolute.getFileName().toString();
        if (name.length() > MAX_NAME_PREFIX) {
            name = name.substring(0, MAX_NAME_PREFIX);
        }
        for (int attempt = 0; ; attempt++) {
            String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
            Path temp = folder.resolve("." + name + "." + suffix + ".tmp");
            try {
                FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE);
                return new PendingFile(absolute, temp, channel);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 16) {
                    throw e;
                }
            }
        }
    }

    FileChannel channel() {
        return channel;
    }

    Path temp() {
        return temp;
    }

    /**
     * Makes the written bytes durable and atomically replaces the target with them.
     *
     * @throws IOException if flushing or the rename fails (the temporary file is then removed by {@link #close()})
     */
    void commit() throws IOException {
        if (committed) {
            throw new IllegalStateException(target + " is already committed");
        }
        channel.force(true);
        channel.close();
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        committed = true;
        syncFolder(target.getParent());
        removeStaleTemps();
    }

    /**
     * Removes temporary files of the same target left by writers that died (killed mid-save) more than
     * an hour ago; a younger one may belong to a writer still running and is left alone.
     */
    private void removeStaleTemps() {
        // temp names are "." + target name + "." + random hex + ".tmp"
        String own = temp.getFileName().toString();
        String prefix = own.substring(0, own.lastIndexOf('.', own.length() - ".tmp".length() - 1) + 1);
        long cutoff = System.currentTimeMillis() - STALE_TEMP_MILLIS;
        try (java.nio.file.DirectoryStream<Path> files = Files.newDirectoryStream(target.getParent())) {
            for (Path p : files) {
                String n = p.getFileName().toString();
                try {
                    if (n.startsWith(prefix) && n.endsWith(".tmp") && !n.equals(own) && Files.getLastModifiedTime(p).toMillis() < cutoff) {
                        Files.deleteIfExists(p);
                    }
                } catch (IOException | RuntimeException e) {
                    // best effort
                }
            }
        } catch (IOException | RuntimeException e) {
            // best effort: leftovers are harmless, only untidy
        }
    }

    /** How old a leftover temporary file must be before a later save of the same target removes it. */
    static final long STALE_TEMP_MILLIS = 60L * 60 * 1000;

    /** Persists the rename itself; some platforms (Windows) cannot open folders, which is then skipped. */
    private static void syncFolder(Path folder) {
        try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException | RuntimeException e) {
            // best effort: the file itself is already durable and in place
        }
    }

    boolean committed() {
        return committed;
    }

    /** Discards the temporary file unless committed. */
    @Override
    public void close() throws IOException {
        if (committed) {
            return;
        }
        try {
            channel.close();
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
