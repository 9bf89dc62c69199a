package org.peft4j.models.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A JSON fixture of nested number arrays, read from the test classpath. */
public final class JsonFixture {

    private final JsonObject root;

    private JsonFixture(JsonObject root) {
        this.root = root;
    }

    /**
     * Reads a classpath resource.
     *
     * @param resource e.g. {@code "fixtures/tiny-bert/input.json"}
     * @return the fixture
     */
    public static JsonFixture load(String resource) {
        try (InputStream in = JsonFixture.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + resource);
            }
            return new JsonFixture(JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Returns the folder of a test resource directory on the file system.
     *
     * @param resourceDir e.g. {@code "fixtures/tiny-bert"}
     * @return its path
     */
    public static Path dir(String resourceDir) {
        try {
            java.net.URL url = JsonFixture.class.getClassLoader().getResource(resourceDir);
            if (url == null) {
                throw new IllegalArgumentException("no test resource " + resourceDir);
            }
            return Path.of(url.toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Returns the path of a classpath resource directory copied to {@code dir}.
     *
     * @param resourceDir e.g. {@code "fixtures/tiny-bert"}
     * @param files the file names to copy
     * @param dir the target directory
     * @return {@code dir}
     */
    public static Path copyResources(String resourceDir, List<String> files, Path dir) {
        try {
            Files.createDirectories(dir);
            for (String f : files) {
                try (InputStream in = JsonFixture.class.getClassLoader().getResourceAsStream(resourceDir + "/" + f)) {
                    if (in == null) {
                        throw new IllegalArgumentException("no test resource " + resourceDir + "/" + f);
                    }
                    Files.copy(in, dir.resolve(f));
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Returns a nested number array flattened in row-major order.
     *
     * @param key the field
     * @return the values
     */
    public float[] floats(String key) {
        List<Double> out = new ArrayList<>();
        flatten(root.get(key), out);
        float[] f = new float[out.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = out.get(i).floatValue();
        }
        return f;
    }

    /**
     * Returns a nested integer array flattened in row-major order.
     *
     * @param key the field
     * @return the values
     */
    public long[] longs(String key) {
        List<Double> out = new ArrayList<>();
        flatten(root.get(key), out);
        long[] l = new long[out.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = out.get(i).longValue();
        }
        return l;
    }

    /**
     * Returns the shape of a nested array.
     *
     * @param key the field
     * @return the sizes of each level
     */
    public long[] shape(String key) {
        List<Long> dims = new ArrayList<>();
        JsonElement e = root.get(key);
        while (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            dims.add((long) a.size());
            if (a.size() == 0) {
                break;
            }
            e = a.get(0);
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * Returns a string array field.
     *
     * @param key the field
     * @return the strings
     */
    public List<String> strings(String key) {
        List<String> out = new ArrayList<>();
        for (JsonElement e : root.getAsJsonArray(key)) {
            out.add(e.getAsString());
        }
        return out;
    }

    /**
     * Returns the raw object.
     *
     * @return the root
     */
    public JsonObject root() {
        return root;
    }

    private static void flatten(JsonElement e, List<Double> out) {
        if (e.isJsonArray()) {
            for (JsonElement c : e.getAsJsonArray()) {
                flatten(c, out);
            }
        } else {
            out.add(e.getAsDouble());
        }
    }
}
