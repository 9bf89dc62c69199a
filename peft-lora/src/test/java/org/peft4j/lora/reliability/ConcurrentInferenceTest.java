package org.peft4j.lora.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.peft4j.core.PeftModel;
import org.peft4j.core.testing.TinyNet;
import org.peft4j.lora.LoraConfig;
import org.peft4j.lora.LoraInit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Inference from several threads at once on one model that nobody mutates: 8 threads, each with its own
 * NDManager, ParameterStore and input, run the same LoRA-wrapped TinyNet, unmerged and then merged, and every
 * output must equal, bit for bit, the output of the same input computed on one thread. (Mutation - adding,
 * activating, merging adapters - is not thread-safe and is not done while the threads run.)
 */
class ConcurrentInferenceTest {

    private static final int THREADS = 8;
    private static final int ROUNDS = 25;
    private static final int HIDDEN = 64;
    private static final int BATCH = 4;

    private NDManager manager;

    @BeforeEach
    void setUp() {
        Engine.getInstance().setRandomSeed(17);
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void eightThreadsGetTheSingleThreadedOutputsExactlyUnmergedAndMerged() throws Exception {
        TinyNet net = new TinyNet(manager, HIDDEN, 2, 3);
        float[][] inputs = new float[THREADS][];
        Random random = new Random(5);
        for (int t = 0; t < THREADS; t++) {
            inputs[t] = new float[BATCH * HIDDEN];
            for (int i = 0; i < inputs[t].length; i++) {
                inputs[t][i] = (float) random.nextGaussian();
            }
        }
        float[] base = infer(net, inputs[0]);
        PeftModel peft = PeftModel.wrap(net, LoraConfig.builder().r(8).loraAlpha(16)
                .targetModules("query", "value", "dense").initLoraWeights(LoraInit.RANDOM).build());
        float[] adapted = infer(peft.block(), inputs[0]);
        assertFalse(Arrays.equals(base, adapted), "the adapters must change the output, or they are not exercised");

        assertTrue(peft.mergedAdapters().isEmpty());
        assertEquals(0, mismatches(peft.block(), inputs), "unmerged: outputs differing from single-threaded ones");
        peft.merge(false);
        assertEquals(List.of(PeftModel.DEFAULT_ADAPTER), peft.mergedAdapters());
        assertEquals(0, mismatches(peft.block(), inputs), "merged: outputs differing from single-threaded ones");
    }

    /** Runs every input on its own thread {@value #ROUNDS} times at once; counts outputs unequal to one thread's. */
    private static int mismatches(Block block, float[][] inputs) throws Exception {
        float[][] expected = new float[THREADS][];
        for (int t = 0; t < THREADS; t++) {
            expected[t] = infer(block, inputs[t]);
        }
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    start.await();
                    int wrong = 0;
                    for (int round = 0; round < ROUNDS; round++) {
                        if (!Arrays.equals(expected[thread], infer(block, inputs[thread]))) {
                            wrong++;
                        }
                    }
                    return wrong;
                }));
            }
            start.countDown();
            int wrong = 0;
            for (Future<Integer> f : results) {
                wrong += f.get(120, TimeUnit.SECONDS);
            }
            return wrong;
        } finally {
            pool.shutdownNow();
        }
    }

    /** One forward pass with a private manager and parameter store; nothing is left in the model's manager. */
    private static float[] infer(Block block, float[] input) {
        try (NDManager own = NDManager.newBaseManager()) {
            NDArray x = own.create(input, new Shape(BATCH, HIDDEN));
            return block.forward(new ParameterStore(own, false), new NDList(x), false).singletonOrThrow()
                    .toFloatArray();
        }
    }
}
