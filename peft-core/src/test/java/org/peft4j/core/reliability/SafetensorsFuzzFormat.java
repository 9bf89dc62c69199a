package org.peft4j.core.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.peft4j.core.io.CorruptSafetensorsCorpus;
import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.io.TensorInfo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@link SafetensorsReader#open} on the inputs of {@link CorruptSafetensorsCorpus}: first its hand-made hostile
 * files (each must be rejected, or for its valid edge cases accepted), then seeded random mutations of two valid
 * files, alternating: an adapter written by PEFT and a file with one tensor of every dtype. An accepted file must
 * read back every tensor in full, and the tensors must cover the data buffer exactly.
 */
public final class SafetensorsFuzzFormat implements FuzzFormat {

    /** The PEFT-written adapter in peft-core's test resources (see io/NOTE.md there). */
    public static final String PEFT_ADAPTER = "io/tiny-bert/lora_qv/adapter_model.safetensors";

    private final List<CorruptSafetensorsCorpus.Case> hostile = CorruptSafetensorsCorpus.hostileCases();
    private final byte[] peftAdapter = resource(PEFT_ADAPTER);
    private final byte[] everyDtype = CorruptSafetensorsCorpus.everyDtypeFile();

    @Override
    public String name() {
        return "safetensors";
    }

    @Override
    public void prepare(Path work) {
        // every input is a single self-contained file
    }

    @Override
    public FuzzInput input(long seed, int index, Path work) throws IOException {
        CorruptSafetensorsCorpus.Case c;
        if (index < hostile.size()) {
            c = hostile.get(index);
        } else {
            byte[] base = index % 2 == 0 ? peftAdapter : everyDtype;
            c = CorruptSafetensorsCorpus.randomCases(base, seed * 1_000_003L + index, 1).get(0);
        }
        Path file = work.resolve("input.safetensors");
        Files.write(file, c.bytes());
        FuzzInput.Expect expect = switch (c.expected()) {
            case REJECT -> FuzzInput.Expect.REJECT;
            case ACCEPT -> FuzzInput.Expect.ACCEPT;
            case EITHER -> FuzzInput.Expect.EITHER;
        };
        return new FuzzInput(c.label(), file, expect);
    }

    @Override
    public void check(FuzzInput input) throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(input.path())) {
            long covered = 0;
            for (String name : reader.names()) {
                TensorInfo info = reader.info(name);
                ByteBuffer bytes = reader.bytes(name);
                assertEquals(info.byteLength(), bytes.remaining(), name);
                assertEquals(info.elementCount(), reader.readFloats(name).length, name);
                covered += info.byteLength();
            }
            assertEquals(Files.size(input.path()) - reader.dataStart(), covered, "tensors must cover the data exactly");
        }
    }

    static byte[] resource(String name) {
        try (InputStream in = SafetensorsFuzzFormat.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("test resource missing: " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
