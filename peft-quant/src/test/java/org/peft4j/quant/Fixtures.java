package org.peft4j.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.peft4j.core.io.SafetensorsReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The bitsandbytes reference fixtures under {@code src/test/resources/nf4} (see NOTE.md there). */
public final class Fixtures {

    /** The input names, each stored as {@code NAME.weight}. */
    public static final List<String> INPUTS =
            List.of("arange67", "linspace64x3", "nf4_midpoints_32", "randn_256x256", "randn_33x17", "zero_blocks_192");

    private Fixtures() {}

    /**
     * Returns the path of a fixture file.
     *
     * @param name the file name
     * @return its path
     */
    public static Path path(String name) {
        URL url = Fixtures.class.getResource("/nf4/" + name);
        if (url == null) {
            throw new IllegalStateException("missing test resource nf4/" + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Returns the expected-state file of a type.
     *
     * @param type NF4 or FP4
     * @param doubleQuant whether double-quantized
     * @return the file
     */
    public static Path expected(QuantType type, boolean doubleQuant) {
        return path("expected_" + type.bnbName() + (doubleQuant ? "_dq" : "") + ".safetensors");
    }

    /**
     * Loads an input.
     *
     * @param name one of {@link #INPUTS}
     * @param manager the owner
     * @return float32 array
     */
    public static NDArray input(String name, NDManager manager) {
        try (SafetensorsReader reader = SafetensorsReader.open(path("inputs.safetensors"))) {
            return reader.load(name + ".weight", manager);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Loads one tensor of a file.
     *
     * @param file the file
     * @param key the tensor key
     * @param manager the owner
     * @return the array
     */
    public static NDArray tensor(Path file, String key, NDManager manager) {
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            return reader.load(key, manager);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Parses a JSON fixture.
     *
     * @param name the file name
     * @return the object
     */
    public static JsonObject json(String name) {
        try {
            return JsonParser.parseString(Files.readString(path(name), StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
