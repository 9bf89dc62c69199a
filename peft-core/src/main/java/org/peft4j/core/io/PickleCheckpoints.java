package org.peft4j.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;

/**
 * Recognizes Python pickle checkpoints ({@code pytorch_model.bin}, {@code *.pt}, ...) so they can be refused with a
 * message that says how to convert them. Nothing here ever deserializes a pickle.
 */
public final class PickleCheckpoints {

    /** File extensions of pickle-based checkpoints, lower case. */
    public static final List<String> EXTENSIONS = List.of(".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt");

    private PickleCheckpoints() {
    }

    /**
     * Refuses a pickle checkpoint; returns normally for anything else.
     *
     * @param file any file
     * @throws PickleCheckpointException if the name ends in one of {@link #EXTENSIONS}, or the content starts with
     *     a pickle protocol 2-5 header or a zip header (torch.save's archive format)
     * @throws IOException if the file exists but cannot be read
     */
    public static void refuse(Path file) throws IOException {
        refuseByName(file);
        if (Files.isRegularFile(file)) {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                String kind = pickleKind(channel);
                if (kind != null) {
                    throw new PickleCheckpointException(file, "file holds " + kind);
                }
            }
        }
    }

    /**
     * @param file any file
     * @return whether {@link #refuse} would refuse it
     * @throws IOException if the file exists but cannot be read
     */
    public static boolean isPickle(Path file) throws IOException {
        try {
            refuse(file);
            return false;
        } catch (PickleCheckpointException e) {
            return true;
        }
    }

    static void refuseByName(Path file) throws PickleCheckpointException {
        Path name = file.getFileName();
        if (name == null) {
            return;
        }
        String lower = name.toString().toLowerCase(Locale.ROOT);
        for (String extension : EXTENSIONS) {
            if (lower.endsWith(extension)) {
                throw new PickleCheckpointException(file, "'" + extension + "' is a pickle checkpoint extension");
            }
        }
    }

    /**
     * Looks at the first 9 bytes. A safetensors file always has {@code '{'} at byte 8, which neither format
     * below has there, so a valid safetensors file whose length field happens to start like a pickle is not
     * misread.
     *
     * @return a description of the pickle format found, or {@code null}
     */
    static String pickleKind(FileChannel channel) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(9);
        long at = 0;
        while (head.hasRemaining()) {
            int read = channel.read(head, at);
            if (read < 0) {
                break;
            }
            at += read;
        }
        if (head.position() < 2) {
            return null;
        }
        byte[] b = head.array();
        if (head.position() == 9 && b[8] == '{') {
            return null;
        }
        // PROTO opcode 0x80 followed by the protocol number (pickle protocols 2 to 5)
        if ((b[0] & 0xFF) == 0x80 && b[1] >= 2 && b[1] <= 5) {
            return "a Python pickle (protocol " + b[1] + ")";
        }
        if (head.position() >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4) {
            return "a zip archive (torch.save format, which wraps a pickle)";
        }
        return null;
    }
}
