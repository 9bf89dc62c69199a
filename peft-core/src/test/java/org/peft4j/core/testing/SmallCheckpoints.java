package org.peft4j.core.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.io.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Small safetensors checkpoints of 1-D float32 tensors, written and read back by tests. */
public final class SmallCheckpoints {

    private SmallCheckpoints() {}

    /**
     * Writes a checkpoint (atomically, as the library's writer does).
     *
     * @param file the {@code .safetensors} file
     * @param nameValues tensor name, {@code float[]} values, name, values, ...
     * @throws IOException if the file cannot be written
     */
    public static void write(Path file, Object... nameValues) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (int i = 0; i < nameValues.length; i += 2) {
                tensors.put((String) nameValues[i], m.create((float[]) nameValues[i + 1]));
            }
            SafetensorsWriter.save(file, tensors, Map.of());
        }
    }

    /**
     * Reads one float32 tensor back.
     *
     * @param file the {@code .safetensors} file
     * @param name the tensor's name
     * @return its values, flattened
     * @throws IOException if the file cannot be read
     */
    public static float[] read(Path file, String name) throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            return r.readFloats(name);
        }
    }
}
