package org.peft4j.merge.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.PeftException;
import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.io.SafetensorsWriter;
import org.peft4j.core.io.TensorDType;
import org.peft4j.merge.SeededTensors;
import org.peft4j.merge.method.Dare;
import org.peft4j.merge.method.MergeMethod;
import org.peft4j.merge.method.TaskVectorMerge;
import org.peft4j.merge.method.Ties;

class StreamingMergerTest {

    private static NDManager manager;
    @TempDir Path dir;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /** A small BERT-like checkpoint: two blocks, embeddings, an int64 buffer. */
    private static Map<String, NDArray> checkpoint(long seed) {
        Map<String, NDArray> m = new LinkedHashMap<>();
        m.put("bert.embeddings.word_embeddings.weight", SeededTensors.gaussian(manager, seed, 1, 16, 8));
        m.put("bert.embeddings.position_ids", manager.arange(0L, 6L, 1L, DataType.INT64).reshape(1, 6));
        for (int l = 0; l < 2; l++) {
            m.put("bert.encoder.layer." + l + ".attention.self.query.weight",
                    SeededTensors.gaussian(manager, seed * 10 + l, 1, 8, 8));
            m.put("bert.encoder.layer." + l + ".attention.self.query.bias",
                    SeededTensors.gaussian(manager, seed * 100 + l, 1, 8));
        }
        return m;
    }

    private Path save(String name, Map<String, NDArray> tensors) throws IOException {
        Path p = dir.resolve(name);
        SafetensorsWriter.save(p, tensors, Map.of("format", "pt"));
        return p;
    }

    private static StreamingMerger quiet() {
        return StreamingMerger.builder().listener(MergeProgressListener.silent()).build();
    }

    private void assertStreamedEqualsInMemory(MergeMethod method) throws IOException {
        Map<String, NDArray> base = checkpoint(1);
        Map<String, NDArray> a = checkpoint(2);
        Map<String, NDArray> b = checkpoint(3);
        Path out = dir.resolve("merged.safetensors");
        List<String> baseOrder;
        try (SafetensorsCheckpoint vb = SafetensorsCheckpoint.open(save("base.safetensors", base));
                SafetensorsCheckpoint va = SafetensorsCheckpoint.open(save("a.safetensors", a));
                SafetensorsCheckpoint vc = SafetensorsCheckpoint.open(save("b.safetensors", b))) {
            baseOrder = vb.names();
            quiet().merge(vb, List.of(va, vc), method, out);
        }
        CheckpointView inMemory =
                MergedCheckpoint.of(
                        InMemoryCheckpoint.of(base),
                        List.of(InMemoryCheckpoint.of(a), InMemoryCheckpoint.of(b)),
                        method);
        try (SafetensorsReader r = SafetensorsReader.open(out)) {
            assertEquals(baseOrder, r.names(), "the output keeps the base file's key order");
            for (String name : base.keySet()) {
                NDArray expected = inMemory.load(name, manager);
                NDArray actual = r.load(name, manager);
                assertEquals(expected.getDataType(), actual.getDataType(), name);
                // same operations on the same float32 inputs in the same order: bit-identical
                assertTrue(expected.contentEquals(actual), name);
            }
        }
    }

    @Test
    void streamingTiesOfThreeCheckpointsEqualsTheInMemoryMerge() throws IOException {
        assertStreamedEqualsInMemory(TaskVectorMerge.of(Ties.of(0.5, 1, 0.7)));
    }

    @Test
    void streamingDareTiesWithSeededMasksEqualsTheInMemoryMerge() throws IOException {
        assertStreamedEqualsInMemory(new TaskVectorMerge(Dare.ties(0.3, 1234L, 1, 1), 0.8));
    }

    @Test
    void integerTensorsAreCopiedFromTheBase() throws IOException {
        Path out = dir.resolve("merged.safetensors");
        try (SafetensorsCheckpoint vb = SafetensorsCheckpoint.open(save("base.safetensors", checkpoint(1)));
                SafetensorsCheckpoint va = SafetensorsCheckpoint.open(save("a.safetensors", checkpoint(2)))) {
            quiet().merge(vb, List.of(va), TaskVectorMerge.of(Ties.of(1.0, 1)), out);
        }
        try (SafetensorsReader r = SafetensorsReader.open(out)) {
            assertEquals(TensorDType.I64, r.info("bert.embeddings.position_ids").dtype());
            assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5}, r.load("bert.embeddings.position_ids", manager).toLongArray());
        }
    }

    @Test
    void progressIsReportedPerTensorInOrder() throws IOException {
        List<String> seen = new ArrayList<>();
        StreamingMerger merger =
                StreamingMerger.builder()
                        .listener((i, n, name) -> seen.add("[" + i + "/" + n + "] " + name))
                        .build();
        Map<String, NDArray> base = checkpoint(1);
        merger.write(InMemoryCheckpoint.of(base), dir.resolve("copy.safetensors"));
        assertEquals(6, seen.size());
        assertEquals("[1/6] bert.embeddings.word_embeddings.weight", seen.get(0));
        assertEquals("[6/6] bert.encoder.layer.1.attention.self.query.bias", seen.get(5));
    }

    @Test
    void bf16TensorsAreWidenedExactlyOnLoad() throws IOException {
        // values exactly representable in bf16 (8 significant bits) survive narrowing and widening
        float[] values = {1.0f, -2.5f, 0.15625f, 1.5f * (1L << 34), -0.0f, 65280f};
        Path p = dir.resolve("bf16.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.builder().add("w", TensorDType.BF16, 2, 3).open(p)) {
            w.write("w", manager.create(values, new Shape(2, 3)));
            w.commit();
        }
        try (SafetensorsCheckpoint view = SafetensorsCheckpoint.open(p)) {
            assertEquals(DataType.FLOAT32, view.spec("w").dataType());
            NDArray loaded = view.load("w", manager);
            assertEquals(new Shape(2, 3), loaded.getShape());
            assertArrayEquals(values, loaded.toFloatArray(), 0f);
        }
    }

    @Test
    void bf16InputsAreMergedAfterExactWidening() throws IOException {
        // multiples of 1/8 below 16 are exact in bf16, so the widened inputs equal these float32 arrays
        float[] base = {1f, -2f, 0.5f, 3f};
        float[] a = {1.5f, -2f, 0.25f, 4f};
        float[] b = {0.5f, -1f, 0.5f, 2f};
        List<CheckpointView> views = new ArrayList<>();
        try {
            for (float[] values : List.of(base, a, b)) {
                Path p = dir.resolve("bf16-" + views.size() + ".safetensors");
                try (SafetensorsWriter w = SafetensorsWriter.builder().add("layer.0.w", TensorDType.BF16, 4).open(p)) {
                    w.write("layer.0.w", manager.create(values));
                    w.commit();
                }
                views.add(SafetensorsCheckpoint.open(p));
            }
            MergeMethod ties = TaskVectorMerge.of(Ties.of(1.0, 1, 1));
            NDArray streamed = MergedCheckpoint.of(views.get(0), views.subList(1, 3), ties).load("layer.0.w", manager);
            NDArray inMemory =
                    ties.merge("layer.0.w", manager.create(base), manager.create(new float[][] {a, b}));
            assertArrayEquals(inMemory.toFloatArray(), streamed.toFloatArray(), 0f);
        } finally {
            for (CheckpointView v : views) {
                v.close();
            }
        }
    }

    @Test
    void huggingFaceFolderOpensThroughItsModelFile() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("model"));
        SafetensorsWriter.save(folder.resolve("model.safetensors"), checkpoint(4), Map.of("format", "pt"));
        try (SafetensorsCheckpoint view = SafetensorsCheckpoint.open(folder)) {
            assertEquals(6, view.names().size());
            assertEquals(new Shape(16, 8), view.spec("bert.embeddings.word_embeddings.weight").shape());
        }
    }

    @Test
    void failedWriteLeavesNoOutputBehind() throws IOException {
        Map<String, NDArray> base = checkpoint(1);
        CheckpointView broken =
                new CheckpointView() {
                    private final InMemoryCheckpoint inner = InMemoryCheckpoint.of(base);

                    @Override
                    public List<String> names() {
                        return inner.names();
                    }

                    @Override
                    public boolean contains(String name) {
                        return inner.contains(name);
                    }

                    @Override
                    public TensorSpec spec(String name) {
                        return inner.spec(name);
                    }

                    @Override
                    public NDArray load(String name, NDManager m) {
                        if (name.contains("layer.1")) {
                            throw new PeftException("disk vanished while reading '" + name + "'");
                        }
                        return inner.load(name, m);
                    }
                };
        Path out = dir.resolve("out.safetensors");
        assertThrows(PeftException.class, () -> quiet().write(broken, out));
        assertFalse(Files.exists(out));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.count(), "no temporary file is left in the output folder");
        }
    }
}
