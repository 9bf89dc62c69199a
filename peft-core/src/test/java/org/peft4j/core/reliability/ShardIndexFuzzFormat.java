package org.peft4j.core.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;

import org.peft4j.core.io.CorruptSafetensorsCorpus;
import org.peft4j.core.io.ShardedSafetensors;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * {@link ShardedSafetensors#open} on mutated {@code model.safetensors.index.json} files. The folder holds two valid
 * shards; a decoy file with the same tensors sits one level up and another in a sub-folder, so an index that
 * escapes the folder would open successfully and be caught by the result check (every opened shard must be one of
 * the two real shards). Inputs: every top-level field with every JSON type, every weight_map entry pointed at each
 * hostile shard name (path traversal, absolute paths, drive letters, NUL, the index itself, a folder), tensors
 * moved to the wrong shard or added, then random {@link JsonMutator} mutations with hostile shard names mixed in.
 */
public final class ShardIndexFuzzFormat implements FuzzFormat {

    private static final String SHARD1 = "model-00001-of-00002.safetensors";
    private static final String SHARD2 = "model-00002-of-00002.safetensors";
    private static final Gson GSON = new Gson();

    private Path folder;
    private Path index;
    private String validIndex;
    private List<String> hostileShardNames;
    private List<JsonMutator.Mutation> sweep;

    @Override
    public String name() {
        return "shard index";
    }

    @Override
    public void prepare(Path work) throws IOException {
        folder = Files.createDirectories(work.resolve("model")).toRealPath();
        index = folder.resolve(ShardedSafetensors.INDEX_FILE);
        Files.write(folder.resolve(SHARD1), CorruptSafetensorsCorpus.file(
                "{\"__metadata__\":{\"format\":\"pt\"},\"embeddings.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],"
                + "\"data_offsets\":[0,24]},\"encoder.bias\":{\"dtype\":\"F32\",\"shape\":[3],"
                + "\"data_offsets\":[24,36]}}", new byte[36]));
        Files.write(folder.resolve(SHARD2), CorruptSafetensorsCorpus.file(
                "{\"classifier.weight\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
                + "\"classifier.bias\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]}}",
                new byte[12]));
        byte[] decoy = CorruptSafetensorsCorpus.file("{\"embeddings.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],"
                + "\"data_offsets\":[0,24]},\"encoder.bias\":{\"dtype\":\"F32\",\"shape\":[3],"
                + "\"data_offsets\":[24,36]},\"classifier.weight\":{\"dtype\":\"F16\",\"shape\":[2,2],"
                + "\"data_offsets\":[36,44]},"
                + "\"classifier.bias\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[44,48]}}", new byte[48]);
        Path outside = work.toRealPath().resolve("outside.safetensors");
        Files.write(outside, decoy);
        Files.createDirectories(folder.resolve("sub"));
        Files.write(folder.resolve("sub").resolve("inner.safetensors"), decoy);
        validIndex = "{\"metadata\": {\"total_size\": 48}, \"weight_map\": {"
                + "\"classifier.bias\": \"" + SHARD2 + "\", \"classifier.weight\": \"" + SHARD2 + "\", "
                + "\"embeddings.weight\": \"" + SHARD1 + "\", \"encoder.bias\": \"" + SHARD1 + "\"}}";
        hostileShardNames = List.of("../outside.safetensors", outside.toString(), "sub/inner.safetensors",
                "sub\\inner.safetensors", "..\\outside.safetensors", "..", ".", "", "C:outside.safetensors",
                "C:\\outside.safetensors", "sub/../../outside.safetensors", "./" + SHARD1, SHARD1 + "/",
                SHARD1 + "\u0000.txt", "\u0000", "//server/share/x.safetensors", "\\\\server\\share\\x.safetensors",
                "file:" + outside, "~/outside.safetensors", "%2e%2e%2foutside.safetensors",
                "\u2024\u2024/outside.safetensors", "sub", ShardedSafetensors.INDEX_FILE, "missing.safetensors",
                "x".repeat(300) + ".safetensors", SHARD1.toUpperCase(java.util.Locale.ROOT), " " + SHARD1);
        sweep = new ArrayList<>(JsonMutator.everyFieldEveryType(validIndex));
        JsonElement root = JsonParser.parseString(validIndex);
        List<String> tensors = new ArrayList<>(root.getAsJsonObject().getAsJsonObject("weight_map").keySet());
        for (String tensor : tensors) {
            for (String hostile : hostileShardNames) {
                sweep.add(withShard(root, tensor, hostile));
            }
            String other = root.getAsJsonObject().getAsJsonObject("weight_map").get(tensor).getAsString()
                    .equals(SHARD1) ? SHARD2 : SHARD1;
            sweep.add(withShard(root, tensor, other));
        }
        JsonElement extra = root.deepCopy();
        extra.getAsJsonObject().getAsJsonObject("weight_map").addProperty("absent.weight", SHARD1);
        sweep.add(new JsonMutator.Mutation("weight_map names a tensor no shard has",
                extra.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private static JsonMutator.Mutation withShard(JsonElement root, String tensor, String shard) {
        JsonElement copy = root.deepCopy();
        copy.getAsJsonObject().getAsJsonObject("weight_map").addProperty(tensor, shard);
        return new JsonMutator.Mutation("weight_map[" + tensor + "] set to " + GSON.toJson(shard),
                GSON.toJson(copy).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public FuzzInput input(long seed, int index, Path work) throws IOException {
        FuzzInput.Expect expect = FuzzInput.Expect.EITHER;
        JsonMutator.Mutation m;
        if (index < sweep.size()) {
            m = sweep.get(index);
            // moving a tensor or pointing it anywhere else must fail; type sweeps of "metadata" may be fine
            expect = m.label().startsWith("weight_map[") ? FuzzInput.Expect.REJECT : FuzzInput.Expect.EITHER;
        } else {
            Random random = new Random(seed * 1_000_003L + index);
            if (random.nextInt(5) == 0) {
                String hostile = hostileShardNames.get(random.nextInt(hostileShardNames.size()));
                m = JsonMutator.replaceRandomSlot(JsonParser.parseString(validIndex), random, GSON.toJson(hostile),
                        path -> path.size() == 2 && path.get(0).equals("weight_map"));
                expect = FuzzInput.Expect.REJECT;
            } else {
                m = JsonMutator.mutate(validIndex, random);
            }
        }
        Files.write(this.index, m.bytes());
        return new FuzzInput(m.label(), this.index, expect);
    }

    @Override
    public void check(FuzzInput input) throws IOException {
        try (ShardedSafetensors checkpoint = ShardedSafetensors.open(input.path())) {
            Set<Path> realShards = Set.of(folder.resolve(SHARD1), folder.resolve(SHARD2));
            for (Path shard : checkpoint.shardFiles()) {
                assertTrue(realShards.contains(shard.toAbsolutePath().normalize()),
                        "opened a file that is not a shard of the folder: " + shard);
            }
            String text = Files.readString(input.path(), StandardCharsets.UTF_8);
            List<String> listed = new ArrayList<>(JsonParser.parseString(text).getAsJsonObject()
                    .getAsJsonObject("weight_map").keySet());
            assertEquals(listed, checkpoint.names(), "tensor names are the weight_map's keys, in order");
            for (String name : checkpoint.names()) {
                assertTrue(checkpoint.contains(name), name);
                assertEquals(checkpoint.info(name).elementCount(), checkpoint.readFloats(name).length, name);
            }
        }
    }
}
