package org.peft4j.lora.testing;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.peft4j.core.PeftModel;
import org.peft4j.core.testing.TinyNet;

/**
 * The set-up the adapter tests of this module share: a fresh manager per test, an input {@code x}
 * of 5 rows drawn right after seeding the engine with the class's seed, and {@link TinyNet}s of
 * {@link #HIDDEN} units, two blocks and three classes built under a given seed.
 */
public abstract class TinyNetFixture {

    /** The hidden size of every {@link TinyNet} the fixture builds. */
    protected static final int HIDDEN = 16;

    private final int seed;
    /** This test's manager, closed after it. */
    protected NDManager manager;
    /** A {@code [5, HIDDEN]} standard normal input. */
    protected NDArray x;

    /**
     * Creates the fixture.
     *
     * @param seed the engine seed set before {@code x} is drawn
     */
    protected TinyNetFixture(int seed) {
        this.seed = seed;
    }

    @BeforeEach
    void openFixture() {
        Engine.getInstance().setRandomSeed(seed);
        manager = NDManager.newBaseManager();
        x = manager.randomNormal(new Shape(5, HIDDEN));
    }

    @AfterEach
    void closeFixture() {
        manager.close();
    }

    /**
     * Builds a {@link TinyNet} in this test's manager after seeding the engine.
     *
     * @param netSeed the engine seed its initial weights come from
     * @return the net
     */
    protected TinyNet net(int netSeed) {
        Engine.getInstance().setRandomSeed(netSeed);
        return new TinyNet(manager, HIDDEN, 2, 3);
    }

    /**
     * Returns the default adapter of the host at {@code path}.
     *
     * @param peft the wrapped model
     * @param path the host's path
     * @param type the adapter's class
     * @param <A> the adapter type
     * @return the adapter
     */
    protected static <A> A adapter(PeftModel peft, String path, Class<A> type) {
        return type.cast(peft.hosts().stream().filter(h -> h.path().equals(path)).findFirst()
                .orElseThrow(() -> new AssertionError("no host at " + path)).adapter(PeftModel.DEFAULT_ADAPTER));
    }
}
