package org.peft4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A checkpoint stored as one {@code model.safetensors} or as shards listed by a Hugging Face
 * {@code model.safetensors.index.json} ({@code {"metadata": {...}, "weight_map": {tensor name: shard file}}}).
 * Every shard is opened (and its header validated) up front; tensors are read from the shard the weight map names.
 *
 * <p>Shard names must be plain file names inside the index's folder: names with path separators, {@code ..},
 * absolute paths or drive letters are refused, so an index cannot make us read files elsewhere.
 */
public final class ShardedSafetensors implements AutoCloseable {

    /** The single-file checkpoint name Hugging Face uses. */
    public static final String SINGLE_FILE = "model.safetensors";
    /** The shard index name Hugging Face uses. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private static final long MAX_INDEX_BYTES = 100_000_000L;
    /** Pickle checkpoint names a directory may hold instead, reported with a conversion hint. */
    private static final List<String> PICKLE_NAMES = List.of("pytorch_model.bin", "pytorch_model.bin.index.json",
            "model.pt", "model.pth", "model.ckpt");

    private final Path source;
    private final Map<String, SafetensorsReader> readerByTensor;
    private final List<SafetensorsReader> readers;
    private final List<String> names;

    private ShardedSafetensors(Path source, Map<String, SafetensorsReader> readerByTensor,
            List<SafetensorsReader> readers) {
        this.source = source;
        this.readerByTensor = Collections.unmodifiableMap(readerByTensor);
        this.readers = List.copyOf(readers);
        this.names = List.copyOf(readerByTensor.keySet());
    }

    /**
     * Opens a sharded checkpoint from its index.
     *
     * @param indexJson a {@code model.safetensors.index.json}
     * @return the opened checkpoint; every shard's header is validated
     * @throws SafetensorsException if the index is malformed, names a shard outside its folder, or maps a tensor
     *     to a shard that lacks it
     * @throws IOException if a file cannot be read
     */
    public static ShardedSafetensors open(Path indexJson) throws IOException {
        Path folder = indexJson.toAbsolutePath().normalize().getParent();
        Map<String, String> weightMap = readWeightMap(indexJson);
        Map<String, SafetensorsReader> byShard = new LinkedHashMap<>();
        Map<String, SafetensorsReader> byTensor = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String> entry : weightMap.entrySet()) {
                String shard = entry.getValue();
                SafetensorsReader reader = byShard.get(shard);
                if (reader == null) {
                    reader = SafetensorsReader.open(resolveShard(indexJson, folder, entry.getKey(), shard));
                    byShard.put(shard, reader);
                }
                if (!reader.contains(entry.getKey())) {
                    throw new SafetensorsException(indexJson, entry.getKey(), "weight_map puts it in shard '"
                            + shard + "', which has no such tensor");
                }
                byTensor.put(entry.getKey(), reader);
            }
        } catch (IOException | RuntimeException | Error e) {
            closeAll(byShard.values(), e);
            throw e;
        }
        return new ShardedSafetensors(indexJson, byTensor, new ArrayList<>(byShard.values()));
    }

    /**
     * Opens the checkpoint in a folder: {@code model.safetensors} if present (as Hugging Face prefers it),
     * otherwise {@code model.safetensors.index.json}.
     *
     * @param dir a model folder
     * @return the opened checkpoint
     * @throws PickleCheckpointException if the folder holds only a pickle checkpoint
     * @throws SafetensorsException if it holds neither file, or they are invalid
     * @throws IOException if a file cannot be read
     */
    public static ShardedSafetensors openDirectory(Path dir) throws IOException {
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            SafetensorsReader reader = SafetensorsReader.open(single);
            Map<String, SafetensorsReader> byTensor = new LinkedHashMap<>();
            for (String name : reader.names()) {
                byTensor.put(name, reader);
            }
            return new ShardedSafetensors(single, byTensor, List.of(reader));
        }
        Path index = dir.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return open(index);
        }
        for (String pickle : PICKLE_NAMES) {
            Path candidate = dir.resolve(pickle);
            if (Files.isRegularFile(candidate)) {
                PickleCheckpoints.refuse(candidate);
            }
        }
        throw new SafetensorsException(dir, "the folder holds neither " + SINGLE_FILE + " nor " + INDEX_FILE);
    }

    private static Map<String, String> readWeightMap(Path indexJson) throws IOException {
        long size = Files.size(indexJson);
        if (size > MAX_INDEX_BYTES) {
            throw new SafetensorsException(indexJson, "index is " + size + " bytes, over the limit of "
                    + MAX_INDEX_BYTES);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(indexJson))).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(indexJson, null, "index is not valid UTF-8", e);
        }
        JsonReader json = new JsonReader(new StringReader(text));
        json.setStrictness(Strictness.STRICT);
        Map<String, String> weightMap = null;
        try {
            if (json.peek() != JsonToken.BEGIN_OBJECT) {
                throw new SafetensorsException(indexJson, "index must be a JSON object, found " + json.peek());
            }
            json.beginObject();
            Set<String> seen = new HashSet<>();
            while (json.hasNext()) {
                String key = json.nextName();
                if (!seen.add(key)) {
                    throw new SafetensorsException(indexJson, key, "duplicate key in index");
                }
                if ("weight_map".equals(key)) {
                    weightMap = readStringMap(indexJson, json);
                } else {
                    // "metadata" ({"total_size": ...}) and anything else are informational
                    json.skipValue();
                }
            }
            json.endObject();
            if (json.peek() != JsonToken.END_DOCUMENT) {
                throw new SafetensorsException(indexJson, "content after the index's JSON object");
            }
        } catch (SafetensorsException e) {
            throw e;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw new SafetensorsException(indexJson, null, "malformed index JSON at " + json.getPath() + ": "
                    + SafetensorsHeader.jsonProblem(e), e);
        }
        if (weightMap == null) {
            throw new SafetensorsException(indexJson, "weight_map", "index has no weight_map");
        }
        return weightMap;
    }

    private static Map<String, String> readStringMap(Path indexJson, JsonReader json) throws IOException {
        if (json.peek() != JsonToken.BEGIN_OBJECT) {
            throw new SafetensorsException(indexJson, "weight_map", "must be an object of tensor name to shard"
                    + " file, found " + json.peek());
        }
        Map<String, String> map = new LinkedHashMap<>();
        json.beginObject();
        while (json.hasNext()) {
            String name = json.nextName();
            if (json.peek() != JsonToken.STRING) {
                throw new SafetensorsException(indexJson, name, "weight_map values must be shard file names,"
                        + " found " + json.peek());
            }
            if (map.put(name, json.nextString()) != null) {
                throw new SafetensorsException(indexJson, name, "duplicate key in weight_map");
            }
        }
        json.endObject();
        return map;
    }

    /** Accepts only a plain file name that resolves to a child of the index's folder. */
    private static Path resolveShard(Path indexJson, Path folder, String tensor, String shard)
            throws SafetensorsException {
        boolean plain = !shard.isEmpty() && !shard.equals(".") && !shard.equals("..")
                && shard.chars().noneMatch(c -> c == '/' || c == '\\' || c == ':' || c == 0);
        Path resolved = null;
        if (plain) {
            try {
                Path name = Path.of(shard);
                if (!name.isAbsolute() && name.getNameCount() == 1) {
                    resolved = folder.resolve(name).normalize();
                }
            } catch (InvalidPathException e) {
                resolved = null;
            }
        }
        if (resolved == null || !folder.equals(resolved.getParent())) {
            throw new SafetensorsException(indexJson, tensor, "shard file name '"
                    + SafetensorsException.abbreviate(shard) + "' is not a plain file name inside " + folder
                    + " (no path separators, '..', drive letters or absolute paths)");
        }
        return resolved;
    }

    private static void closeAll(Iterable<SafetensorsReader> readers, Throwable failure) {
        for (SafetensorsReader reader : readers) {
            try {
                reader.close();
            } catch (IOException closing) {
                if (failure != null) {
                    failure.addSuppressed(closing);
                }
            }
        }
    }

    /** @return the index file, or the single {@code model.safetensors} */
    public Path source() {
        return source;
    }

    /** @return every tensor key: weight-map order for an index, data-offset order for a single file */
    public List<String> names() {
        return names;
    }

    /** @return the shard files, in first-use order */
    public List<Path> shardFiles() {
        return readers.stream().map(SafetensorsReader::path).collect(Collectors.toUnmodifiableList());
    }

    /**
     * @param name a tensor key
     * @return whether the checkpoint holds it
     */
    public boolean contains(String name) {
        return readerByTensor.containsKey(name);
    }

    /**
     * @param name a tensor key
     * @return the reader of the shard that holds it
     * @throws SafetensorsException naming the missing key and a few existing ones
     */
    public SafetensorsReader shardOf(String name) throws SafetensorsException {
        SafetensorsReader reader = readerByTensor.get(name);
        if (reader == null) {
            throw new SafetensorsException(source, name, "no such tensor; the checkpoint holds " + names.size()
                    + " tensors, e.g. " + names.stream().limit(5).map(n -> "'" + SafetensorsException.abbreviate(n)
                            + "'").collect(Collectors.joining(", ")));
        }
        return reader;
    }

    /**
     * @param name a tensor key
     * @return its header entry (offsets relative to its shard's data buffer)
     * @throws SafetensorsException if the key is missing
     */
    public TensorInfo info(String name) throws SafetensorsException {
        return shardOf(name).info(name);
    }

    /**
     * @param name a tensor key
     * @return its raw bytes, see {@link SafetensorsReader#bytes(String)}
     * @throws IOException if the key is missing or mapping fails
     */
    public ByteBuffer bytes(String name) throws IOException {
        return shardOf(name).bytes(name);
    }

    /**
     * @param name a tensor key
     * @return its values as float32, see {@link SafetensorsReader#readFloats(String)}
     * @throws IOException if the key is missing or mapping fails
     */
    public float[] readFloats(String name) throws IOException {
        return shardOf(name).readFloats(name);
    }

    /**
     * @param name a tensor key
     * @param manager owner of the result
     * @return the tensor, see {@link SafetensorsReader#load(String, NDManager)}
     * @throws IOException if the key is missing or mapping fails
     */
    public NDArray load(String name, NDManager manager) throws IOException {
        return shardOf(name).load(name, manager);
    }

    /**
     * @param name a tensor key
     * @param manager owner of the result
     * @param target the data type wanted
     * @return the tensor, see {@link SafetensorsReader#load(String, NDManager, DataType)}
     * @throws IOException if the key is missing or mapping fails
     */
    public NDArray load(String name, NDManager manager, DataType target) throws IOException {
        return shardOf(name).load(name, manager, target);
    }

    /** Closes every shard. */
    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsReader reader : readers) {
            try {
                reader.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
